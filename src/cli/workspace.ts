/**
 * What the manifest commands share: the validated manifest (and refusing
 * one that cannot be used), its output folder and lock, the journal's
 * states, and the report built from them.
 *
 * @module
 */
import { resolve } from "node:path";
import type { CliIO } from "./io.ts";
import { issueLines } from "./issues.ts";
import { ManifestError, UsageError } from "../errors.ts";
import type { InputFile } from "../out_dir.ts";
import { loadCatalog } from "../catalog_file.ts";
import {
  countManifest,
  validateManifest,
  type ValidationCounts,
  type ValidationResult,
} from "../manifest/validate.ts";
import { defaultOutDir } from "../manifest/paths.ts";
import type { JournalReplay } from "../journal/replay.ts";
import type { JobState } from "../journal/events.ts";
import type { ReportExtras } from "../report/html.ts";
import type { ReportModel, ReportTotals } from "../report/summary.ts";
import {
  buildBatchReport,
  inputFilesOf as batchInputFilesOf,
  readJournalWithNotice,
  reportExtrasOf,
} from "../batch/folder.ts";

export { checkOutDir, lockOutDir } from "../batch/folder.ts";
import { plural } from "../text.ts";
import { inShard, type Shard, shardOf, shardOutDir } from "../shard.ts";
import { verifiedStates } from "../runner/verify_videos.ts";

/** Options of {@linkcode loadJobs}. */
export interface LoadJobsOptions {
  /**
   * Return a file that cannot be read as a manifest (or a bad `--models`
   * file) as a result holding that one error, instead of throwing it: for
   * `--json` output, which must keep its shape.
   * @default false
   */
  fileFailureAsIssue?: boolean;
}

/**
 * Validate a manifest with the catalog the user chose; with `--shard`, the
 * result narrowed to that shard's jobs (a `ShardedValidation`).
 *
 * @param command The manifest path and the optional `--models` file.
 * @param options Whether a file-level failure comes back as an issue.
 * @returns The validation result.
 * @throws {ManifestError} When the manifest or the models file cannot be read
 * (unless `fileFailureAsIssue`).
 */
export async function loadJobs(
  command: { manifest: string; models?: string; shard?: Shard },
  options: LoadJobsOptions = {},
): Promise<ValidationResult> {
  try {
    const catalog = await loadCatalog(command.models);
    const validation = await validateManifest(command.manifest, { catalog });
    // Narrowed after validation, so duplicate ids are checked over the whole manifest.
    return command.shard === undefined ? validation : shardOf(validation, command.shard);
  } catch (error) {
    if (options.fileFailureAsIssue && error instanceof ManifestError) return fileFailure(error);
    throw error;
  }
}

/** What {@linkcode countJobs} found: the counts and issues, and the shard counted. */
export interface JobCounts extends ValidationCounts {
  /** With `--shard`: the shard counted (`total` is its share, `manifestTotal` the whole). */
  shard?: Shard;
}

/**
 * Validate a manifest as {@linkcode loadJobs} does, keeping only the counts,
 * the errors and the warnings (the `validate` command needs no more): with
 * `--shard`, only that shard's jobs and issues are counted, duplicate ids
 * still found over the whole manifest.
 *
 * @param command The manifest path, the optional `--models` file and `--shard`.
 * @param options Whether a file-level failure comes back as an issue.
 * @returns The counts, errors and warnings.
 * @throws {ManifestError} When the manifest or the models file cannot be read
 * (unless `fileFailureAsIssue`).
 */
export async function countJobs(
  command: { manifest: string; models?: string; shard?: Shard },
  options: LoadJobsOptions = {},
): Promise<JobCounts> {
  const { shard } = command;
  try {
    const catalog = await loadCatalog(command.models);
    const only = shard === undefined ? undefined : (id: string): boolean => inShard(id, shard);
    const counts = await countManifest(command.manifest, { catalog, only });
    return shard === undefined ? counts : { ...counts, shard };
  } catch (error) {
    if (options.fileFailureAsIssue && error instanceof ManifestError) {
      const { manifest, errors, warnings } = fileFailure(error);
      return { manifest, valid: 0, invalid: 0, errors, warnings, total: 0, manifestTotal: 0 };
    }
    throw error;
  }
}

/** A validation result holding only a file-level failure. */
function fileFailure(error: ManifestError): ValidationResult {
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
 * Print validation problems to standard error, one line each, as `validate` does.
 *
 * @param io Where to print.
 * @param validation The validation result.
 * @param display The manifest's name as the user wrote it.
 */
export function printIssues(io: CliIO, validation: ValidationResult, display: string): void {
  for (const line of issueLines(validation, display)) io.stderr(line);
}

/** Options of {@linkcode refuseProblems}. */
export interface RefusalOptions {
  /** The manifest as the user wrote it. */
  manifest: string;
  /** What the command does, completing "Cannot <action> <manifest>", e.g. `run`. */
  action: string;
  /** Whether the command can leave invalid jobs out (then only a problem of the manifest as a whole stops it). */
  allowInvalidJobs: boolean;
  /** What did not happen, appended to the message, e.g. `nothing was sent`. */
  outcome?: string;
  /** How to go on without the invalid jobs, shown when they alone stopped the command. */
  hint?: string;
}

/**
 * Stop a command the manifest's problems rule out: print them, then throw.
 * A problem of the manifest as a whole always stops it (none of its jobs can
 * be trusted); problems of single jobs only when it cannot leave them out.
 *
 * @param io Where to print the problems (standard error).
 * @param validation The validation result.
 * @param options The command's wording and whether it can leave invalid jobs out.
 * @throws {ManifestError} When the command cannot go on.
 */
export function refuseProblems(
  io: CliIO,
  validation: ValidationResult,
  options: RefusalOptions,
): void {
  const wholeManifest = validation.errors.some((issue) => issue.index === null);
  if (!wholeManifest && (options.allowInvalidJobs || validation.errors.length === 0)) return;
  printIssues(io, validation, options.manifest);
  throw new ManifestError(
    `Cannot ${options.action} ${options.manifest}: ` +
      `${plural(validation.errors.length, "problem")} found` +
      (options.outcome ? `, ${options.outcome}` : "") +
      (!wholeManifest && options.hint ? ` (${options.hint})` : ""),
    { file: options.manifest },
  );
}

/**
 * The output folder of a command: `--out`, or the manifest's default.
 *
 * @param command The manifest path and the optional `--out`.
 * @returns The folder's absolute path.
 */
export function outDirOf(command: { manifest: string; out?: string; shard?: Shard }): string {
  return resolve(outFlagOf(command));
}

/**
 * The output folder as the user wrote it (`--out`), or the manifest's default
 * (with `--shard K/N`, its `shard-K-of-N` folder); relative paths stay relative.
 *
 * @param command The manifest path and the optional `--out`.
 * @returns The folder.
 * @throws {UsageError} When `--out` is empty or only spaces (it would make the
 * current folder the output folder).
 */
export function outFlagOf(command: { manifest: string; out?: string; shard?: Shard }): string {
  if (command.out !== undefined && command.out.trim() === "") {
    throw new UsageError(
      "Cannot use an empty --out: name the output folder (or leave --out out for " +
        `${defaultOutDir(command.manifest)})`,
    );
  }
  if (command.out !== undefined) return command.out;
  const out = defaultOutDir(command.manifest);
  return command.shard === undefined ? out : shardOutDir(out, command.shard);
}

/**
 * The files a command reads that must not lie where the tool writes.
 *
 * @param command The manifest path and the optional `--models` and `--prices` files.
 * @param validation The validated manifest.
 * @returns The inputs, each with its role for messages.
 */
export function inputFilesOf(
  command: { manifest: string; models?: string; prices?: string },
  validation: ValidationResult,
): InputFile[] {
  const files = { modelsFile: command.models, pricesFile: command.prices };
  return batchInputFilesOf(command.manifest, files, validation);
}

/**
 * Replay an output folder's journal, warning on standard error when lines
 * in it could not be read and were skipped (a torn last line, normal after
 * a crash, is not mentioned).
 *
 * @param io Where to warn.
 * @param outDir The output folder.
 * @param replay The replay to feed, for a caller that keeps it current afterwards.
 * @returns The states, by job id.
 */
export function readStates(
  io: CliIO,
  outDir: string,
  replay?: JournalReplay,
): Promise<Map<string, JobState>> {
  return readJournalWithNotice(outDir, io.stderr, replay);
}

/**
 * Build the report from the jobs and what the journal says now, each done
 * video checked against the disk.
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
  states ??= await readJournalWithNotice(outDir, () => {});
  return buildBatchReport(validation, await verifiedStates(outDir, states), now);
}

/**
 * The totals as one line, as `run` and `status` end with.
 *
 * @param totals The report's counts.
 * @returns E.g. `6 jobs: 4 done, 1 running, 1 pending, 0 uncertain, 0 failed, 0 invalid`.
 */
export function totalsLine(totals: ReportTotals): string {
  return `${plural(totals.jobs, "job")}: ${totals.done} done, ${totals.running} running, ` +
    `${totals.pending} pending, ${totals.uncertain} uncertain, ${totals.failed} failed, ` +
    `${totals.invalid} invalid` +
    // A warning on done jobs, named only when there is one.
    ((totals.mismatched ?? 0) > 0 ? ` (${totals.mismatched} done not as asked for)` : "") +
    ((totals.changed ?? 0) > 0 ? ` (${totals.changed} of the failed edited since submitted)` : "");
}

/**
 * What the HTML report shows beyond report.json: each valid job's prompt.
 *
 * @param validation The validated manifest.
 * @returns The extras for `writeReports`.
 */
export function reportExtras(validation: ValidationResult): ReportExtras {
  return reportExtrasOf(validation);
}
