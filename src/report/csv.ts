/**
 * report.csv: one row per job, for spreadsheets and scripts. Pure.
 *
 * The columns are the fields of report.json's jobs, in the same order, with
 * `images` joined by `|` (as a manifest's CSV writes them) and `error` split
 * into `error_code` and `error_message`, and `video_mismatch`'s sentences
 * joined by `; ` (an empty cell for both "matches" and "unknown": the
 * `video_duration` cell tells them apart). A null is an empty cell. Fields are
 * quoted as RFC 4180 says (commas, quotes and line breaks survive) and records
 * end with CRLF.
 *
 * Text that came from the manifest or the service (ids, paths, task ids,
 * error codes and messages) and begins with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading `'` (OWASP's CSV-injection guidance), so a
 * spreadsheet shows it as text instead of running it as a formula. The
 * numeric columns are the tool's own and are written as they are; report.json
 * keeps every text raw.
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
  "video_duration",
  "video_width",
  "video_height",
  "video_codec",
  "video_mismatch",
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
  // Added columns: in a merged report, each job's shard; with --prices, its estimated cost.
  const merged = report.merged !== undefined;
  const priced = report.estimate !== undefined;
  yield stringify(
    [[
      ...REPORT_CSV_COLUMNS,
      ...(merged ? ["shard"] : []),
      ...(priced ? ["estimated_cost"] : []),
    ]],
    CSV_OPTIONS,
  );
  for (const job of report.jobs) {
    const row = csvRow(job);
    if (merged) row.push(textCell(job.shard ?? null));
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
    textCell(job.id),
    String(job.line),
    textCell(job.status),
    textCell(job.task_id),
    textCell(job.model),
    cell(job.seconds),
    textCell(job.size),
    textCell(job.resolution),
    textCell(job.images.join("|")),
    textCell(job.output),
    cell(job.bytes),
    textCell(job.sha256),
    String(job.attempts),
    textCell(job.submitted_at),
    textCell(job.completed_at),
    textCell(job.downloaded_at),
    textCell(job.error?.code ?? null),
    textCell(job.error?.message ?? null),
    textCell(job.prompt),
    cell(job.video_duration),
    cell(job.video_width),
    cell(job.video_height),
    textCell(job.video_codec),
    // Several differences in one cell, as `images` joins its paths.
    textCell(job.video_mismatch === null ? null : job.video_mismatch.join("; ")),
  ];
}

/** Cells a spreadsheet would read as a formula (or as the start of one). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell as a spreadsheet can open it safely: text that a spreadsheet
 * would run as a formula gets a leading `'`. csv-stringify quotes the result
 * when it holds a comma, a quote or a line break.
 *
 * @param value The text as the report holds it.
 * @returns The cell.
 */
export function csvTextCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function textCell(value: string | null): string {
  return value === null ? "" : csvTextCell(value);
}

/** A cell of the tool's own (a number, or text it wrote), as it is. */
function cell(value: string | number | null): string {
  return value === null ? "" : String(value);
}
