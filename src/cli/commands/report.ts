/**
 * The `report` command: write the report files again from the journal.
 *
 * @module
 */
import type { ReportCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import {
  currentReport,
  loadJobs,
  lockOutDir,
  outDirOf,
  refuseProblems,
  reportExtras,
} from "../workspace.ts";
import { writeReports } from "../../report/write.ts";
import { withEstimate } from "../../report/estimate.ts";
import { readJournalStates } from "../../journal/replay.ts";
import { journalPath } from "../../manifest/paths.ts";
import { pricesOf } from "../prices.ts";

/**
 * Run `report`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns 0; 2 when the manifest cannot be read; 75 while a run holds the folder.
 */
export async function reportCommand(command: ReportCommand, io: CliIO): Promise<ExitCode> {
  const validation = await loadJobs(command);
  refuseProblems(io, validation, {
    manifest: command.manifest,
    action: "write the report of",
    allowInvalidJobs: true,
  });
  const priced = await pricesOf(command);
  for (const warning of priced?.warnings ?? []) io.stderr(`warning: ${warning}`);
  // A run in progress writes its own report: wait for it rather than race it.
  const outDir = outDirOf(command);
  const lock = await lockOutDir(outDir);
  try {
    const states = await readJournalStates(journalPath(outDir));
    const current = await currentReport(validation, outDir, new Date(), states);
    const report = priced
      ? withEstimate(current, { jobs: validation.jobs, states, prices: priced.prices })
      : current;
    for (const path of await writeReports(outDir, report, reportExtras(validation))) {
      io.stdout(path);
    }
  } finally {
    await lock.release();
  }
  return ExitCode.Ok;
}
