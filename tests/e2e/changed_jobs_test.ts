/**
 * Issue 9 item 5 through the CLI: a job edited after it was submitted is
 * its own visible category, `--rerender-changed` renders only it (keeping
 * its old paid video under a new name), and `--retry-failed` is unchanged.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import {
  readReport,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  type TestJob,
  writeManifest,
} from "./harness.ts";

const [A, B] = sampleJobs(4).slice(2) as [TestJob, TestJob];
const EDITED: TestJob = { ...A, prompt: `${A.prompt} at dusk` };

Deno.test("run shows an edited job as changed, --rerender-changed renders only it and keeps its old video, --retry-failed still retries the failed", async () => {
  await withTempDir(async (dir) => {
    const outDir = join(dir, "batch.out");
    const healthy = await startService();
    const failing = await startService({ failureRate: 1 });
    try {
      // A is rendered; B fails for real.
      const manifest = await writeManifest(dir, [A]);
      assert.equal((await runAgainst(manifest, healthy)).code, 0);
      const first = (await readReport(outDir)).jobs[0];
      const oldSha = first.sha256 as string;
      const oldOutput = first.output as string;
      await writeManifest(dir, [A, B]);
      assert.equal((await runAgainst(manifest, failing)).code, 1);

      // A is edited: a plain run says so, sends nothing, and points at the flag.
      await writeManifest(dir, [EDITED, B]);
      const plain = await runAgainst(manifest, healthy);
      assert.equal(plain.code, 1, "nothing left a plain run would progress");
      const printed = plain.stderr.join("\n");
      assert.match(printed, new RegExp(`${A.id}: CHANGED: edited since task \\S+ was made`));
      assert.match(printed, /next: 1 job edited since submitted; .*--rerender-changed/);
      assert.match(printed, /next: 1 job failed; .*--retry-failed/);
      const shown = await readReport(outDir);
      assert.equal(shown.totals.changed, 1);
      assert.equal(shown.totals.failed, 2);
      assert.equal(healthy.stats().requests.submit, 1, "nothing sent for the edit");

      // --rerender-changed: only the edited job is sent again.
      const rerender = await runAgainst(manifest, healthy, ["--rerender-changed"]);
      assert.equal(rerender.code, 1, "B is still failed");
      const posts = healthy.stats().tasksCreatedByPrompt;
      assert.equal(posts[EDITED.prompt], 1);
      assert.equal(posts[B.prompt], undefined, "the genuinely failed job was not retried");
      assert.equal(healthy.stats().requests.submit, 2);
      const kept = `videos/previous/${A.id}.${oldSha.slice(0, 8)}.mp4`;
      assert.match(rerender.stderr.join("\n"), new RegExp(`the old video is kept as ${kept}`));
      assert.equal(await sha256File(join(outDir, kept)), oldSha, "the old video, byte-identical");
      const after = await readReport(outDir);
      const row = after.jobs.find((job) => job.id === A.id)!;
      assert.equal(row.status, "done");
      assert.equal(row.output, oldOutput);
      assert.equal(await sha256File(join(outDir, row.output as string)), row.sha256);
      assert.deepEqual(row.previous_videos, [kept]);
      assert.equal(after.totals.changed, 0);

      // --retry-failed keeps its meaning: the failed job gets a new attempt.
      const retried = await runAgainst(manifest, healthy, ["--retry-failed"]);
      assert.equal(retried.code, 0);
      assert.equal(healthy.stats().tasksCreatedByPrompt[B.prompt], 1);
      assert.equal(healthy.stats().tasksCreatedByPrompt[EDITED.prompt], 1, "not rendered twice");
      assert.equal(await sha256File(join(outDir, kept)), oldSha);
    } finally {
      await healthy.close();
      await failing.close();
    }
  });
});
