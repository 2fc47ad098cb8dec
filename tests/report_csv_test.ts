import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { csvTextCell, renderReportCsv, REPORT_CSV_COLUMNS } from "../src/report/csv.ts";
import { buildReport, type ReportJob, type ReportModel } from "../src/report/summary.ts";
import { makeJob } from "./helpers/jobs.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";

/** What a reader of report.csv should get back for a job: every field as text. */
function expectedRecord(job: ReportJob): Record<string, string> {
  const text = (value: string | number | null): string => value === null ? "" : String(value);
  return {
    id: job.id,
    line: String(job.line),
    status: job.status,
    task_id: text(job.task_id),
    model: text(job.model),
    seconds: text(job.seconds),
    size: text(job.size),
    resolution: text(job.resolution),
    images: job.images.join("|"),
    output: text(job.output),
    bytes: text(job.bytes),
    sha256: text(job.sha256),
    attempts: String(job.attempts),
    submitted_at: text(job.submitted_at),
    completed_at: text(job.completed_at),
    downloaded_at: text(job.downloaded_at),
    error_code: text(job.error?.code ?? null),
    error_message: text(job.error?.message ?? null),
    // User text that a spreadsheet would run as a formula gets a leading quote.
    prompt: csvTextCell(text(job.prompt)),
    video_duration: text(job.video_duration),
    video_width: text(job.video_width),
    video_height: text(job.video_height),
    video_codec: csvTextCell(text(job.video_codec)),
    video_mismatch: csvTextCell(job.video_mismatch?.join("; ") ?? ""),
  };
}

Deno.test("renderReportCsv() round-trips every job's fields through csv-parse", () => {
  const records = parse(renderReportCsv(REPORT_FIXTURE), { columns: true });
  assert.deepEqual(records, REPORT_FIXTURE.jobs.map(expectedRecord));
});

Deno.test("renderReportCsv() has a column for every report.json job field, in its order", () => {
  const [header] = parse(renderReportCsv(REPORT_FIXTURE), { to_line: 1 }) as string[][];
  assert.deepEqual(header, REPORT_CSV_COLUMNS);
  const built = buildReport({
    manifest: "m.yaml",
    jobs: [makeJob({ id: "a" })],
    states: new Map(),
    generatedAt: new Date(0),
  });
  const fields = Object.keys(built.jobs[0]).flatMap((key) =>
    key === "error" ? ["error_code", "error_message"] : [key]
  );
  assert.deepEqual(header, fields);
});

Deno.test("renderReportCsv() quotes commas, quotes and line breaks as RFC 4180 says", async (t) => {
  const hostile = [
    'say "hi", then leave',
    "line one\nline two",
    "carriage\rreturn",
    "crlf\r\nend",
    " padded ",
    "=SUM(A1:A2)",
    "",
  ];
  const report: ReportModel = {
    ...REPORT_FIXTURE,
    jobs: hostile.map((text, index) => ({
      ...REPORT_FIXTURE.jobs[2],
      id: `job-${index}`,
      error: { code: "failed", message: text },
    })),
  };
  const csv = renderReportCsv(report);
  await t.step("records end with CRLF", () => {
    assert(csv.startsWith(`${REPORT_CSV_COLUMNS.join(",")}\r\n`));
    assert(csv.endsWith("\r\n"));
  });
  await t.step("a field with a quote or comma is quoted, its quotes doubled", () => {
    assert(csv.includes(`,"say ""hi"", then leave",`));
  });
  await t.step("every message parses back unchanged, a formula behind a quote mark", () => {
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      records.map((record) => record.error_message),
      hostile.map((text) => text.startsWith("=") ? `'${text}` : text),
    );
  });
});

Deno.test("renderReportCsv() has each job's prompt in an added prompt column", () => {
  const records = parse(renderReportCsv(REPORT_FIXTURE), { columns: true }) as Record<
    string,
    string
  >[];
  assert.deepEqual(records.map((record) => record.prompt), [
    'A paper lantern drifts over a "still" lake at dusk & <b>fades</b>',
    `'=HYPERLINK("http://x") | a pipe, a comma\nand a second line`,
    "prompt of rejected",
    "",
    "prompt of later",
    "prompt of rendering",
    "prompt of lost",
  ]);
});

Deno.test("renderReportCsv() writes only the header when there are no jobs", () => {
  const empty: ReportModel = { ...REPORT_FIXTURE, jobs: [] };
  assert.equal(renderReportCsv(empty), `${REPORT_CSV_COLUMNS.join(",")}\r\n`);
});

Deno.test("renderReportCsv() neutralises text cells a spreadsheet would run as formulas", async (t) => {
  const hostile = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tlead tab", "\rlead CR"];
  for (const text of hostile) {
    await t.step(JSON.stringify(text), () => {
      const job: ReportJob = {
        ...REPORT_FIXTURE.jobs[0],
        id: text,
        task_id: text,
        model: text,
        size: text,
        resolution: text,
        images: [text, "b.png"],
        output: text,
        sha256: text,
        submitted_at: text,
        error: { code: text, message: `${text},"quoted"\nnext` },
      };
      const csv = renderReportCsv({ ...REPORT_FIXTURE, jobs: [job] });
      const [record] = parse(csv, { columns: true }) as Record<string, string>[];
      for (const column of ["id", "task_id", "model", "size", "resolution", "output", "sha256"]) {
        assert.equal(record[column], `'${text}`, column);
      }
      assert.equal(record.images, `'${text}|b.png`);
      assert.equal(record.submitted_at, `'${text}`);
      assert.equal(record.error_code, `'${text}`);
      assert.equal(record.error_message, `'${text},"quoted"\nnext`);
      // The tool's own numbers are written as they are.
      assert.equal(record.line, String(job.line));
      assert.equal(record.attempts, String(job.attempts));
    });
  }
  await t.step("text that only contains such characters is unchanged", () => {
    const job: ReportJob = { ...REPORT_FIXTURE.jobs[0], id: "a=1", output: "clip-1.mp4" };
    const [record] = parse(renderReportCsv({ ...REPORT_FIXTURE, jobs: [job] }), {
      columns: true,
    }) as Record<string, string>[];
    assert.equal(record.id, "a=1");
    assert.equal(record.output, "clip-1.mp4");
  });
});
