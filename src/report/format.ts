/**
 * The wording and the links report.md and report.html share, so the two say
 * the same thing about a job. Pure.
 *
 * @module
 */
import type { ReportJob } from "./summary.ts";

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

function encodeSegment(segment: string): string {
  // encodeURIComponent leaves these alone; an unbalanced parenthesis would end a Markdown link.
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
