/**
 * An adversarial pass over the resume index (issue 11): a run answered from
 * the index must do, print and leave exactly what the whole path would.
 * Each test here makes the two paths meet the same situation and compares.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import { runAgainst, sampleJobs, startService, writeManifest } from "./harness.ts";

const INDEX = ".resume-index";

/** What a run printed, its times and durations blanked. */
function printed(lines: string[]): string[] {
  return lines.map((line) =>
    line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>").replace(/\b\d+(\.\d+)? ?m?s\b/g, "<dur>")
  );
}

Deno.test("run interrupted before it starts prints the same stop line and exit code with or without the index", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.lstat(join(outDir, INDEX));
      const stopped = new AbortController();
      stopped.abort();
      const fast = await runAgainst(manifest, service, [], stopped.signal);
      await Deno.remove(join(outDir, INDEX)).catch(() => {});
      const whole = await runAgainst(manifest, service, [], stopped.signal);
      assert.equal(whole.code, 130, whole.stderr.join("\n"));
      assert.equal(fast.code, whole.code);
      assert.deepEqual(printed(fast.stderr), printed(whole.stderr));
      assert.deepEqual(printed(fast.stdout), printed(whole.stdout));
    } finally {
      await service.close();
    }
  });
});
