/**
 * What to do after a run: the lines printed after the totals (where the
 * report is, and the exact command for each kind of work left), and the
 * command lines themselves, rebuilt from the user's own arguments and quoted
 * for a POSIX shell. Pure.
 *
 * @module
 */
import type { ReportTotals } from "../report/summary.ts";
import { plural } from "../text.ts";

/** Flags that act once (on the jobs they name) and are not carried into another command. */
const ONE_SHOT_FLAGS = ["--retry-failed", "--rerender-changed", "--resubmit-uncertain"] as const;

/**
 * One argument as a POSIX shell reads it back unchanged: as it is when it
 * holds only characters no shell treats specially, else in single quotes
 * (a single quote inside becomes `'\''`).
 *
 * @param arg Any argument.
 * @returns The argument, quoted when needed.
 */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command line: the program as the user runs it, then the arguments with
 * the one-shot flags (`--retry-failed`, `--rerender-changed`, `--resubmit-uncertain`) left out and
 * `add` appended, each argument quoted for a POSIX shell.
 *
 * @param program How the tool is invoked, e.g. `seedance-batch` or
 *   `deno run -A mod.ts` (used as written).
 * @param argv The arguments the run was given (after the program).
 * @param add Flags to append.
 * @returns E.g. `seedance-batch run 'my batch.yaml' --concurrency 3 --retry-failed`.
 */
export function commandLine(
  program: string,
  argv: readonly string[],
  add: readonly string[] = [],
): string {
  const kept: string[] = [];
  let positional = false;
  for (const arg of argv) {
    if (!positional && arg === "--") positional = true;
    const flag = arg.split("=", 1)[0];
    if (!positional && (ONE_SHOT_FLAGS as readonly string[]).includes(flag)) continue;
    kept.push(arg);
  }
  // Flags go before a `--` terminator, where they are still read as flags.
  const end = kept.indexOf("--");
  const args = end === -1 ? [...kept, ...add] : [...kept.slice(0, end), ...add, ...kept.slice(end)];
  return [program, ...args.map(shellQuote)].join(" ");
}

/** What the next steps are drawn from. */
export interface NextStepsInput {
  /** The report's counts after the run. */
  totals: ReportTotals;
  /** Failed jobs whose failure is an edit after their submission (`job_changed`). */
  changed: number;
  /** The report.html path, or undefined when the reports could not be written. */
  reportHtml: string | undefined;
  /** How the tool is invoked (see {@linkcode commandLine}). */
  program: string;
  /** The run's arguments. */
  argv: readonly string[];
}

/**
 * The lines printed after the totals line: the report.html path, then one
 * line per kind of work left, each with the exact command that does it.
 * Nothing beyond the report's path when every job is done.
 *
 * @param input The outcome and the run's command line.
 * @returns The lines, in the order to print them.
 */
export function nextSteps(input: NextStepsInput): string[] {
  const { totals, program, argv } = input;
  const lines = [`report: ${input.reportHtml ?? "not written"}`];
  const again = commandLine(program, argv);
  const left = totals.running + totals.pending;
  if (left > 0) {
    const what = `${
      plural(left, "job")
    } left (${totals.running} running, ${totals.pending} pending)`;
    lines.push(
      argv.some((arg) =>
          arg === "--once" || arg === "--pass-time" || arg.startsWith("--pass-time=")
        )
        ? `next: ${what}; the next pass collects them: ${again}`
        : `next: ${what}; the same command collects them: ${again} (from cron: add --pass-time 540)`,
    );
  }
  const failed = Math.max(0, totals.failed - input.changed);
  const retry = commandLine(program, argv, ["--retry-failed"]);
  if (failed > 0) {
    lines.push(
      `next: ${plural(failed, "job")} failed; to try again (each attempt is billed): ${retry}`,
    );
  }
  if (input.changed > 0) {
    lines.push(
      `next: ${plural(input.changed, "job")} edited since submitted; to render the new ` +
        `version (billed; the old video is kept under videos/previous/): ` +
        commandLine(program, argv, ["--rerender-changed"]),
    );
  }
  if (totals.uncertain > 0) {
    lines.push(
      `next: ${
        plural(totals.uncertain, "job")
      } uncertain: a task may exist and be billed already; ` +
        `to submit again (possibly paying twice): ` +
        commandLine(program, argv, ["--resubmit-uncertain"]),
    );
  }
  return lines;
}
