/**
 * The `report` command: write the report files again from the journal, or
 * one report over several output folders (`--merge DIR`, or the
 * `shard-*-of-*` folders inside an output folder without a journal).
 *
 * @module
 */
import type { ReportCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import { basename, join } from "node:path";
import { shardOf, shardOfFolderName } from "../../shard.ts";
import {
  currentReport,
  inputFilesOf,
  loadJobs,
  lockOutDir,
  outDirOf,
  readStates,
  refuseProblems,
  reportExtras,
} from "../workspace.ts";
import { ReportWriteError, writeReports } from "../../report/write.ts";
import { refuseInputsInside, REPORT_FILES } from "../../out_dir.ts";
import { withEstimate } from "../../report/estimate.ts";
import { pricesOf } from "../prices.ts";
import { mergeFolders, shardFoldersIn } from "../../batch/merge.ts";
import { journalPath } from "../../manifest/paths.ts";
import { entryAt } from "../../out_dir.ts";

/**
 * Run `report`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns 0; 1 when a report file cannot be written; 2 when the manifest cannot be read
 * or lies where the report is written; 75 while a run holds the folder.
 */
export async function reportCommand(command: ReportCommand, io: CliIO): Promise<ExitCode> {
  const whole = await loadJobs(command);
  refuseProblems(io, whole, {
    manifest: command.manifest,
    action: "write the report of",
    allowInvalidJobs: true,
  });
  const priced = await pricesOf(command);
  for (const warning of priced?.warnings ?? []) io.stderr(`warning: ${warning}`);
  // A run in progress writes its own report: wait for it rather than race it.
  const outDir = outDirOf(command);
  // A shard's own folder reports that shard's jobs, as its run's report does.
  const shard = command.merge === undefined ? shardOfFolderName(basename(outDir)) : undefined;
  const validation = shard === undefined ? whole : shardOf(whole, shard);
  const action = `write the report of ${command.manifest}`;
  await refuseInputsInside(outDir, inputFilesOf(command, validation), action);
  // The folders to merge: those given, or the shards' inside a folder with no journal.
  const merge = command.merge ??
    (await entryAt(journalPath(outDir)) === undefined ? await shardFoldersIn(outDir) : []);
  const lock = await lockOutDir(outDir);
  try {
    // Merged folders are read without their locks: a shard running now never
    // blocks the report, which shows where that shard stood.
    const { report: current, states } = merge.length > 0
      ? await mergeFolders(validation, merge, { out: outDir, onNotice: io.stderr })
      : await (async () => {
        const states = await readStates(io, outDir);
        return { report: await currentReport(validation, outDir, new Date(), states), states };
      })();
    const report = priced
      ? withEstimate(current, { jobs: validation.jobs, states, prices: priced.prices })
      : current;
    try {
      for (const path of await writeReports(outDir, report, reportExtras(validation))) {
        io.stdout(path);
      }
    } catch (error) {
      if (!(error instanceof ReportWriteError)) throw error;
      // The files that were written are still named, then the one-line error.
      const failed = new Set(error.failures.map((failure) => failure.path));
      for (const name of REPORT_FILES) {
        const path = join(outDir, name);
        if (!failed.has(path)) io.stdout(path);
      }
      throw error;
    }
  } finally {
    await lock.release();
  }
  return ExitCode.Ok;
}
