/**
 * The `validate` command.
 *
 * @module
 */
import type { ValidateCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `validate`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function validateCommand(command: ValidateCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"validate" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
