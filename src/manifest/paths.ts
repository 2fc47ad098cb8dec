/**
 * Where things live relative to a manifest.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";
import { JOURNAL_FILE } from "../out_dir.ts";

/**
 * The default output folder: `<manifest folder>/<manifest name without extension>.out`.
 *
 * @param manifestPath The manifest file, as given (relative paths stay relative).
 * @returns The output folder, without a trailing separator.
 */
export function defaultOutDir(manifestPath: string): string {
  const name = basename(manifestPath, extname(manifestPath));
  return join(dirname(manifestPath), `${name}.out`);
}

/**
 * The journal file of an output folder.
 *
 * @param outDir The output folder.
 * @returns `<outDir>/state.jsonl`.
 */
export function journalPath(outDir: string): string {
  return join(outDir, JOURNAL_FILE);
}
