/**
 * The `status` command: what the journal says of each job, without touching
 * the network.
 *
 * @module
 */
import type { StatusCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import type { ReportModel } from "../../report/summary.ts";
import type { ExitCode } from "../../errors.ts";
import { batchStatus } from "../../batch/status.ts";
import { loadJobs, outDirOf, refuseProblems, totalsLine } from "../workspace.ts";

/**
 * Run `status`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The code a `run` would end with for this state (0, 1 or 3; 3
 *   before any run), or 2 when the manifest is invalid.
 */
export async function statusCommand(command: StatusCommand, io: CliIO): Promise<ExitCode> {
  const validation = await loadJobs(command);
  refuseProblems(io, validation, {
    manifest: command.manifest,
    action: "show the status of",
    allowInvalidJobs: true,
  });
  const outDir = outDirOf(command);
  const { report, exitCode } = await batchStatus(validation, { out: outDir, onNotice: io.stderr });
  if (command.json) io.stdout(JSON.stringify(report, null, 2));
  else for (const line of statusLines(report, outDir)) io.stdout(line);
  return exitCode;
}

/**
 * The text view of a report: a line per job, then the totals.
 *
 * @param report The report model.
 * @param outDir The output folder, named in the last line.
 * @returns The lines.
 */
export function statusLines(report: ReportModel, outDir: string): string[] {
  // A loop, not Math.max(...ids): spreading 100,000+ values overflows the stack.
  let width = 2;
  for (const job of report.jobs) width = Math.max(width, job.id.length);
  const lines = report.jobs.map((job) => {
    const detail = job.status === "done"
      ? job.output
      : job.error
      ? job.error.message
      : job.task_id
      ? `task ${job.task_id}`
      : "";
    return `${job.id.padEnd(width)}  ${job.status.padEnd(9)}  ${detail ?? ""}`.trimEnd();
  });
  lines.push(`${totalsLine(report.totals)} (${outDir})`);
  return lines;
}
