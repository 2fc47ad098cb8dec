/**
 * report.md: the report as Markdown (GitHub flavoured) for people: the totals,
 * then one table row per job (its prompt in the last column). Pure.
 *
 * @module
 */
import { REPORT_STATUSES, type ReportJob, type ReportModel, type ReportTotals } from "./summary.ts";
import { jobMessage, manifestName, videoHref } from "./format.ts";
import { estimateMarkdown } from "./estimate.ts";

const TOTAL_COLUMNS: readonly (keyof ReportTotals)[] = ["jobs", ...REPORT_STATUSES];

/**
 * Render report.md in pieces: the title and totals, the jobs table's head,
 * then one chunk per job row. Every line ends with a line break.
 *
 * @param report The report model.
 * @returns The file's text, chunk by chunk.
 */
export function* renderReportMarkdownChunks(report: ReportModel): Generator<string> {
  const head = [
    `# Seedance batch report: ${inline(manifestName(report.manifest))}`,
    "",
    `Manifest ${inline(report.manifest)}, generated ${inline(report.generated_at)}.`,
    "",
    "## Totals",
    "",
    row(TOTAL_COLUMNS),
    row(TOTAL_COLUMNS.map(() => "---:")),
    row(TOTAL_COLUMNS.map((column) => String(report.totals[column]))),
    "",
    ...mismatchNote(report.totals.mismatched ?? 0),
    ...(report.estimate ? estimateMarkdown(report.estimate, inline) : []),
    "## Jobs",
    "",
  ];
  if (report.jobs.length === 0) {
    yield lines([...head, "The manifest has no jobs."]);
    return;
  }
  // In a merged report, an added last column: the job's shard.
  const merged = report.merged !== undefined;
  const columns = ["id", "status", "model", "seconds", "size", "resolution", "output", "error"];
  yield lines([
    ...head,
    row([...columns, "prompt", ...(merged ? ["shard"] : [])]),
    row([
      "---",
      "---",
      "---",
      "---:",
      "---",
      "---",
      "---",
      "---",
      "---",
      ...(merged ? ["---"] : []),
    ]),
  ]);
  for (const job of report.jobs) {
    yield `${jobRow(job, merged)}\n`;
  }
}

/**
 * Render report.md.
 *
 * @param report The report model.
 * @returns The file's text.
 */
export function renderReportMarkdown(report: ReportModel): string {
  return Array.from(renderReportMarkdownChunks(report)).join("");
}

/** Lines of text, each ended by a line break. */
function lines(text: readonly string[]): string {
  return text.map((line) => `${line}\n`).join("");
}

function jobRow(job: ReportJob, merged: boolean): string {
  const output = job.output === null
    ? ""
    : `[${inline(job.output)}](${videoHref(job.output)})${videoNote(job)}`;
  return row([
    inline(job.id),
    job.status,
    inline(job.model),
    job.seconds === null ? "" : String(job.seconds),
    inline(job.size),
    inline(job.resolution),
    output,
    inline(jobMessage(job)),
    inline(job.prompt),
    ...(merged ? [inline(job.shard ?? null)] : []),
  ]);
}

/** A warning under the totals when some videos are not what was asked for. */
function mismatchNote(mismatched: number): string[] {
  if (mismatched === 0) return [];
  const videos = mismatched === 1 ? "1 video does" : `${mismatched} videos do`;
  return [
    `**${videos} not match what was asked for** (a warning: see "does not match" below).`,
    "",
  ];
}

/** What the video file is (after its link), and how it differs from the request. */
function videoNote(job: ReportJob): string {
  if (job.video_duration === null) return "";
  const facts = inline(
    `${job.video_duration} s, ${job.video_width}x${job.video_height}, ${job.video_codec}`,
  );
  const mismatch = job.video_mismatch ?? [];
  return mismatch.length === 0
    ? `<br>${facts}`
    : `<br>${facts}<br>**does not match:** ${inline(mismatch.join("; "))}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/**
 * Text as inline Markdown: the punctuation that could make data a link,
 * emphasis, code, math, a tag, an entity, a heading's end or a new table column is
 * backslash-escaped; line breaks become `<br>`, the one line break a table cell
 * can hold.
 */
function inline(text: string | null): string {
  if (text === null) return "";
  return text
    .replace(/[\\`*_[\]<>|~&$#]/g, "\\$&")
    .replace(/\r\n|\r|\n/g, "<br>");
}
