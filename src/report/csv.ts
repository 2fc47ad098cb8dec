/**
 * report.csv: one row per job, for spreadsheets and scripts. Pure.
 *
 * The columns are the fields of report.json's jobs, in the same order, with
 * `images` joined by `|` (as a manifest's CSV writes them) and `error` split
 * into `error_code` and `error_message`. A null is an empty cell. Fields are
 * quoted as RFC 4180 says (commas, quotes and line breaks survive) and records
 * end with CRLF.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import type { ReportJob, ReportModel } from "./summary.ts";

/** The header row of report.csv, in column order. */
export const REPORT_CSV_COLUMNS: readonly string[] = [
  "id",
  "line",
  "status",
  "task_id",
  "model",
  "seconds",
  "size",
  "resolution",
  "images",
  "output",
  "bytes",
  "sha256",
  "attempts",
  "submitted_at",
  "completed_at",
  "downloaded_at",
  "error_code",
  "error_message",
  "prompt",
];

/** How csv-stringify writes report.csv's records: CRLF after every one. */
const CSV_OPTIONS = { record_delimiter: "windows", eof: true } as const;

/**
 * Render report.csv in pieces: the header row, then one chunk per job. Each
 * record is quoted on its own, so the chunks joined are the whole file.
 *
 * @param report The report model.
 * @returns The file's text, record by record.
 */
export function* renderReportCsvChunks(report: ReportModel): Generator<string> {
  // With --prices, an added last column: each job's estimated cost.
  const priced = report.estimate !== undefined;
  yield stringify(
    [priced ? [...REPORT_CSV_COLUMNS, "estimated_cost"] : REPORT_CSV_COLUMNS],
    CSV_OPTIONS,
  );
  for (const job of report.jobs) {
    const row = csvRow(job);
    if (priced) row.push(cell(job.estimated_cost ?? null));
    yield stringify([row], CSV_OPTIONS);
  }
}

/**
 * Render report.csv.
 *
 * @param report The report model.
 * @returns The file's text: a header row, then one row per job.
 */
export function renderReportCsv(report: ReportModel): string {
  return Array.from(renderReportCsvChunks(report)).join("");
}

function csvRow(job: ReportJob): string[] {
  return [
    job.id,
    String(job.line),
    job.status,
    cell(job.task_id),
    cell(job.model),
    cell(job.seconds),
    cell(job.size),
    cell(job.resolution),
    job.images.join("|"),
    cell(job.output),
    cell(job.bytes),
    cell(job.sha256),
    String(job.attempts),
    cell(job.submitted_at),
    cell(job.completed_at),
    cell(job.downloaded_at),
    cell(job.error?.code ?? null),
    cell(job.error?.message ?? null),
    cell(job.prompt),
  ];
}

function cell(value: string | number | null): string {
  return value === null ? "" : String(value);
}
