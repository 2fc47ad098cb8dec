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
import { countJobs } from "../workspace.ts";
import { shardJson, shardShareLine } from "../../shard.ts";

/**
 * Run `validate`: exit 0 when every job is valid (warnings allowed), 2 otherwise.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export async function validateCommand(command: ValidateCommand, io: CliIO): Promise<ExitCode> {
  // Only the counts and the issues are kept: no job is held once checked.
  const result = await countJobs(command, { fileFailureAsIssue: command.json });
  const shard = result.shard;
  if (command.json) {
    const json = validationJson(result);
    // With --shard, an added field: the shard and its share of the manifest.
    io.stdout(
      shard === undefined ? json : JSON.stringify({
        ...JSON.parse(json),
        shard: shardJson({ shard, total: result.total, manifestTotal: result.manifestTotal }),
      }),
    );
  } else {
    for (const line of issueLines(result, command.manifest)) io.stdout(line);
    if (shard !== undefined) {
      io.stdout(
        shardShareLine({ shard, total: result.total, manifestTotal: result.manifestTotal }),
      );
    }
    io.stdout(summaryLine(result, command.manifest));
  }
  return result.errors.length > 0 ? ExitCode.Usage : ExitCode.Ok;
}
