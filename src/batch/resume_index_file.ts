/**
 * The resume index on disk (`<out>/.resume-index`, see
 * {@linkcode ../resume_index.ts}): read without following a link, written
 * under a temporary name and renamed (never through a link), removed when a
 * run starts the whole path; and the digests of the files its key names.
 *
 * @module
 */
import { join } from "node:path";
import { sha256File } from "../hash.ts";
import { messageOf } from "../errors.ts";
import { MAX_MANIFEST_BYTES } from "../manifest/load.ts";
import { readAt, writeAll } from "../fs.ts";
import { createFresh, RESUME_INDEX_FILE, resumeIndexTemporaryName } from "../out_dir.ts";
import {
  decodeResumeIndex,
  encodeResumeIndex,
  RESUME_INDEX_HEAD,
  type ResumeIndex,
} from "../resume_index.ts";

/** An index larger than this is not read (a million jobs make about 40 MB). */
const MAX_INDEX_BYTES = 1024 * 1024 * 1024;

/** An index's last bytes: `\nend <64 hex digits>\n`. */
const INDEX_TAIL_BYTES = 70;

/**
 * The output folder's resume index, if it holds a whole one.
 *
 * @param outDir The output folder.
 * @returns The index; undefined when there is none, it is not a regular file
 *   (a link is not followed), or it is torn, edited or of another format.
 */
export async function readResumeIndex(outDir: string): Promise<ResumeIndex | undefined> {
  const path = join(outDir, RESUME_INDEX_FILE);
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size > MAX_INDEX_BYTES) return undefined;
    // Its first and last bytes first: a large file of anything else (a sparse
    // one costs its maker nothing) is not loaded whole to find that out.
    if (!(await edgesLookLikeAnIndex(path, info.size))) return undefined;
    return decodeResumeIndex(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** Whether a file begins with an index's header and ends with its `end` line. */
async function edgesLookLikeAnIndex(path: string, size: number): Promise<boolean> {
  const head = new TextEncoder().encode(RESUME_INDEX_HEAD);
  const tailBytes = INDEX_TAIL_BYTES;
  if (size < head.length + tailBytes) return false;
  using file = await Deno.open(path, { read: true });
  const start = new Uint8Array(head.length);
  const end = new Uint8Array(tailBytes);
  if (await readAt(file, 0, start) !== start.length) return false;
  if (await readAt(file, size - tailBytes, end) !== end.length) return false;
  return start.every((byte, i) => byte === head[i]) &&
    /^\nend [0-9a-f]{64}\n$/.test(new TextDecoder().decode(end));
}

/**
 * Whether the output folder has an entry at the resume index's name (whatever
 * it holds): only then is there an index to compare the inputs with.
 *
 * @param outDir The output folder.
 * @returns True when something is there.
 */
export async function hasResumeIndex(outDir: string): Promise<boolean> {
  try {
    await Deno.lstat(join(outDir, RESUME_INDEX_FILE));
    return true;
  } catch {
    return false;
  }
}

/**
 * Write the resume index: to a fresh temporary file (exclusive create, so
 * never through a link), then renamed over the old one. It is a cache: it is
 * not synced (a torn index fails its checksum and is not used).
 *
 * @param outDir The output folder (locked by the caller).
 * @param index What the run knew.
 * @returns Undefined when written; otherwise why not, in words (the
 *   temporary file is removed).
 */
export async function writeResumeIndex(
  outDir: string,
  index: ResumeIndex,
): Promise<string | undefined> {
  const temporary = join(outDir, resumeIndexTemporaryName(Deno.pid));
  try {
    const pieces = encodeResumeIndex(index);
    {
      using file = await createFresh(temporary);
      for (const piece of pieces) await writeAll(file, piece);
    }
    await Deno.rename(temporary, join(outDir, RESUME_INDEX_FILE));
    return undefined;
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    return messageOf(error);
  }
}

/**
 * Remove the output folder's resume index (a run that takes the whole path
 * writes a new one if it leaves nothing to do). A link there is removed, never
 * its target.
 *
 * @param outDir The output folder (locked by the caller).
 */
export async function removeResumeIndex(outDir: string): Promise<void> {
  // One that cannot be removed does no harm: its key names the journal,
  // which this run changes if it changes anything.
  await Deno.remove(join(outDir, RESUME_INDEX_FILE)).catch(() => {});
}

/**
 * A regular file's SHA-256, read in 4 MiB pieces. Anything else (a FIFO,
 * a device, a folder, a file over `maxBytes`) is not opened: reading it could
 * wait for ever or for long, and the command's own checks say what it is.
 *
 * @param path The file (a link is followed, as the commands follow it).
 * @param maxBytes The largest file read. @default the manifest limit (200 MiB)
 * @returns Hex digest, or undefined when it is not such a file or cannot be read.
 */
export async function digestOf(
  path: string,
  maxBytes: number = MAX_MANIFEST_BYTES,
): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > maxBytes) return undefined;
    return await sha256File(path, 4 * 1024 * 1024);
  } catch {
    return undefined;
  }
}

/**
 * A file's size and SHA-256 from one reading (the journal's, whose size is
 * compared first).
 *
 * @param path The file.
 * @returns Size and hex digest, or undefined when it cannot be read.
 */
export async function sizeAndDigestOf(
  path: string,
): Promise<{ bytes: number; sha256: string } | undefined> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile) return undefined;
    const sha256 = await sha256File(path, 4 * 1024 * 1024);
    const after = await Deno.lstat(path);
    // Changed while it was read: not a state to key anything on.
    if (after.size !== info.size || after.mtime?.getTime() !== info.mtime?.getTime()) {
      return undefined;
    }
    return { bytes: info.size, sha256 };
  } catch {
    return undefined;
  }
}
