/**
 * The `plan` command.
 *
 * @module
 */
import type { PlanCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `plan`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function planCommand(command: PlanCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"plan" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
