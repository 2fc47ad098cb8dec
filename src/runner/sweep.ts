/**
 * Removes what an interrupted run can leave in its output folder: partial
 * downloads (`videos/*.part`), half-written reports (`report.*.tmp-*`) and
 * journals a killed compaction left (`state.jsonl.compact-*`, never read).
 * Only called while this run holds the folder's lock, so no other process is
 * writing them.
 *
 * @module
 */
import { join } from "node:path";
import {
  entryAt,
  isCompactTemporary,
  isPartialVideo,
  isReportTemporary,
  VIDEOS_FOLDER,
} from "../out_dir.ts";

/**
 * Delete leftover temporary files of earlier runs. A leftover that is a
 * symbolic link is removed too (the link, never what it points to); a
 * `videos` entry that is a link is not looked into.
 *
 * @param outDir The output folder (locked by the caller).
 * @returns The paths removed, relative to the folder.
 */
export async function sweepTemporaryFiles(outDir: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (folder: string, isTemporary: (name: string) => boolean): Promise<void> => {
    const path = join(outDir, folder);
    if (folder !== "" && !(await entryAt(path))?.isDirectory) return;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      if (!(entry.isFile || entry.isSymlink) || !isTemporary(entry.name)) continue;
      await Deno.remove(join(path, entry.name)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      removed.push(folder ? `${folder}/${entry.name}` : entry.name);
    }
  };
  await sweep("", (name) => isReportTemporary(name) || isCompactTemporary(name));
  await sweep(VIDEOS_FOLDER, isPartialVideo);
  return removed.sort();
}
