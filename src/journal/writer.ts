/**
 * The only writer of the checkpoint journal: appends events as JSON lines and
 * acknowledges each one only once it is durable. Appends that arrive while a
 * write and fsync are in progress are batched into the next one (group
 * commit), so many concurrent jobs share a few fsyncs.
 *
 * @module
 */

import { dirname } from "node:path";
import { BatchError, ExitCode, messageOf } from "../errors.ts";
import { syncFolder, writeAll } from "../fs.ts";
import { openJournalFile } from "../out_dir.ts";
import { encodeEvent } from "./codec.ts";
import type { JournalEvent } from "./events.ts";

/** An open journal. */
export interface JournalWriter {
  /**
   * Appends one event.
   *
   * @param event The event to append.
   * @returns A promise that resolves once the event is written and fsynced,
   * and rejects with a {@linkcode BatchError} (code `journal_write`) when it
   * could not be made durable. A failure fails only the batch it happened in:
   * a later append is tried again (a caller may retry), on a line of its own.
   */
  append(event: JournalEvent): Promise<void>;
  /** Waits for every pending append to settle, then closes the file. Idempotent. */
  close(): Promise<void>;
  /** How many fsyncs the writer has completed. */
  readonly fsyncs: number;
}

/** Options of {@linkcode openJournal}. */
export interface OpenJournalOptions {
  /**
   * Makes the written bytes durable; injected by tests to count or fail
   * fsyncs.
   *
   * @default {(file) => file.syncData()}
   */
  fsync?: (file: Deno.FsFile) => Promise<void>;
}

interface PendingAppend {
  line: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Opens (creating if needed) a journal for appending. When the file ends
 * with a torn line (no trailing newline, left by a crash), a newline is
 * written first so the next event starts on a line of its own.
 *
 * @param path The journal file (`<out>/state.jsonl`); its folder must exist.
 * @param options Injected effects.
 * @returns The writer; close it when done.
 */
export async function openJournal(
  path: string,
  options: OpenJournalOptions = {},
): Promise<JournalWriter> {
  const fsync = options.fsync ?? ((file: Deno.FsFile): Promise<void> => file.syncData());
  let file: Deno.FsFile;
  try {
    file = await openJournalFile(path); // never through a link
  } catch (error) {
    throw journalError(path, "open", error);
  }
  try {
    const size = await file.seek(0, Deno.SeekMode.End);
    // A new file's directory entry must be durable too, or an acknowledged
    // event could vanish with its file.
    if (size === 0) await syncFolder(dirname(path));
    else await terminateTornLine(file);
  } catch (error) {
    file.close();
    throw journalError(path, "open", error);
  }
  return new Journal(path, file, fsync);
}

class Journal implements JournalWriter {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  readonly #fsync: (file: Deno.FsFile) => Promise<void>;
  readonly #encoder = new TextEncoder();
  #queue: PendingAppend[] = [];
  /** The running flush loop, if any. */
  #flushing: Promise<void> | undefined;
  /**
   * Set after a failed write or fsync: the file may end with part of a line
   * (or a whole line that is not durable), so the next write starts with a
   * newline. A blank line replays as nothing; a rejected event that did land
   * and is appended again replays the same (replay tolerates duplicates).
   */
  #mayBeTorn = false;
  #closed = false;
  #fsyncs = 0;

  constructor(path: string, file: Deno.FsFile, fsync: (file: Deno.FsFile) => Promise<void>) {
    this.#path = path;
    this.#file = file;
    this.#fsync = fsync;
  }

  get fsyncs(): number {
    return this.#fsyncs;
  }

  append(event: JournalEvent): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new BatchError(`Cannot append to journal ${this.#path}: it is closed`, {
          code: "journal_write",
          exitCode: ExitCode.Failed,
        }),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ line: encodeEvent(event) + "\n", resolve, reject });
    // Start on a later microtask so that appends made in the same tick share
    // the first fsync too.
    this.#flushing ??= Promise.resolve().then(() => this.#flushLoop());
    return promise;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    this.#file.close();
  }

  async #flushLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const text = (this.#mayBeTorn ? "\n" : "") + batch.map((p) => p.line).join("");
      try {
        await writeAll(this.#file, this.#encoder.encode(text));
        await this.#fsync(this.#file);
        this.#fsyncs += 1;
        this.#mayBeTorn = false;
      } catch (error) {
        this.#mayBeTorn = true;
        const failure = journalError(this.#path, "append to", error);
        for (const pending of batch) pending.reject(failure);
        continue;
      }
      for (const pending of batch) pending.resolve();
    }
    this.#flushing = undefined;
  }
}

/** Writes a newline when the (non-empty) file does not end with one. */
async function terminateTornLine(file: Deno.FsFile): Promise<void> {
  await file.seek(-1, Deno.SeekMode.End);
  const last = new Uint8Array(1);
  if ((await file.read(last)) === 1 && last[0] === 0x0a) return;
  // In append mode the write goes to the end whatever the position; the next
  // append's fsync makes it durable together with that event.
  await writeAll(file, new Uint8Array([0x0a]));
}

function journalError(path: string, action: string, cause: unknown): BatchError {
  return new BatchError(`Cannot ${action} journal ${path}: ${messageOf(cause)}`, {
    code: "journal_write",
    exitCode: ExitCode.Failed,
    cause,
  });
}
