/**
 * Removes what an interrupted run can leave in its output folder: partial
 * downloads (`videos/*.part`), half-written reports (`report.*.tmp-*`),
 * journals a killed compaction left (`state.jsonl.compact-*`, never read)
 * and a half-written resume index (`.resume-index.tmp-*`).
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
  isResumeIndexTemporary,
  VIDEOS_FOLDER,
} from "../out_dir.ts";

/**
 * Delete leftover temporary files of earlier runs. A leftover that is a
 * symbolic link is removed too (the link, never what it points to); a
 * `videos` entry that is a link is not looked into.
 *
 * @param outDir The output folder (locked by the caller).
 * @param options `videos: false` leaves `videos/` alone (a resume whose
 *   journal did not change since a run that finished every download: no
 *   run of the tool has started one since, and a million-file folder is not
 *   listed for nothing).
 * @returns The paths removed, relative to the folder.
 */
export async function sweepTemporaryFiles(
  outDir: string,
  options: { videos?: boolean } = {},
): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (folder: string, isTemporary: (name: string) => boolean): Promise<void> => {
    const path = join(outDir, folder);
    if (folder !== "" && !(await entryAt(path))?.isDirectory) return;
    // Only the leftovers' names are kept: `videos/` may hold a million entries.
    const leftovers: string[] = [];
    try {
      for await (const entry of Deno.readDir(path)) {
        if ((entry.isFile || entry.isSymlink) && isTemporary(entry.name)) {
          leftovers.push(entry.name);
        }
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const name of leftovers) {
      await Deno.remove(join(path, name)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      removed.push(folder ? `${folder}/${name}` : name);
    }
  };
  await sweep(
    "",
    (name) => isReportTemporary(name) || isCompactTemporary(name) || isResumeIndexTemporary(name),
  );
  if (options.videos ?? true) await sweep(VIDEOS_FOLDER, isPartialVideo);
  return removed.sort();
}
