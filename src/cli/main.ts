/**
 * The CLI: parse, dispatch, map outcomes to exit codes. The only place the
 * process exits.
 *
 * @module
 */
import { type Command, parseCommand } from "./args.ts";
import { commandHelp, overviewHelp } from "./help.ts";
import { type CliIO, processIO } from "./io.ts";
import { BatchError, ExitCode, messageOf } from "../errors.ts";
import { escapeControls, escapeControlsKeepingLines } from "../text.ts";
import { validateCommand } from "./commands/validate.ts";
import { planCommand } from "./commands/plan.ts";
import { runCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { reportCommand } from "./commands/report.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { VERSION } from "../version.ts";
import { invokedProgram, stderrTerminal } from "./tty.ts";

export { VERSION };

/**
 * Run one CLI invocation and return its exit code (never exits itself).
 *
 * @param argv Arguments after the program name.
 * @param io Output streams and environment.
 * @returns The exit code from CONTRACT.md.
 */
export async function main(
  argv: readonly string[],
  outside: CliIO = processIO(),
): Promise<number> {
  const io = terminalSafe(outside);
  const command = parse(argv, io);
  return typeof command === "number" ? command : await execute(command, io, argv);
}

/** The parsed command, or the exit code of a command line that cannot be parsed. */
function parse(argv: readonly string[], io: CliIO): Command | number {
  try {
    return parseCommand(argv);
  } catch (error) {
    return reportFailure(error, io, false);
  }
}

async function execute(command: Command, io: CliIO, argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(command, io, argv);
  } catch (error) {
    return reportFailure(error, io, command.name === "run" && command.verbose);
  }
}

function dispatch(command: Command, io: CliIO, argv: readonly string[]): Promise<number> {
  switch (command.name) {
    case "help":
      io.stdout(command.topic === undefined ? overviewHelp() : commandHelp(command.topic));
      return Promise.resolve(ExitCode.Ok);
    case "version":
      io.stdout(`seedance-batch ${VERSION}`);
      return Promise.resolve(ExitCode.Ok);
    case "validate":
      return validateCommand(command, io);
    case "plan":
      return planCommand(command, io);
    case "run":
      return runCommand(command, io, argv);
    case "status":
      return statusCommand(command, io);
    case "report":
      return reportCommand(command, io);
    case "simulate":
      return simulateCommand(command, io);
  }
}

/**
 * The streams made safe for a terminal: whatever a command prints (ids, paths,
 * the service's messages) shows its control characters as escapes. Line feeds
 * pass, for the texts that span lines by design (help, `status --json`); the
 * one-line messages escape theirs where they are made.
 */
function terminalSafe(io: CliIO): CliIO {
  return {
    ...io,
    stdout: (line) => io.stdout(escapeControlsKeepingLines(line)),
    stderr: (line) => io.stderr(escapeControlsKeepingLines(line)),
  };
}

/** Print an expected failure as one line; a bug also gets its stack. */
function reportFailure(error: unknown, io: CliIO, verbose: boolean): number {
  if (error instanceof BatchError) {
    io.stderr(`error: ${escapeControls(error.message)}`);
    if (verbose && error.cause instanceof Error && error.cause.stack) {
      io.stderr(error.cause.stack);
    }
    return error.exitCode;
  }
  io.stderr(`error: unexpected failure: ${escapeControls(messageOf(error))}`);
  if (error instanceof Error && error.stack) io.stderr(error.stack);
  return ExitCode.Failed;
}

/**
 * Entry point for `deno run mod.ts` and the compiled binary. The first SIGINT
 * or SIGTERM asks the command to stop gracefully (state saved, exit 130); a
 * second one exits at once.
 */
export async function runCli(): Promise<never> {
  const command = parse(Deno.args, terminalSafe(processIO()));
  if (typeof command === "number") Deno.exit(command);
  const interrupt = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  // Only `run` and `simulate` have state to save; the other commands stop at once.
  const graceful = command.name === "run" || command.name === "simulate";
  const onSignal = (): void => {
    if (!graceful || interrupt.signal.aborted) Deno.exit(ExitCode.Interrupted);
    interrupt.abort(new DOMException("interrupted", "AbortError"));
  };
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const io: CliIO = {
    ...processIO(interrupt.signal),
    program: invokedProgram(),
    ...(command.name === "run" ? { terminal: stderrTerminal() } : {}),
  };
  Deno.exit(await execute(command, terminalSafe(io), Deno.args));
}
