/**
 * One report over several output folders (the shards' folders, typically):
 * `report --merge DIR...`, and the automatic merge of the `shard-*-of-*`
 * folders inside an output folder that has no journal of its own.
 *
 * - **Which folder holds a job.** A folder named `shard-K-of-N` holds the
 *   jobs of that shard (`src/shard.ts`) and any job its journal knows; any
 *   other folder holds the jobs its journal knows.
 * - **A job in two folders** (the shard count changed between runs, or one
 *   folder merged twice under two names) is reported once, with a warning;
 *   its best state wins: done > running > uncertain > failed > pending (the
 *   one nearest a paid video in hand; a tie goes to the folder named first).
 * - **No locks on the merged folders.** They are only read (a run appends to
 *   its journal, and replay tolerates a torn last line), so a shard that is
 *   running now never blocks the report: the report shows where it stood.
 * - Video paths are made relative to the merged report's folder.
 *
 * @module
 */
import { basename, join, relative, resolve, sep } from "node:path";
import type { ValidationResult } from "../manifest/validate.ts";
import type { JobState } from "../journal/events.ts";
import type { ReportJob, ReportModel, ReportStatus } from "../report/summary.ts";
import { verifiedStates } from "../runner/verify_videos.ts";
import { inShard, type Shard, shardOfFolderName } from "../shard.ts";
import { buildBatchReport, checkOutDir, readJournalWithNotice } from "./folder.ts";
import { ConfigError } from "../errors.ts";
import { entryAt } from "../out_dir.ts";

/** How near a job's state is to a video in hand: the higher wins in a merge. */
const RANK: Record<ReportStatus, number> = {
  done: 5,
  running: 4,
  uncertain: 3,
  failed: 2,
  pending: 1,
  invalid: 0,
};

/** Options of {@linkcode mergeBatchReports}. */
export interface MergeOptions {
  /** The merged report's folder: video paths are made relative to it. */
  out: string;
  /** Receives warnings (a job in two folders, corrupt journal lines). */
  onNotice?: (line: string) => void;
  /** The report's time. @default now */
  now?: Date;
}

/**
 * Build one report over several output folders.
 *
 * @param validation The whole manifest's validation (not narrowed to a shard).
 * @param folders The output folders to merge, in order of preference for ties.
 * @param options The merged report's folder, notices and time.
 * @returns The merged report (every job of the manifest once, each marked with
 *   its shard (`shard`), totals over all, `merged` listing the folders), and the
 *   journal state behind each row (for the spend estimate).
 * @throws {ConfigError} (exit 2) When a folder does not exist, is a file or cannot be read.
 */
export async function mergeFolders(
  validation: ValidationResult,
  folders: readonly string[],
  options: MergeOptions,
): Promise<MergedReport> {
  const now = options.now ?? new Date();
  const notice = options.onNotice ?? (() => {});
  const out = resolve(options.out);
  // Every job once, pending, in manifest order; then each folder's rows laid over.
  const base = buildBatchReport(validation, new Map(), now);
  const best = new Map<string, { row: ReportJob; state: JobState | undefined }>();
  const seenIn = new Map<string, string[]>();
  for (const folder of folders) {
    const dir = resolve(await checkOutDir(folder));
    // A mistyped folder would otherwise merge as "every job pending".
    if (await entryAt(dir) === undefined) {
      throw new ConfigError(`Cannot merge ${folder}: no such folder`, { code: "merge_folder" });
    }
    const shard = shardOfFolderName(basename(dir));
    const label = shard ? `${shard.index}/${shard.count}` : toSlashes(relative(out, dir) || ".");
    const states = await verifiedStates(dir, await readJournalWithNotice(dir, notice));
    const held = (id: string): boolean =>
      states.has(id) || (shard !== undefined && inShard(id, shard));
    const jobs = validation.jobs.filter((job) => held(job.id));
    const rows = buildBatchReport({ ...validation, jobs, invalid: [] }, states, now).jobs;
    for (const row of rows) {
      if (states.has(row.id)) seenIn.set(row.id, [...(seenIn.get(row.id) ?? []), label]);
      const earlier = best.get(row.id);
      if (earlier !== undefined && RANK[row.status] <= RANK[earlier.row.status]) continue;
      const output = row.output === null ? null : toSlashes(relative(out, join(dir, row.output)));
      best.set(row.id, { row: { ...row, output, shard: label }, state: states.get(row.id) });
    }
  }
  for (const [id, labels] of seenIn) {
    if (labels.length < 2) continue;
    const winner = best.get(id)?.row;
    notice(
      `warning: job "${id}" is in ${labels.length} merged folders (${labels.join(", ")}); ` +
        `reported once, as ${winner?.status} from ${winner?.shard}`,
    );
  }
  const jobs = base.jobs.map((row) =>
    row.status === "invalid"
      ? { ...row, shard: null }
      : best.get(row.id)?.row ?? { ...row, shard: null }
  );
  const totals = { ...base.totals };
  for (const status of Object.keys(RANK) as ReportStatus[]) totals[status] = 0;
  for (const job of jobs) totals[job.status]++;
  const states = new Map<string, JobState>();
  for (const [id, { state }] of best) if (state !== undefined) states.set(id, state);
  const report: ReportModel = {
    manifest: base.manifest,
    generated_at: base.generated_at,
    merged: folders.map((folder) => toSlashes(relative(out, resolve(folder)) || ".")),
    totals,
    jobs,
  };
  return { report, states };
}

/**
 * Build one report over several output folders (see the module's notes).
 *
 * @param validation The whole manifest's validation (not narrowed to a shard).
 * @param folders The output folders to merge, in order of preference for ties.
 * @param options The merged report's folder, notices and time.
 * @returns The merged report: every job of the manifest once, each marked with
 *   its shard (`shard`), totals over all, `merged` listing the folders.
 * @throws {ConfigError} (exit 2) When a folder does not exist, is a file or cannot be read.
 */
export async function mergeBatchReports(
  validation: ValidationResult,
  folders: readonly string[],
  options: MergeOptions,
): Promise<ReportModel> {
  return (await mergeFolders(validation, folders, options)).report;
}

/** What {@linkcode mergeFolders} gives back. */
export interface MergedReport {
  /** The merged report. */
  report: ReportModel;
  /** The journal state behind each job's row, by job id (none for a job no folder knows). */
  states: Map<string, JobState>;
}

/**
 * The `shard-K-of-N` folders directly inside an output folder, ordered by N
 * then K.
 *
 * @param outDir The output folder.
 * @returns Their paths; empty when there are none or the folder does not exist.
 */
export async function shardFoldersIn(outDir: string): Promise<string[]> {
  const found: Array<{ path: string; shard: Shard }> = [];
  try {
    for await (const entry of Deno.readDir(outDir)) {
      const shard = entry.isDirectory ? shardOfFolderName(entry.name) : undefined;
      if (shard) found.push({ path: join(outDir, entry.name), shard });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  found.sort((a, b) => a.shard.count - b.shard.count || a.shard.index - b.shard.index);
  return found.map((entry) => entry.path);
}

/** A path with `/` separators, as report paths are written on every system. */
function toSlashes(path: string): string {
  return sep === "/" ? path : path.replaceAll(sep, "/");
}
