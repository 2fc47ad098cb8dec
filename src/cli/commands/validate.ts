/**
 * The `validate` command, and the rendering of validation findings that
 * `plan` (and any command refusing an invalid manifest) shares.
 *
 * Text mode prints one line per issue and a summary line on stdout:
 *
 * ```
 * manifest.yaml:14: job "intro" field "seconds": seconds 16 is out of range for doubao-seedance-2-0 (4..15)
 * manifest.yaml:20: warning: job "b" field "image": image a.png is 200x200 px; ...
 * manifest.yaml: invalid: 1 of 6 jobs with errors (1 error, 1 warning)
 * ```
 *
 * `--json` prints `{"ok","jobs","errors":[{"job","line","field","message","index","code"}],"warnings"}`.
 *
 * @module
 */
import type { ValidateCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode, ManifestError } from "../../errors.ts";
import { loadCatalog } from "../../catalog_file.ts";
import { type Issue, validateManifest, type ValidationResult } from "../../manifest/validate.ts";

/**
 * Run `validate`: exit 0 when every job is valid (warnings allowed), 2 otherwise.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export async function validateCommand(command: ValidateCommand, io: CliIO): Promise<ExitCode> {
  const result = await validateOrIssue(command.manifest, command.models, command.json);
  if (result instanceof ManifestError) {
    io.stdout(validationJson(fileFailure(result)));
    return ExitCode.Usage;
  }
  if (command.json) {
    io.stdout(validationJson(result));
  } else {
    for (const line of issueLines(result, command.manifest)) io.stdout(line);
    io.stdout(summaryLine(result, command.manifest));
  }
  return result.errors.length > 0 ? ExitCode.Usage : ExitCode.Ok;
}

/**
 * Load the catalog and validate. A file-level failure comes back as the
 * `ManifestError` when `json` (so the caller can still print the JSON
 * shape) and is thrown otherwise (main prints it).
 *
 * @param manifest The manifest path.
 * @param models The `--models` file, if any.
 * @param json Whether the caller prints JSON.
 * @returns The validation result, or the file-level error in JSON mode.
 */
export async function validateOrIssue(
  manifest: string,
  models: string | undefined,
  json: boolean,
): Promise<ValidationResult | ManifestError> {
  try {
    const catalog = await loadCatalog(models);
    return await validateManifest(manifest, { catalog });
  } catch (error) {
    if (json && error instanceof ManifestError) return error;
    throw error;
  }
}

/**
 * A validation result holding only a file-level failure.
 *
 * @param error The error that stopped loading.
 * @returns A result with no jobs and that one error.
 */
export function fileFailure(error: ManifestError): ValidationResult {
  return {
    manifest: error.file,
    jobs: [],
    invalid: [],
    errors: [{
      code: error.code,
      job: null,
      index: null,
      line: error.line ?? null,
      field: error.field ?? null,
      message: error.message,
    }],
    warnings: [],
    total: 0,
  };
}

/**
 * The contract's `validate --json` document.
 *
 * @param result What validation found.
 * @returns One line of JSON.
 */
export function validationJson(result: ValidationResult): string {
  return JSON.stringify({
    ok: result.errors.length === 0,
    jobs: result.total,
    errors: result.errors.map(issueJson),
    warnings: result.warnings.map(issueJson),
  });
}

/**
 * One text line per error, then per warning.
 *
 * @param result What validation found.
 * @param display The manifest's name as the user wrote it.
 * @returns The lines, without newlines.
 */
export function issueLines(result: ValidationResult, display: string): string[] {
  return [
    ...result.errors.map((issue) => formatIssue(issue, display, "error")),
    ...result.warnings.map((issue) => formatIssue(issue, display, "warning")),
  ];
}

/**
 * One issue as a line: `manifest.yaml:14: job "intro" field "seconds": message`.
 *
 * @param issue The issue.
 * @param display The manifest's name as the user wrote it.
 * @param severity Warnings are marked `warning:`.
 * @returns The line.
 */
export function formatIssue(issue: Issue, display: string, severity: "error" | "warning"): string {
  const where = issue.line === null ? display : `${display}:${issue.line}`;
  const subject = [
    issue.job === null ? undefined : `job ${JSON.stringify(issue.job)}`,
    issue.field === null ? undefined : `field ${JSON.stringify(issue.field)}`,
  ].filter((part) => part !== undefined).join(" ");
  const mark = severity === "warning" ? "warning: " : "";
  return `${where}: ${mark}${subject ? `${subject}: ` : ""}${issue.message}`;
}

/**
 * The last line of text output.
 *
 * @param result What validation found.
 * @param display The manifest's name as the user wrote it.
 * @returns E.g. `manifest.yaml: ok: 6 jobs (0 warnings)`.
 */
export function summaryLine(result: ValidationResult, display: string): string {
  const counts = `${plural(result.errors.length, "error")}, ${
    plural(result.warnings.length, "warning")
  }`;
  if (result.errors.length === 0) {
    return `${display}: ok: ${plural(result.total, "job")} (${counts})`;
  }
  return `${display}: invalid: ${result.invalid.length} of ${
    plural(result.total, "job")
  } with errors (${counts})`;
}

/**
 * One issue as the JSON object `validate --json` prints.
 *
 * @param issue The issue.
 * @returns `{job, line, field, message, index, code}`.
 */
export function issueJson(issue: Issue): Record<string, unknown> {
  return {
    job: issue.job,
    line: issue.line,
    field: issue.field,
    message: issue.message,
    index: issue.index,
    code: issue.code,
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
