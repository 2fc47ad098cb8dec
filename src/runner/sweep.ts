/**
 * Removes what an interrupted run can leave in its output folder: partial
 * downloads (`videos/*.part`) and half-written reports (`report.*.tmp-*`).
 * Only called while this run holds the folder's lock, so no other process is
 * writing them.
 *
 * @module
 */
import { join } from "node:path";

/**
 * Delete leftover temporary files of earlier runs.
 *
 * @param outDir The output folder (locked by the caller).
 * @returns The paths removed, relative to the folder.
 */
export async function sweepTemporaryFiles(outDir: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (folder: string, isTemporary: (name: string) => boolean): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(join(outDir, folder)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isFile || !isTemporary(entry.name)) continue;
      await Deno.remove(join(outDir, folder, entry.name)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      removed.push(folder ? `${folder}/${entry.name}` : entry.name);
    }
  };
  await sweep("", (name) => /^report\.[a-z]+\.tmp-\d+$/.test(name));
  await sweep("videos", (name) => name.endsWith(".part"));
  return removed.sort();
}
