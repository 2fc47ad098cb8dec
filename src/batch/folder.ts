/**
 * What every use case of an output folder shares: locking it, the inputs
 * that must stay out of it, the journal's states (with a notice for corrupt
 * lines), and the report built from them.
 *
 * @module
 */
import { BatchError, ConfigError, messageOf } from "../errors.ts";
import type { InputFile } from "../out_dir.ts";
import type { ValidationResult } from "../manifest/validate.ts";
import { journalPath } from "../manifest/paths.ts";
import { JournalReplay, readJournal } from "../journal/replay.ts";
import type { JobState } from "../journal/events.ts";
import { acquireLock, type OutputLock } from "../journal/lock.ts";
import { foldRecoveryFiles, readRecoveryFiles } from "../journal/recovery.ts";
import type { ReportExtras } from "../report/html.ts";
import { buildReport, type ReportModel } from "../report/summary.ts";
import { plural } from "../text.ts";
import { VERSION } from "../version.ts";

/**
 * The files a use case reads that must not lie where the tool writes: the
 * manifest, the valid jobs' reference images, and the `--models` and
 * `--prices` files.
 *
 * @param manifest The manifest's path.
 * @param files The `--models` and `--prices` files, when given.
 * @param validation The validated manifest.
 * @returns The inputs, each with its role for messages.
 */
export function inputFilesOf(
  manifest: string,
  files: { modelsFile?: string | undefined; pricesFile?: string | undefined },
  validation: ValidationResult,
): InputFile[] {
  const images: InputFile[] = [];
  for (const job of validation.jobs) {
    for (const image of job.images) images.push({ path: image.resolved, role: imageRole(job.id) });
  }
  return inputFilesWith(manifest, files, images);
}

/**
 * The files a use case reads that must not lie where the tool writes, from
 * the images already listed (the resume index keeps them without the jobs).
 *
 * @param manifest The manifest's path.
 * @param files The `--models` and `--prices` files, when given.
 * @param images The images, each with its role ({@linkcode imageRole}).
 * @returns The inputs, each with its role for messages.
 */
export function inputFilesWith(
  manifest: string,
  files: { modelsFile?: string | undefined; pricesFile?: string | undefined },
  images: Iterable<InputFile>,
): InputFile[] {
  const inputs: InputFile[] = [{ path: manifest, role: "the manifest" }];
  if (files.modelsFile !== undefined) {
    inputs.push({ path: files.modelsFile, role: "the --models file" });
  }
  if (files.pricesFile !== undefined) {
    inputs.push({ path: files.pricesFile, role: "the --prices file" });
  }
  for (const image of images) inputs.push(image);
  return inputs;
}

/**
 * What an image is called in a message about inputs.
 *
 * @param job The id of a job that sends it.
 * @returns E.g. `the image of job "intro"`.
 */
export function imageRole(job: string): string {
  return `the image of job "${job}"`;
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
 * Lock an output folder, creating it (and its parents) if needed.
 *
 * @param outDir The folder.
 * @returns The held lock.
 * @throws {LockHeldError} When another run holds it.
 * @throws {ConfigError} When the folder names a file or cannot be created or locked.
 */
export async function lockOutDir(outDir: string): Promise<OutputLock> {
  await checkOutDir(outDir);
  try {
    return await acquireLock(outDir);
  } catch (error) {
    if (error instanceof BatchError) throw error;
    throw outDirError(outDir, error);
  }
}

function outDirError(outDir: string, cause: unknown): ConfigError {
  return new ConfigError(`Cannot use ${outDir} as the output folder: ${messageOf(cause)}`, {
    code: "out_dir",
  });
}

/**
 * Replay an output folder's journal and any recovery files not folded into it
 * yet, with a notice when lines could not be read and were skipped (a torn
 * last line, normal after a crash, is not mentioned) and for each such file.
 *
 * @param outDir The output folder.
 * @param notice Receives the notice.
 * @param replay The replay to feed, for a caller that keeps it current afterwards.
 * @returns The states, by job id.
 */
export async function readJournalWithNotice(
  outDir: string,
  notice: (line: string) => void,
  replay: JournalReplay = new JournalReplay(),
): Promise<Map<string, JobState>> {
  const path = journalPath(outDir);
  const { skipped } = await readJournal(path, replay);
  if (skipped > 0) {
    const newer = replay.unknownType === undefined
      ? ""
      : ` (event type "${replay.unknownType}" is unknown to seedance-batch ${VERSION}: a newer version wrote it; run that version)`;
    notice(
      `warning: ${path}: ${plural(skipped, "corrupt line")} skipped; ` +
        `the events they held are not counted${newer}`,
    );
  }
  // Recovery files not folded yet (`run` folds them under the lock before
  // reading): counted, so every command shows what the next run will know.
  for (const file of await readRecoveryFiles(outDir)) {
    if (file.events === undefined) {
      notice(`warning: ${file.error}`);
      continue;
    }
    for (const event of file.events) replay.apply(event);
    if (file.events.length > 0) {
      notice(
        `warning: ${file.path}: ${plural(file.events.length, "event")} not in the journal yet ` +
          `(counted here; the next run adds them)`,
      );
    }
  }
  return replay.states;
}

/**
 * Fold the recovery files an earlier run left (events its journal could not
 * take) into the journal, with a notice for each.
 *
 * @param outDir The output folder (locked by the caller).
 * @param notice Receives a line per folded file, and a warning for a torn last line.
 * @throws {BatchError} (exit 2) When a recovery file cannot be used; nothing is sent then.
 */
export async function foldRecoveryWithNotice(
  outDir: string,
  notice: (line: string) => void,
): Promise<void> {
  for (const file of await foldRecoveryFiles(outDir, journalPath(outDir))) {
    if (file.events > 0) {
      notice(`recovered: ${plural(file.events, "event")} from ${file.path} added to the journal`);
    }
    if (file.tornTail) notice(`warning: ${file.path}: its last line was cut short and was dropped`);
  }
}

/**
 * The report of a validated manifest and what the journal says now.
 *
 * @param validation The validated manifest.
 * @param states The journal's states, by job id.
 * @param now The report's time.
 * @returns The report model.
 */
export function buildBatchReport(
  validation: ValidationResult,
  states: ReadonlyMap<string, JobState>,
  now: Date,
): ReportModel {
  return buildReport({
    manifest: validation.manifest,
    jobs: validation.jobs,
    invalid: validation.invalid,
    states,
    generatedAt: now,
  });
}

/**
 * What the HTML report shows beyond report.json: each valid job's reference
 * images on disk (shown as thumbnails). The prompts are in the model itself.
 *
 * @param validation The validated manifest.
 * @returns The extras for `writeReports`.
 */
export function reportExtrasOf(validation: ValidationResult): ReportExtras {
  return {
    // Only the jobs with images: a map of a million empty lists is no help.
    imageFiles: new Map(
      validation.jobs.filter((job) => job.images.length > 0).map((
        job,
      ) => [job.id, job.images.map((image) => image.resolved)]),
    ),
  };
}
