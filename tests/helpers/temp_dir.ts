/**
 * A fresh temporary folder for a test, removed afterwards.
 *
 * @module
 */

/**
 * Run `body` with a fresh temporary folder, removed afterwards.
 *
 * @param body Runs with the folder's path.
 */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "seedance_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
