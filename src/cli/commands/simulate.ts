/**
 * The `simulate` command.
 *
 * @module
 */
import type { SimulateCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `simulate`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function simulateCommand(command: SimulateCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"simulate" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
