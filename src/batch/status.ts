/**
 * Where a batch stands, from its output folder's journal alone: no lock, no
 * network, nothing written.
 *
 * @module
 */
import { verifiedStates } from "../runner/verify_videos.ts";
import type { ExitCode } from "../errors.ts";
import { ExitCode as Codes } from "../errors.ts";
import type { ValidationResult } from "../manifest/validate.ts";
import { defaultOutDir } from "../manifest/paths.ts";
import { runExitCode } from "../report/outcome.ts";
import type { ReportModel } from "../report/summary.ts";
import { buildBatchReport, checkOutDir, readJournalWithNotice } from "./folder.ts";

/** Options of {@linkcode batchStatus}. */
export interface BatchStatusOptions {
  /** The output folder. @default `<manifest folder>/<manifest name>.out` */
  out?: string;
  /** Receives notices a person should read (corrupt journal lines). */
  onNotice?: (line: string) => void;
  /** The report's time. @default now */
  now?: Date;
}

/** Where a batch stands. */
export interface BatchStatus {
  /** Each job's state as the journal has it, with the totals. */
  report: ReportModel;
  /**
   * The code a `run` would end with for this state: 0 all done, 1 something
   * failed or is uncertain and nothing is left to progress, 3 work pending
   * (also before any run), 2 when the manifest has invalid jobs.
   */
  exitCode: ExitCode;
}

/**
 * Read where a batch stands.
 *
 * @param validation From `validateManifest()`.
 * @param options The output folder.
 * @returns The report model and the exit code a run would end with.
 * @throws {ConfigError} When the output folder is a file or cannot be read.
 */
export async function batchStatus(
  validation: ValidationResult,
  options: BatchStatusOptions = {},
): Promise<BatchStatus> {
  const outDir = await checkOutDir(options.out ?? defaultOutDir(validation.manifest));
  const states = await readJournalWithNotice(outDir, options.onNotice ?? (() => {}));
  const report = buildBatchReport(
    validation,
    await verifiedStates(outDir, states),
    options.now ?? new Date(),
  );
  // A run would refuse an invalid manifest; otherwise the state says what a run would end with.
  const exitCode = validation.errors.length > 0 ? Codes.Usage : runExitCode(report.totals);
  return { report, exitCode };
}
