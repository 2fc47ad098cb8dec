/**
 * The way back for events the journal could not take (issue 8: a created
 * task is never forgotten). When an append to `<out>/state.jsonl` fails, the
 * run keeps the events in a recovery file, `<out>/recovered-<time>.jsonl`,
 * one journal event a line; the next run folds every such file into the
 * journal under the folder's lock, then removes it.
 *
 * A full disk is the usual reason a journal cannot be written, and on a full
 * disk a new file cannot get a block either. So a run reserves its recovery
 * file when it starts: the file is created (exclusively: never through a
 * symlink, never over another file) and filled with newlines, which replay as
 * nothing; events are later written over them, which needs no new space on
 * file systems that overwrite in place. A run that kept nothing removes it.
 *
 * Folding is crash-safe: the events are appended and made durable, then the
 * file is removed; a crash in between folds the same events again on the next
 * run, and replay reads an event twice as once (see replay.ts).
 *
 * A user can also write a recovery file by hand: the lines a run printed for
 * events it could keep nowhere, saved as `<out>/recovered-<anything>.jsonl`.
 *
 * @module
 */
import { join } from "node:path";
import { BatchError, ExitCode, messageOf } from "../errors.ts";
import { syncFolder, writeAll } from "../fs.ts";
import { decodeLine, encodeEvent } from "./codec.ts";
import type { JournalEvent } from "./events.ts";
import { openJournal } from "./writer.ts";

/** Names of recovery files in an output folder. */
const RECOVERY_NAME = /^recovered-[^/\\]*\.jsonl$/;

/**
 * Whether a file name in an output folder is a recovery file.
 *
 * @param name A file name (no folder).
 * @returns `true` for `recovered-<anything>.jsonl`.
 */
export function isRecoveryFileName(name: string): boolean {
  return RECOVERY_NAME.test(name);
}

/**
 * Whether a folder holds a recovery file (events not in the journal yet).
 *
 * @param folder The output folder.
 * @returns True when one of its entries has a recovery file's name.
 */
export async function hasRecoveryFile(folder: string): Promise<boolean> {
  for await (const entry of Deno.readDir(folder)) {
    if (isRecoveryFileName(entry.name)) return true;
  }
  return false;
}

/**
 * The bytes to reserve for a run whose in-flight bound is `concurrency`:
 * room for about three events per slot (a POST, a poll and a download
 * answering at the moment the journal fails) at up to 1 KiB each, at least 64 KiB.
 *
 * @param concurrency The run's `--concurrency`.
 * @returns Bytes.
 */
export function reserveBytesFor(concurrency: number): number {
  return Math.max(64 * 1024, (3 * concurrency + 8) * 1024);
}

/** What a recovery file holds. */
export interface RecoveryContent {
  /** Its events, in order. */
  events: JournalEvent[];
  /** Its last non-blank line could not be read (a write cut short) and was dropped. */
  tornTail: boolean;
}

/**
 * Read a recovery file's text. Blank lines (the unused reserve) are nothing;
 * a last line that cannot be read was cut short and is dropped; any other
 * line that is not a journal event makes the file unusable.
 *
 * @param text The file's content.
 * @param file The file's path, for the error.
 * @returns The events and whether the tail was torn.
 * @throws {BatchError} (code `recovery_file`, exit 2) naming the file and line.
 */
export function parseRecoveryText(text: string, file: string): RecoveryContent {
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === "") last--;
  const events: JournalEvent[] = [];
  let tornTail = false;
  for (let i = 0; i <= last; i++) {
    if (lines[i].trim() === "") continue;
    const entry = decodeLine(lines[i]);
    // A job's whole state is a compacted journal's, never an event a run kept.
    const event = entry?.type === "job_state" ? undefined : entry;
    if (event !== undefined) events.push(event);
    else if (i === last) tornTail = true;
    else {
      throw recoveryError(
        `Cannot fold recovery file ${file} into the journal: line ${i + 1} is not a journal ` +
          `event; nothing was sent (fix or remove the line, then run again)`,
      );
    }
  }
  return { events, tornTail };
}

/** What {@linkcode foldRecoveryFiles} did with one file. */
export interface FoldedFile {
  /** The file's path (removed now). */
  path: string;
  /** Events added to the journal. */
  events: number;
  /** Its last line was torn and dropped. */
  tornTail: boolean;
}

/**
 * Add the events of every recovery file in an output folder to its journal,
 * oldest file first, then remove each file. Call only while holding the
 * folder's lock, before reading the journal.
 *
 * @param outDir The output folder.
 * @param journalFile The journal (`<out>/state.jsonl`).
 * @returns The files folded, in order.
 * @throws {BatchError} (code `recovery_file`, exit 2) naming the file when one
 *   is not a regular file, cannot be read or parsed, or its events cannot be
 *   appended; nothing is sent then.
 */
export async function foldRecoveryFiles(
  outDir: string,
  journalFile: string,
): Promise<FoldedFile[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(outDir)) {
      if (!isRecoveryFileName(entry.name)) continue;
      if (!entry.isFile) {
        throw recoveryError(
          `Cannot fold recovery file ${join(outDir, entry.name)} into the journal: it is ` +
            `${entry.isSymlink ? "a symbolic link" : "not a file"}; nothing was sent ` +
            `(replace it with the file itself, or remove it)`,
        );
      }
      names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof BatchError) throw error;
    if (error instanceof Deno.errors.NotFound) return [];
    throw recoveryError(`Cannot look for recovery files in ${outDir}: ${messageOf(error)}`);
  }
  if (names.length === 0) return [];
  names.sort();
  const folded: FoldedFile[] = [];
  const journal = await openJournal(journalFile);
  try {
    for (const name of names) {
      const path = join(outDir, name);
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (error) {
        throw recoveryError(
          `Cannot fold recovery file ${path} into the journal: ${
            messageOf(error)
          }; nothing was sent`,
        );
      }
      const { events, tornTail } = parseRecoveryText(text, path);
      try {
        await Promise.all(events.map((event) => journal.append(event)));
      } catch (error) {
        throw recoveryError(
          `Cannot fold recovery file ${path} into the journal: ${messageOf(error)}; ` +
            `nothing was sent (the file is kept; free space and run again)`,
        );
      }
      try {
        await Deno.remove(path);
      } catch (error) {
        throw recoveryError(
          `Cannot remove recovery file ${path} after adding its events to the journal: ` +
            `${messageOf(error)}; nothing was sent`,
        );
      }
      folded.push({ path, events: events.length, tornTail });
    }
  } finally {
    await journal.close();
  }
  await syncFolder(outDir);
  return folded;
}

/** A recovery file as read without folding it. */
export interface PendingRecovery {
  /** The file's path. */
  path: string;
  /** Its events; absent when it cannot be read (see `error`). */
  events?: JournalEvent[];
  /** Why it cannot be read (the next run will stop on it). */
  error?: string;
}

/**
 * Read the output folder's recovery files without folding them, for the
 * commands that only look (`status`, `report`): what the next run will add
 * to the journal.
 *
 * @param outDir The output folder.
 * @returns Each file, oldest first; none when the folder does not exist.
 */
export async function readRecoveryFiles(outDir: string): Promise<PendingRecovery[]> {
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(outDir)))
      .filter((entry) => entry.isFile && isRecoveryFileName(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  const files: PendingRecovery[] = [];
  for (const name of names) {
    const path = join(outDir, name);
    try {
      files.push({ path, events: parseRecoveryText(await Deno.readTextFile(path), path).events });
    } catch (error) {
      files.push({ path, error: messageOf(error) });
    }
  }
  return files;
}

/** Options of {@linkcode RecoveryFile.reserve}. */
export interface ReserveOptions {
  /** Bytes of newlines to reserve. @default 65536 */
  bytes?: number;
  /** The time in the file's name. @default now */
  now?: Date;
}

/**
 * This run's recovery file: reserved at the start, written only when the
 * journal fails, removed at the end when it holds nothing.
 */
export class RecoveryFile {
  readonly #outDir: string;
  readonly #now: Date;
  #file: Deno.FsFile | undefined;
  #path: string | undefined;
  /** Where the next event goes: the end of the events kept so far. */
  #offset = 0;
  #kept = 0;
  /** A write failed: later events are not written after a torn line. */
  #broken: Error | undefined;
  /** Keeps one write at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(outDir: string, now: Date) {
    this.#outDir = outDir;
    this.#now = now;
  }

  /**
   * Create and reserve a recovery file in `outDir`. Never fails: a file that
   * cannot be created now is created when an event needs it, and a reserve
   * that could not be written in full is used as far as it goes.
   *
   * @param outDir The output folder (locked by the caller).
   * @param options Reserve size and time.
   * @returns The file.
   */
  static async reserve(outDir: string, options: ReserveOptions = {}): Promise<RecoveryFile> {
    const recovery = new RecoveryFile(outDir, options.now ?? new Date());
    try {
      await recovery.#create();
      await writeAll(recovery.#file!, new Uint8Array(options.bytes ?? 64 * 1024).fill(0x0a));
      await recovery.#file!.syncData();
    } catch {
      // As far as it goes; see above.
    }
    return recovery;
  }

  /** The file's path, once created. */
  get path(): string | undefined {
    return this.#path;
  }

  /** How many events it holds. */
  get kept(): number {
    return this.#kept;
  }

  /**
   * Write one event and make it durable.
   *
   * @param event The event the journal could not take.
   * @returns The file's path.
   */
  keep(event: JournalEvent): Promise<string> {
    const work = this.#queue.then(() => this.#write(event));
    this.#queue = work.catch(() => {});
    return work;
  }

  /** Close the file; remove it when it holds no event. */
  async close(): Promise<void> {
    await this.#queue;
    this.#file?.close();
    this.#file = undefined;
    if (this.#kept === 0 && this.#path !== undefined) {
      await Deno.remove(this.#path).catch(() => {});
      this.#path = undefined;
    }
  }

  async #write(event: JournalEvent): Promise<string> {
    if (this.#broken) throw this.#broken;
    try {
      if (this.#file === undefined) await this.#create();
      const file = this.#file!;
      const bytes = new TextEncoder().encode(encodeEvent(event) + "\n");
      await file.seek(this.#offset, Deno.SeekMode.Start);
      await writeAll(file, bytes);
      await file.syncData();
      this.#offset += bytes.byteLength;
      this.#kept++;
      return this.#path!;
    } catch (error) {
      this.#broken = error instanceof Error ? error : new Error(String(error));
      throw this.#broken;
    }
  }

  /** Create the file under a fresh name: exclusive, so never through a link or over a file. */
  async #create(): Promise<void> {
    const stamp = this.#now.toISOString().replace(/[:.]/g, "-");
    for (let n = 0;; n++) {
      const path = join(this.#outDir, `recovered-${stamp}${n === 0 ? "" : `-${n}`}.jsonl`);
      try {
        this.#file = await Deno.open(path, { read: true, write: true, createNew: true });
        this.#path = path;
        await syncFolder(this.#outDir);
        return;
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists) || n >= 99) throw error;
      }
    }
  }
}

function recoveryError(message: string): BatchError {
  return new BatchError(message, { code: "recovery_file", exitCode: ExitCode.Usage });
}
