/**
 * The output folder's lock: an OS advisory lock (`flock`, through
 * `Deno.FsFile.tryLock`, which never blocks) on `<out>/.lock`. The kernel
 * releases it when the holding process dies, so a lock file left by a killed
 * run is simply taken over; the pid, host and start time written inside only
 * serve the message a second run prints.
 *
 * @module
 */

import { join } from "node:path";
import { LockHeldError } from "../errors.ts";
import { writeAll } from "../fs.ts";
import { entryAt, LOCK_FILE, sameFile } from "../out_dir.ts";

/** A held output-folder lock. */
export interface OutputLock {
  /** Removes the lock file and releases the lock. Idempotent. */
  release(): Promise<void>;
}

/** What a run writes about itself into the lock file. */
export interface LockHolder {
  /** The process id of the run. */
  pid: number;
  /** The host the run is on. */
  host: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
}

/** Attempts to lock before giving up when the lock file keeps being replaced under us. */
const MAX_ATTEMPTS = 10;

/**
 * Locks an output folder for this run, creating the folder if needed.
 *
 * @param outDir The output folder.
 * @param info What to write into the lock file.
 * @default info `{ pid: Deno.pid, host: Deno.hostname(), startedAt: now }`
 * @returns The held lock; release it at a normal exit.
 * @throws {LockHeldError} When another process holds the lock, with what it
 * wrote about itself.
 */
export async function acquireLock(outDir: string, info?: LockHolder): Promise<OutputLock> {
  await Deno.mkdir(outDir, { recursive: true });
  const path = join(outDir, LOCK_FILE);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const file = await openLockFile(path);
    try {
      if (!(await file.tryLock(true))) {
        throw new LockHeldError(path, await readHolder(path));
      }
      // A releasing holder removes the file while still locking it. If we
      // locked that removed file, the path now names another file (or none),
      // and a third run could lock that one: start again on the current path.
      if (!(await isSameFile(file, path))) {
        file.close();
        continue;
      }
      await file.truncate(0);
      const holder = JSON.stringify(info ?? currentHolder()) + "\n";
      await writeAll(file, new TextEncoder().encode(holder));
      return new HeldLock(path, file);
    } catch (error) {
      file.close();
      throw error;
    }
  }
  throw new LockHeldError(path, await readHolder(path));
}

class HeldLock implements OutputLock {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  #released = false;

  constructor(path: string, file: Deno.FsFile) {
    this.#path = path;
    this.#file = file;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      // Remove while still holding the lock, so we never remove a file that
      // another run has locked.
      await Deno.remove(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    } finally {
      this.#file.close();
    }
  }
}

/**
 * Open the lock file without ever creating or truncating through a link: a
 * link at its name is removed (its target is not touched) and the file is
 * created exclusively; an existing file is opened as it is (nothing is written
 * before {@linkcode isSameFile} has checked that the name is that file).
 */
async function openLockFile(path: string): Promise<Deno.FsFile> {
  if ((await entryAt(path))?.isSymlink) await Deno.remove(path);
  try {
    return await Deno.open(path, { read: true, write: true, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return await Deno.open(path, { read: true, write: true });
  }
}

/** Whether `path` names the open file itself (not a link to it, not another file). */
async function isSameFile(file: Deno.FsFile, path: string): Promise<boolean> {
  const named = await entryAt(path);
  if (named === undefined || named.isSymlink) return false;
  // `ino` is null where the platform does not report it; trust the lock then.
  return sameFile(await file.stat(), named);
}

/** What the holder wrote, or as much of it as is readable (it may not have written yet). */
async function readHolder(path: string): Promise<Partial<LockHolder> | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, host, startedAt } = value as Record<string, unknown>;
  return {
    pid: typeof pid === "number" ? pid : undefined,
    host: typeof host === "string" ? host : undefined,
    startedAt: typeof startedAt === "string" ? startedAt : undefined,
  };
}

/**
 * What this process writes into the lock file: its pid, its host (`"unknown"`
 * without `--allow-sys`) and the current time.
 *
 * @returns The holder description for this run.
 */
export function currentHolder(): LockHolder {
  let host = "unknown";
  try {
    host = Deno.hostname();
  } catch {
    // No --allow-sys: the host only decorates the message a second run prints.
  }
  return { pid: Deno.pid, host, startedAt: new Date().toISOString() };
}
