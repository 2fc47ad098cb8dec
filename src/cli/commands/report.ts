/**
 * The `report` command.
 *
 * @module
 */
import type { ReportCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { BatchError, type ExitCode } from "../../errors.ts";

/**
 * Run `report`.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export function reportCommand(command: ReportCommand, io: CliIO): Promise<ExitCode> {
  void command;
  void io;
  return Promise.reject(
    new BatchError('"report" is not implemented yet', { code: "not_implemented", exitCode: 2 }),
  );
}
