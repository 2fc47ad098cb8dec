/**
 * The CLI: parse, dispatch, map outcomes to exit codes. The only place the
 * process exits.
 *
 * @module
 */
import { type Command, parseCommand, USAGE } from "./args.ts";
import { type CliIO, processIO } from "./io.ts";
import { BatchError, ExitCode } from "../errors.ts";
import { validateCommand } from "./commands/validate.ts";
import { planCommand } from "./commands/plan.ts";
import { runCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { reportCommand } from "./commands/report.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { VERSION } from "./version.ts";

export { VERSION };

/**
 * Run one CLI invocation and return its exit code (never exits itself).
 *
 * @param argv Arguments after the program name.
 * @param io Output streams and environment.
 * @returns The exit code from CONTRACT.md.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let command: Command | undefined;
  try {
    command = parseCommand(argv);
    return await dispatch(command, io);
  } catch (error) {
    return reportFailure(error, io, command?.name === "run" && command.verbose);
  }
}

function dispatch(command: Command, io: CliIO): Promise<number> {
  switch (command.name) {
    case "help":
      io.stdout(USAGE);
      return Promise.resolve(ExitCode.Ok);
    case "version":
      io.stdout(`seedance-batch ${VERSION}`);
      return Promise.resolve(ExitCode.Ok);
    case "validate":
      return validateCommand(command, io);
    case "plan":
      return planCommand(command, io);
    case "run":
      return runCommand(command, io);
    case "status":
      return statusCommand(command, io);
    case "report":
      return reportCommand(command, io);
    case "simulate":
      return simulateCommand(command, io);
  }
}

/** Print an expected failure as one line; a bug also gets its stack. */
function reportFailure(error: unknown, io: CliIO, verbose: boolean): number {
  if (error instanceof BatchError) {
    io.stderr(`error: ${error.message}`);
    if (verbose && error.cause instanceof Error && error.cause.stack) io.stderr(error.cause.stack);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`error: unexpected failure: ${message}`);
  if (error instanceof Error && error.stack) io.stderr(error.stack);
  return ExitCode.Failed;
}

/**
 * Entry point for `deno run mod.ts` and the compiled binary. The first SIGINT
 * or SIGTERM asks the command to stop gracefully (state saved, exit 130); a
 * second one exits at once.
 */
export async function runCli(): Promise<never> {
  const interrupt = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  // Only `run` and `simulate` have state to save; the other commands stop at once.
  const graceful = ["run", "simulate"].includes(commandName(Deno.args) ?? "");
  const onSignal = (): void => {
    if (!graceful || interrupt.signal.aborted) Deno.exit(ExitCode.Interrupted);
    interrupt.abort(new DOMException("interrupted", "AbortError"));
  };
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const code = await main(Deno.args, processIO(interrupt.signal));
  Deno.exit(code);
}

function commandName(argv: readonly string[]): string | undefined {
  try {
    return parseCommand(argv).name;
  } catch {
    return undefined;
  }
}
