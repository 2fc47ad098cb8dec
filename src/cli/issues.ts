/**
 * Validation findings as text and JSON, the one rendering every command
 * uses (`validate` and `plan` on stdout; `run`, `status` and `report` on
 * stderr when they refuse a manifest):
 *
 * ```
 * manifest.yaml:14: job "intro" field "seconds": seconds 16 is out of range for doubao-seedance-2-0 (4..15)
 * manifest.yaml:20: warning: job "b" field "image": image a.png is 200x200 px; ...
 * manifest.yaml: invalid: 1 of 6 jobs with errors (1 error, 1 warning)
 * ```
 *
 * @module
 */
import type { Issue, ValidationCounts, ValidationResult } from "../manifest/validate.ts";
import { plural } from "../text.ts";

/** What the renderings read of a validation: a full result, or only its counts. */
export type Findings =
  | Pick<ValidationResult, "errors" | "warnings" | "total" | "entries" | "invalid">
  | Pick<ValidationCounts, "errors" | "warnings" | "total" | "entries" | "invalid">;

/**
 * One text line per error, then per warning:
 * `manifest.yaml:14: job "intro" field "seconds": message`, warnings marked `warning:`.
 *
 * @param result What validation found.
 * @param display The manifest's name as the user wrote it.
 * @returns The lines, without newlines.
 */
export function issueLines(result: Findings, display: string): string[] {
  return [
    ...result.errors.map((issue) => formatIssue(issue, display, "error")),
    ...result.warnings.map((issue) => formatIssue(issue, display, "warning")),
  ];
}

function formatIssue(issue: Issue, display: string, severity: "error" | "warning"): string {
  const where = issue.line === null ? display : `${display}:${issue.line}`;
  const subject = [
    issue.job === null ? undefined : `job ${JSON.stringify(issue.job)}`,
    issue.field === null ? undefined : `field ${JSON.stringify(issue.field)}`,
  ].filter((part) => part !== undefined).join(" ");
  const mark = severity === "warning" ? "warning: " : "";
  return `${where}: ${mark}${subject ? `${subject}: ` : ""}${issue.message}`;
}

/**
 * The last line of `validate`'s text output.
 *
 * @param result What validation found.
 * @param display The manifest's name as the user wrote it.
 * @returns E.g. `manifest.yaml: ok: 6 jobs (0 errors, 0 warnings)`.
 */
export function summaryLine(result: Findings, display: string): string {
  const counts = `${plural(result.errors.length, "error")}, ${
    plural(result.warnings.length, "warning")
  }`;
  if (result.errors.length === 0) {
    return `${display}: ok: ${jobCount(result)} (${counts})`;
  }
  const fanout = result.entries === undefined ? "" : `${jobCount(result)}; `;
  const invalid = typeof result.invalid === "number" ? result.invalid : result.invalid.length;
  return `${display}: invalid: ${invalid} of ${
    plural(result.total, "job")
  } with errors (${fanout}${counts})`;
}

/**
 * How many jobs a manifest holds, and how many entries they come from when some fan out.
 *
 * @param result What validation found.
 * @returns E.g. `6 jobs`, or `3 entries expand to 240 jobs`.
 */
export function jobCount(result: Pick<ValidationResult, "total" | "entries">): string {
  if (result.entries === undefined) return plural(result.total, "job");
  const entries = result.entries === 1 ? "1 entry expands" : `${result.entries} entries expand`;
  return `${entries} to ${plural(result.total, "job")}`;
}

/**
 * The contract's `validate --json` document.
 *
 * @param result What validation found.
 * @returns One line of JSON: `{"ok","jobs","errors","warnings"}`, with `entries` after
 * `jobs` when some entries fan out (`variants`, `matrix`).
 */
export function validationJson(result: Findings): string {
  return JSON.stringify({
    ok: result.errors.length === 0,
    jobs: result.total,
    ...(result.entries === undefined ? {} : { entries: result.entries }),
    errors: result.errors.map(issueJson),
    warnings: result.warnings.map(issueJson),
  });
}

/**
 * One issue as the JSON object `validate --json` prints.
 *
 * @param issue The issue.
 * @returns Exactly the contract's `{job, line, field, message}`.
 */
export function issueJson(issue: Issue): Record<string, unknown> {
  return { job: issue.job, line: issue.line, field: issue.field, message: issue.message };
}
