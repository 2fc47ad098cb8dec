/**
 * What `run`, `status` and `report` share: the validated manifest, its output
 * folder, and the report built from the journal.
 *
 * @module
 */
import { relative, resolve } from "node:path";
import type { CliIO } from "./io.ts";
import { ConfigError } from "../errors.ts";
import { loadCatalog } from "../catalog_file.ts";
import { validateManifest, type ValidationResult } from "../manifest/validate.ts";
import { defaultOutDir, journalPath } from "../manifest/paths.ts";
import { readJournalStates } from "../journal/replay.ts";
import type { JobState } from "../journal/events.ts";
import { buildReport, type ReportModel } from "../report/summary.ts";

/**
 * Validate a manifest with the catalog the user chose.
 *
 * @param command The manifest path and the optional `--models` file.
 * @returns The validation result.
 */
export async function loadJobs(
  command: { manifest: string; models?: string },
): Promise<ValidationResult> {
  const catalog = await loadCatalog(command.models);
  return await validateManifest(command.manifest, { catalog });
}

/**
 * The output folder of a command: `--out`, or the manifest's default.
 *
 * @param command The manifest path and the optional `--out`.
 * @returns The folder's absolute path.
 */
export function outDirOf(command: { manifest: string; out?: string }): string {
  return resolve(command.out ?? defaultOutDir(command.manifest));
}

/**
 * Check that an output folder, if it exists, is a folder.
 *
 * @param outDir The folder.
 * @returns The folder.
 * @throws {ConfigError} When the path names a file or cannot be looked at.
 */
export async function checkOutDir(outDir: string): Promise<string> {
  try {
    if (!(await Deno.stat(outDir)).isDirectory) {
      throw new ConfigError(`Cannot use ${outDir} as the output folder: it is a file`, {
        code: "out_dir",
      });
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (!(error instanceof Deno.errors.NotFound)) throw outDirError(outDir, error);
  }
  return outDir;
}

/**
 * Make sure an output folder exists (creating it and its parents).
 *
 * @param outDir The folder.
 * @returns The folder.
 * @throws {ConfigError} When it cannot be created or names a file.
 */
export async function prepareOutDir(outDir: string): Promise<string> {
  await checkOutDir(outDir);
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (error) {
    throw outDirError(outDir, error);
  }
  return outDir;
}

function outDirError(outDir: string, cause: unknown): ConfigError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ConfigError(`Cannot use ${outDir} as the output folder: ${reason}`, {
    code: "out_dir",
  });
}

/**
 * Build the report from the jobs and what the journal says now.
 *
 * @param validation The validated manifest.
 * @param outDir The output folder.
 * @param now The report's time.
 * @param states The journal's states when the caller has them already.
 * @returns The report model.
 */
export async function currentReport(
  validation: ValidationResult,
  outDir: string,
  now: Date,
  states?: ReadonlyMap<string, JobState>,
): Promise<ReportModel> {
  states ??= await readJournalStates(journalPath(outDir));
  return buildReport({
    manifest: validation.manifest,
    jobs: validation.jobs,
    invalid: validation.invalid,
    states,
    generatedAt: now,
  });
}

/**
 * Print validation problems, one line each, as `file:line: job "id" field "f": message`.
 *
 * @param io Where to print (standard error).
 * @param validation The validation result.
 */
export function printIssues(io: CliIO, validation: ValidationResult): void {
  const file = relative(Deno.cwd(), validation.manifest) || validation.manifest;
  for (const issue of validation.errors) io.stderr(`${describeIssue(file, issue)}`);
  for (const issue of validation.warnings) io.stderr(`warning: ${describeIssue(file, issue)}`);
}

function describeIssue(
  file: string,
  issue: ValidationResult["errors"][number],
): string {
  const where = issue.line === null ? file : `${file}:${issue.line}`;
  const job = issue.job === null ? "" : ` job "${issue.job}"`;
  const field = issue.field === null ? "" : ` field "${issue.field}"`;
  return `${where}:${job}${field}: ${issue.message}`;
}
