/**
 * Journal compaction: a journal whose history far exceeds its live state is
 * rewritten as one `job_state` line per job (see {@linkcode JobStateEvent}),
 * which replays to exactly the same states and submission keys.
 *
 * When: at the end of a run, under the folder's lock, after its last event,
 * when the journal holds at least {@linkcode COMPACT_MIN_LINES} lines and
 * more than {@linkcode COMPACT_RATIO} lines per job (a finished job took
 * about five: submitting, submitted, a status or more, task_succeeded,
 * downloaded; each cron pass added more). Below that floor the history costs
 * little to replay and is kept for whoever reads it. Never while a line could
 * not be read (it may hold an event of a newer version), nor while a recovery
 * file is not folded into the journal yet.
 *
 * How, crash-safely: the lines are written to `<out>/state.jsonl.compact-<pid>`
 * (created exclusively, never through a link), fsynced, renamed over the
 * journal, and the folder is fsynced. A crash before the rename leaves the old
 * journal whole, and the temporary is swept by the next run; after it, the new
 * one. Readers that opened the old file keep reading it whole.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { messageOf } from "../errors.ts";
import { syncFolder, writeAll } from "../fs.ts";
import { compactTemporaryName, createFresh } from "../out_dir.ts";
import { encodeEvent } from "./codec.ts";
import type { JobStateEvent } from "./events.ts";
import { hasRecoveryFile } from "./recovery.ts";
import type { JournalReplay } from "./replay.ts";

/** A journal is compacted only from this many lines on. */
export const COMPACT_MIN_LINES = 10_000;
/** A journal is compacted only when it holds more than this many lines per job. */
export const COMPACT_RATIO = 4;

/**
 * Whether a journal is worth compacting.
 *
 * @param lines The journal's non-blank lines.
 * @param jobs The jobs it holds a state for.
 * @returns True from {@linkcode COMPACT_MIN_LINES} lines on, with more than
 *   {@linkcode COMPACT_RATIO} lines per job.
 */
export function worthCompacting(lines: number, jobs: number): boolean {
  return lines >= COMPACT_MIN_LINES && lines > COMPACT_RATIO * jobs;
}

/** Where a compaction is; a test pauses it there (and kills it). */
export type CompactStep =
  | { step: "written"; lines: number }
  | { step: "synced" }
  | { step: "renamed" };

/** Options of {@linkcode compactJournal}. */
export interface CompactOptions {
  /** Lines written to the temporary file per write. @default 4096 */
  linesPerWrite?: number;
  /** Called at each step (after each write, the fsync and the rename); for tests. */
  onStep?: (step: CompactStep) => Promise<void> | void;
}

/** What a compaction did. */
export interface Compaction {
  /** The journal's non-blank lines before. */
  linesBefore: number;
  /** Its lines after: one per job. */
  linesAfter: number;
  /** Its size before, in bytes. */
  bytesBefore: number;
  /** Its size after, in bytes. */
  bytesAfter: number;
}

/**
 * Rewrite a journal as one `job_state` line per job of `replay`, atomically.
 * The caller holds the folder's lock, has closed its writer, and `replay`
 * holds exactly what the file replays to.
 *
 * @param path The journal (`<out>/state.jsonl`).
 * @param replay The journal's replay.
 * @param options Batching, and a hook for tests.
 * @returns The line counts and sizes before and after.
 */
export async function compactJournal(
  path: string,
  replay: JournalReplay,
  options: CompactOptions = {},
): Promise<Compaction> {
  const linesPerWrite = options.linesPerWrite ?? 4096;
  const before = await Deno.stat(path);
  const bytesBefore = before.size;
  const folder = dirname(path);
  const temporary = join(folder, compactTemporaryName(basename(path), Deno.pid));
  const encoder = new TextEncoder();
  let linesAfter = 0;
  let bytesAfter = 0;
  try {
    // Created exclusively: a link or leftover of that name is removed, never followed.
    using file = await createFresh(temporary);
    // Whoever may read the journal now may read the new one, and nobody else.
    if (before.mode !== null) await Deno.chmod(temporary, before.mode & 0o777);
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      const bytes = encoder.encode(batch.join(""));
      await writeAll(file, bytes);
      bytesAfter += bytes.byteLength;
      linesAfter += batch.length;
      batch = [];
      await options.onStep?.({ step: "written", lines: linesAfter });
    };
    for (const event of replay.compacted()) {
      batch.push(encodeEvent(event satisfies JobStateEvent) + "\n");
      if (batch.length >= linesPerWrite) await flush();
    }
    if (batch.length > 0) await flush();
    await file.sync();
    await options.onStep?.({ step: "synced" });
  } catch (error) {
    // The journal is untouched; what was written of the new one goes.
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  try {
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  // From here the compacted journal is the journal: a failure cannot undo that.
  try {
    await syncFolder(folder);
  } catch (error) {
    throw new FolderSyncError(messageOf(error));
  }
  await options.onStep?.({ step: "renamed" });
  return { linesBefore: replay.lines, linesAfter, bytesBefore, bytesAfter };
}

/**
 * Compact a run's journal at its end when it is worth it (see the module's
 * documentation for when). A compaction that fails leaves the journal as it
 * was: the run's outcome stands, and the line says why.
 *
 * @param path The journal (`<out>/state.jsonl`); its writer is closed.
 * @param replay The replay of the journal as read, kept current with every
 *   event appended since.
 * @param appended Lines appended since it was read.
 * @returns The line to print (compacted, or why it could not be), or
 *   `undefined` when the journal was left as it is.
 */
export async function compactAfterRun(
  path: string,
  replay: JournalReplay,
  appended: number,
): Promise<string | undefined> {
  const { lines, unknownType } = replay;
  const { skipped, states } = replay.result;
  // A line this version could not read stays: it may be a newer version's.
  // (A torn last line, cut short by a crash, replays as nothing: it may go.)
  if (skipped > 0 || unknownType !== undefined) return undefined;
  if (!worthCompacting(lines + appended, states.size)) return undefined;
  try {
    if (await hasRecoveryFile(dirname(path))) return undefined;
    const compaction = await compactJournal(path, replay);
    return compactionNotice(path, { ...compaction, linesBefore: lines + appended });
  } catch (error) {
    return error instanceof FolderSyncError
      ? `warning: Compacted journal ${path}, but its folder could not be synced: ${error.message}`
      : `warning: Cannot compact journal ${path}: ${messageOf(error)}; it is kept as it was`;
  }
}

/** The compacted journal replaced the old one, but the rename may not be durable yet. */
class FolderSyncError extends Error {}

/**
 * The line a run prints when it compacted its journal, e.g. `compacted state.jsonl: 5,000,001 lines → 1,000,000 lines (790 MB → 420 MB)`.
 */
function compactionNotice(path: string, compaction: Compaction): string {
  const n = (value: number): string => value.toLocaleString("en-US");
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  return `compacted ${path}: ${n(compaction.linesBefore)} lines → ${n(compaction.linesAfter)} ` +
    `lines (${mb(compaction.bytesBefore)} → ${mb(compaction.bytesAfter)}), one per job`;
}
