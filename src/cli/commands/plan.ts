/**
 * The `plan` command: validate, then show what a run would do — jobs by
 * model and resolution, seconds of video, image uploads and, once a journal
 * exists in the output folder, where the jobs stand; with `--prices`, the
 * estimated spend (`estimate.ts`).
 *
 * @module
 */
import type { PlanCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import { journalPath } from "../../manifest/paths.ts";
import type { PlanSummary } from "../../plan_summary.ts";
import { planBatch } from "../../batch/plan.ts";
import { formatBytes, plural } from "../../text.ts";
import { issueJson, issueLines, jobCount, summaryLine, validationJson } from "../issues.ts";
import { loadJobs, outFlagOf } from "../workspace.ts";
import { pricesOf } from "../prices.ts";
import { estimateJson } from "../../estimate.ts";
import { estimateLines } from "../../estimate_text.ts";
import { isSharded, shardJson, shardShareLine } from "../../shard.ts";

/**
 * Run `plan`: exit 2 with the issues when the manifest is invalid, else 0.
 *
 * @param command The parsed command.
 * @param io Output and environment.
 * @returns The exit code.
 */
export async function planCommand(command: PlanCommand, io: CliIO): Promise<ExitCode> {
  const result = await loadJobs(command, { fileFailureAsIssue: command.json });
  if (result.errors.length > 0) {
    if (command.json) {
      io.stdout(validationJson(result));
    } else {
      for (const line of issueLines(result, command.manifest)) io.stdout(line);
      io.stdout(summaryLine(result, command.manifest));
    }
    return ExitCode.Usage;
  }
  const out = outFlagOf(command);
  const priced = await pricesOf(command);
  const plan = await planBatch(result, {
    out,
    ...(priced ? { prices: priced.prices } : {}),
    onNotice: io.stderr,
  });
  const { summary, estimate } = plan;
  const journal = plan.journal ?? journalPath(out);
  if (command.json) {
    io.stdout(JSON.stringify({
      ok: true,
      manifest: result.manifest,
      out,
      ...(isSharded(result) ? { shard: shardJson(result) } : {}),
      ...summary,
      ...(result.entries === undefined ? {} : { entries: result.entries }),
      journal: summary.journal ? { path: journal, ...summary.journal } : null,
      warnings: result.warnings.map(issueJson),
      ...(priced && estimate
        ? { estimate: { ...estimateJson(estimate), warnings: priced.warnings } }
        : {}),
    }));
    return ExitCode.Ok;
  }
  for (const line of issueLines(result, command.manifest)) io.stdout(line);
  if (isSharded(result)) io.stdout(shardShareLine(result));
  const names = { manifest: command.manifest, journal, jobs: jobCount(result) };
  for (const line of planLines(summary, names)) io.stdout(line);
  if (priced && estimate) {
    for (const warning of priced.warnings) io.stdout(`warning: ${warning}`);
    for (const line of estimateLines(estimate)) io.stdout(line);
  }
  return ExitCode.Ok;
}

/** The plan as text lines, without newlines. */
function planLines(
  summary: PlanSummary,
  names: { manifest: string; journal: string; jobs: string },
): string[] {
  const lines = [
    `Plan for ${names.manifest}: ${names.jobs}, ${plural(summary.seconds, "second")} of video`,
  ];
  const modelWidth = Math.max(5, ...summary.byModel.map((row) => row.model.length));
  lines.push(
    `  ${"model".padEnd(modelWidth)}  resolution  ${"jobs".padStart(6)}  ${"seconds".padStart(8)}`,
  );
  for (const row of summary.byModel) {
    lines.push(
      `  ${row.model.padEnd(modelWidth)}  ${row.resolution.padEnd(10)}  ${
        String(row.jobs).padStart(6)
      }  ${String(row.seconds).padStart(8)}`,
    );
  }
  const { images } = summary;
  lines.push(
    images.uploads === 0
      ? "Image uploads: none"
      : `Image uploads: ${images.uploads} (${formatBytes(images.bytes)}) from ${
        plural(images.files, "file")
      }`,
  );
  const journal = summary.journal;
  if (!journal) {
    lines.push(`Journal: none yet at ${names.journal}; every job is pending`);
  } else {
    const parts = [
      `${journal.done} done`,
      `${journal.running} running`,
      `${journal.uncertain} uncertain`,
      `${journal.failed} failed`,
      `${journal.pending} pending`,
      `${journal.changed} changed`,
    ];
    if (journal.notInManifest > 0) parts.push(`${journal.notInManifest} not in the manifest`);
    lines.push(`Journal ${names.journal}: ${parts.join(", ")}`);
  }
  return lines;
}
