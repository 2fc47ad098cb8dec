/**
 * The `validate` command: check a manifest and print what was found (see
 * `../issues.ts` for the text and JSON shapes).
 *
 * @module
 */
import type { ValidateCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import { issueLines, summaryLine, validationJson } from "../issues.ts";
import { loadJobs } from "../workspace.ts";
import { isSharded, shardJson, shardShareLine } from "../../shard.ts";

/**
 * Run `validate`: exit 0 when every job is valid (warnings allowed), 2 otherwise.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export async function validateCommand(command: ValidateCommand, io: CliIO): Promise<ExitCode> {
  const result = await loadJobs(command, { fileFailureAsIssue: command.json });
  if (command.json) {
    const json = validationJson(result);
    // With --shard, an added field: the shard and its share of the manifest.
    io.stdout(
      isSharded(result) ? JSON.stringify({ ...JSON.parse(json), shard: shardJson(result) }) : json,
    );
  } else {
    for (const line of issueLines(result, command.manifest)) io.stdout(line);
    if (isSharded(result)) io.stdout(shardShareLine(result));
    io.stdout(summaryLine(result, command.manifest));
  }
  return result.errors.length > 0 ? ExitCode.Usage : ExitCode.Ok;
}
