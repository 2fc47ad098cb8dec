/**
 * The `status` command: what the journal says of each job, without touching
 * the network.
 *
 * @module
 */
import type { StatusCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import {
  checkOutDir,
  currentReport,
  loadJobs,
  outDirOf,
  readStates,
  refuseProblems,
  totalsLine,
} from "../workspace.ts";

/**
 * Run `status`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns 0, or 2 when the manifest cannot be read.
 */
export async function statusCommand(command: StatusCommand, io: CliIO): Promise<ExitCode> {
  const validation = await loadJobs(command);
  refuseProblems(io, validation, {
    manifest: command.manifest,
    action: "show the status of",
    allowInvalidJobs: true,
  });
  const outDir = await checkOutDir(outDirOf(command));
  const states = await readStates(io, outDir);
  const report = await currentReport(validation, outDir, new Date(), states);
  if (command.json) {
    io.stdout(JSON.stringify(report, null, 2));
    return ExitCode.Ok;
  }
  const width = Math.max(2, ...report.jobs.map((job) => job.id.length));
  for (const job of report.jobs) {
    const detail = job.status === "done"
      ? job.output
      : job.error
      ? job.error.message
      : job.task_id
      ? `task ${job.task_id}`
      : "";
    io.stdout(`${job.id.padEnd(width)}  ${job.status.padEnd(9)}  ${detail ?? ""}`.trimEnd());
  }
  io.stdout(`${totalsLine(report.totals)} (${outDir})`);
  return ExitCode.Ok;
}
