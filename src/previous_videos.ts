/**
 * The paid video of a job that is re-rendered after an edit is kept, never
 * overwritten: before the new version is submitted, the old file gets a
 * second name, `videos/previous/<stem>.<sha8><ext>` (the first 8 hex digits
 * of its recorded SHA-256), made as a hard link (a copy where links are not
 * possible). The old name stays as it was until the new video is renamed
 * over it, so a run that stops before then leaves the job exactly as it was.
 *
 * No job can ever write there: a job's `output` is a plain file name, so
 * every job video lies directly in `videos/`, never in `videos/previous/`
 * (the output-collision rule of out_dir.ts holds unchanged).
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { entryAt, refuseLink, VIDEOS_FOLDER } from "./out_dir.ts";

/** The folder, under `videos/`, where the old videos of re-rendered jobs are kept. */
export const PREVIOUS_FOLDER = "previous";

/**
 * The name an old video is kept under.
 *
 * @param output The video's path relative to the output folder (`videos/a.mp4`).
 * @param sha256 Its recorded SHA-256, hex.
 * @returns E.g. `videos/previous/a.0123abcd.mp4`, relative to the output folder.
 */
export function previousVideoName(output: string, sha256: string): string {
  const name = basename(output);
  const ext = extname(name);
  const stem = ext === "" ? name : name.slice(0, -ext.length);
  return `${VIDEOS_FOLDER}/${PREVIOUS_FOLDER}/${stem}.${sha256.slice(0, 8)}${ext}`;
}

/**
 * Keep a job's old video under its previous-video name, leaving the file
 * where it is. An entry already under that name is left alone (a kept video
 * is never replaced).
 *
 * @param outDir The output folder.
 * @param output The old video's path relative to `outDir`.
 * @param sha256 Its recorded SHA-256.
 * @returns The kept name relative to `outDir`, or undefined when there is no
 *   old video file to keep.
 * @throws {ConfigError} When `videos/previous` is a link or not a folder.
 */
export async function keepPreviousVideo(
  outDir: string,
  output: string,
  sha256: string,
): Promise<string | undefined> {
  const source = join(outDir, output);
  const info = await entryAt(source);
  if (info === undefined || !info.isFile) return undefined;
  const folder = join(outDir, VIDEOS_FOLDER, PREVIOUS_FOLDER);
  if ((await refuseLink(folder, "folder")) === undefined) await Deno.mkdir(folder);
  const kept = previousVideoName(output, sha256);
  const target = join(outDir, kept);
  if ((await entryAt(target)) !== undefined) return kept;
  try {
    await Deno.link(source, target);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return kept;
    // A file system without hard links: a copy, written exclusively.
    const bytes = await Deno.readFile(source);
    await Deno.writeFile(target, bytes, { createNew: true });
  }
  return kept;
}

/**
 * The old videos kept for a job's output name, oldest name first.
 *
 * @param outDir The output folder.
 * @param output The job's video name relative to `outDir` (`videos/a.mp4`).
 * @returns Their paths relative to `outDir`; empty when none.
 */
export async function previousVideosOf(outDir: string, output: string): Promise<string[]> {
  return (await readPreviousVideos(outDir)).of(output);
}

/** The old videos kept in an output folder, read once (see {@linkcode readPreviousVideos}). */
export interface PreviousVideos {
  /** How many kept videos the folder holds. */
  readonly count: number;
  /** The names of the kept videos in the folder, sorted. */
  readonly names: readonly string[];
  /**
   * The old videos kept for one output name, sorted by name.
   *
   * @param output The job's video name relative to the output folder (`videos/a.mp4`).
   * @returns Their paths relative to the output folder; empty when none.
   */
  of(output: string): string[];
}

/**
 * Read `videos/previous/` once: every kept video, by the output name it was
 * kept for, so that a report of many jobs asks the disk once, not once a job.
 *
 * A kept name is `<stem>.<8 hex><ext>` where `<ext>` is the output's
 * extension (no dot after its first) or nothing, so each file name can be
 * read back in at most two ways, both indexed.
 *
 * @param outDir The output folder.
 * @returns The kept videos; none when the folder is missing or not a folder.
 */
export async function readPreviousVideos(outDir: string): Promise<PreviousVideos> {
  const folder = join(outDir, VIDEOS_FOLDER, PREVIOUS_FOLDER);
  const byKey = new Map<string, string[]>();
  const names: string[] = [];
  const add = (stem: string, ext: string, name: string): void => {
    const key = `${stem}\0${ext}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [name]);
    else list.push(name);
  };
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile) continue;
      const name = entry.name;
      // Kept from an output without an extension: `<stem>.<8 hex>`.
      if (KEPT_TAIL.test(name)) add(name.slice(0, -9), "", name);
      // Kept from an output with one: `<stem>.<8 hex><ext>`.
      const ext = extname(name);
      if (ext !== "" && KEPT_TAIL.test(name.slice(0, -ext.length))) {
        add(name.slice(0, -ext.length - 9), ext, name);
      }
      names.push(name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
      throw error;
    }
  }
  for (const list of byKey.values()) list.sort();
  return {
    count: names.length,
    names: names.sort(),
    of(output: string): string[] {
      if (byKey.size === 0) return [];
      const name = basename(output);
      const ext = extname(name);
      const stem = ext === "" ? name : name.slice(0, -ext.length);
      const names = byKey.get(`${stem}\0${ext}`) ?? [];
      return names.map((kept) => `${VIDEOS_FOLDER}/${PREVIOUS_FOLDER}/${kept}`);
    },
  };
}

/** The end of a kept name before its extension: a dot and 8 hex digits. */
const KEPT_TAIL = /.\.[0-9a-f]{8}$/;
