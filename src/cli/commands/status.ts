/**
 * The `status` command.
 *
 * @module
 */
import type { StatusCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `status`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function statusCommand(command: StatusCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"status" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
