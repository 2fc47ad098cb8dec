/**
 * report.md: the report as Markdown (GitHub flavoured) for people: the totals,
 * then one table row per job. Pure.
 *
 * Also holds the wording and the links the HTML report shares with it, so the
 * two say the same thing about a job.
 *
 * @module
 */
import type { ReportJob, ReportModel, ReportTotals } from "./summary.ts";

const TOTAL_COLUMNS: readonly (keyof ReportTotals)[] = [
  "jobs",
  "done",
  "failed",
  "invalid",
  "pending",
  "running",
  "uncertain",
];

/**
 * Render report.md.
 *
 * @param report The report model.
 * @returns The file's text.
 */
export function renderReportMarkdown(report: ReportModel): string {
  const lines = [
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
    "## Jobs",
    "",
  ];
  if (report.jobs.length === 0) {
    lines.push("The manifest has no jobs.");
  } else {
    lines.push(
      row(["id", "status", "model", "seconds", "size", "resolution", "output", "error"]),
      row(["---", "---", "---", "---:", "---", "---", "---", "---"]),
      ...report.jobs.map(jobRow),
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * The file name of a manifest path (its last segment, `/` or `\` separated).
 *
 * @param manifest The manifest path as the report holds it.
 * @returns Its last segment.
 */
export function manifestName(manifest: string): string {
  return manifest.split(/[\\/]/).filter((part) => part !== "").at(-1) ?? manifest;
}

/**
 * A link to a job's video from a report in the output folder: the video's
 * path relative to `<out>` (as report.json holds it), URL-encoded per segment,
 * so spaces, `#`, `?` and the like stay part of the file name.
 *
 * @param output The video's path relative to the output folder, e.g. `videos/a b.mp4`.
 * @returns The relative URL, e.g. `videos/a%20b.mp4`.
 */
export function videoHref(output: string): string {
  return output.split(/[\\/]/).map(encodeSegment).join("/");
}

/**
 * What a person should read about a job next to its status: the error of a
 * failed or invalid job, or why an uncertain job is left alone.
 *
 * @param job The report row.
 * @returns The text, or null when there is nothing to say.
 */
export function jobMessage(job: ReportJob): string | null {
  if (job.error !== null) return job.error.message;
  if (job.status === "uncertain") {
    const when = job.submitted_at === null ? "" : ` at ${job.submitted_at}`;
    return `The submission${when} has an unknown outcome: a task may exist and be billed. ` +
      "It is not sent again unless you run with --resubmit-uncertain";
  }
  return null;
}

function jobRow(job: ReportJob): string {
  const output = job.output === null ? "" : `[${inline(job.output)}](${videoHref(job.output)})`;
  return row([
    inline(job.id),
    job.status,
    inline(job.model),
    job.seconds === null ? "" : String(job.seconds),
    inline(job.size),
    inline(job.resolution),
    output,
    inline(jobMessage(job)),
  ]);
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

function encodeSegment(segment: string): string {
  // encodeURIComponent leaves these alone; an unbalanced parenthesis would end a Markdown link.
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
