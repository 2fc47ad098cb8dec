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
  const name = basename(output);
  const ext = extname(name);
  const stem = ext === "" ? name : name.slice(0, -ext.length);
  const folder = join(outDir, VIDEOS_FOLDER, PREVIOUS_FOLDER);
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile || !entry.name.startsWith(`${stem}.`) || !entry.name.endsWith(ext)) {
        continue;
      }
      const middle = entry.name.slice(stem.length + 1, entry.name.length - ext.length);
      if (/^[0-9a-f]{8}$/.test(middle)) {
        found.push(`${VIDEOS_FOLDER}/${PREVIOUS_FOLDER}/${entry.name}`);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  return found.sort();
}
