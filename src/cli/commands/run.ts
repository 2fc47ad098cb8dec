/**
 * The `run` command.
 *
 * @module
 */
import type { RunCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `run`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function runCommand(command: RunCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"run" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
