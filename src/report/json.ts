/**
 * report.json: the report model as pretty JSON. Pure.
 *
 * The text is exactly `JSON.stringify(report, null, 2) + "\n"`, produced a
 * job at a time so that a report of many jobs is never one string.
 *
 * @module
 */
import type { ReportModel } from "./summary.ts";

/** The indentation of report.json, as `JSON.stringify`'s `space` argument. */
const SPACE = 2;

/**
 * Render report.json in pieces: the envelope (manifest, time, totals) as one
 * chunk, one chunk per job, then the closing brackets. Joined, the chunks are
 * `JSON.stringify(report, null, 2) + "\n"` byte for byte.
 *
 * @param report The report model.
 * @returns The file's text, chunk by chunk.
 */
export function* renderReportJsonChunks(report: ReportModel): Generator<string> {
  // The model's own key order, as JSON.stringify would walk it; the text
  // before, between and after the jobs gathers into one chunk each.
  let text = "";
  for (const [key, value] of Object.entries(report)) {
    const name = `${text === "" ? "{" : ","}\n${indent(1)}${JSON.stringify(key)}: `;
    if (key === "jobs" && Array.isArray(value) && value.length > 0) {
      yield `${text}${name}[`;
      for (const [index, job] of value.entries()) {
        yield `${index === 0 ? "" : ","}\n${indent(2)}${pretty(job, 2)}`;
      }
      text = `\n${indent(1)}]`;
    } else if (JSON.stringify(value) !== undefined) {
      // (JSON.stringify leaves out a property whose value it cannot write.)
      text += name + pretty(value, 1);
    }
  }
  yield text === "" ? "{}\n" : `${text}\n}\n`;
}

/**
 * Render report.json.
 *
 * @param report The report model.
 * @returns The file's text.
 */
export function renderReportJson(report: ReportModel): string {
  return Array.from(renderReportJsonChunks(report)).join("");
}

/**
 * A value as `JSON.stringify(…, null, 2)` writes it when nested `depth`
 * levels deep: every line after the first indented by the depth. (Line breaks
 * inside strings are escaped, so every one in the text is the layout's.)
 */
function pretty(value: unknown, depth: number): string {
  // An array element JSON.stringify cannot write is written as null.
  const text = JSON.stringify(value, null, SPACE) ?? "null";
  return text.replaceAll("\n", `\n${indent(depth)}`);
}

function indent(depth: number): string {
  return " ".repeat(SPACE * depth);
}
