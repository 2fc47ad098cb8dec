/**
 * Make every look at the disk of this process go through two Workers,
 * however few the files, for the length of one test.
 *
 * @module
 */
import { diskLookDefaults } from "../../src/runner/disk_looks.ts";

/**
 * Run `body` with every `lookAtFiles()` call over two Workers; the defaults
 * come back afterwards.
 *
 * @param body The test; `looked` lists how each call looked (`workers`,
 *   `thread`, `fallback`), in order, and may be emptied by the test.
 * @returns What body returned.
 */
export async function withWorkerLooks<T>(body: (looked: string[]) => Promise<T>): Promise<T> {
  const saved = { ...diskLookDefaults };
  const looked: string[] = [];
  diskLookDefaults.threshold = 0;
  diskLookDefaults.workers = 2;
  diskLookDefaults.onLooked = (via) => looked.push(via);
  try {
    return await body(looked);
  } finally {
    Object.assign(diskLookDefaults, saved);
    if (saved.onLooked === undefined) delete diskLookDefaults.onLooked;
  }
}
