/**
 * The exit code a run ends with, from what the journal says of each job and
 * how the run stopped (CONTRACT.md "Exit codes"). Pure.
 *
 * @module
 */
import { ExitCode } from "../errors.ts";
import type { ReportTotals } from "./summary.ts";

/**
 * Map a run's outcome to its exit code.
 *
 * @param totals The report's counts after the run.
 * @param stop How the run stopped early, if it did.
 * @returns 4 for a rejected key, 130 when interrupted, 3 while another run
 *   would progress something, 1 when some job failed, is invalid or uncertain,
 *   else 0.
 */
export function runExitCode(
  totals: ReportTotals,
  stop: { unauthorized?: boolean; interrupted?: boolean } = {},
): ExitCode {
  if (stop.unauthorized) return ExitCode.Unauthorized;
  if (stop.interrupted) return ExitCode.Interrupted;
  if (totals.pending > 0 || totals.running > 0) return ExitCode.Pending;
  if (totals.failed > 0 || totals.uncertain > 0 || totals.invalid > 0) return ExitCode.Failed;
  return ExitCode.Ok;
}
