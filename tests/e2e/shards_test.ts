/**
 * Issue 11's "Done when": three shards of one manifest run at once against
 * one simulator, each with its own key, then one merged report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { readReport, sampleJobs, startService, writeManifest } from "./harness.ts";

const KEYS = ["sk-shard-one-1111", "sk-shard-two-2222", "sk-shard-three-3333"];

Deno.test("three shards run at once with their own keys submit every job once, and the merged report shows every job done", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(30);
    const manifest = await writeManifest(dir, jobs);
    // No single key: the simulator accepts these three, labelled key-1..key-3 in order.
    const service = await startService({
      key: undefined,
      keys: KEYS,
      renderMs: { min: 30, max: 90 },
    });
    const concurrency = [2, 3, 4];
    try {
      const runs = await Promise.all([1, 2, 3].map((k) =>
        runCli(
          [
            "run",
            manifest,
            "--shard",
            `${k}/3`,
            "--concurrency",
            String(concurrency[k - 1]),
            "--poll-interval",
            "0.02",
            "--quiet",
          ],
          { env: { COMETAPI_KEY: KEYS[k - 1], COMETAPI_BASE_URL: service.url } },
        )
      ));
      for (const run of runs) assert.equal(run.code, 0, run.stderr.join("\n"));
      const stats = service.stats();
      // Every job submitted exactly once across the shards.
      assert.equal(stats.tasksCreated, jobs.length);
      for (const job of jobs) assert.equal(stats.tasksCreatedByPrompt[job.prompt], 1, job.id);
      // Each key stayed within its shard's --concurrency, and each shard used only its key.
      for (const [index, limit] of concurrency.entries()) {
        const label = `key-${index + 1}`;
        const max = stats.maxTasksInFlightByKey[label] ?? 0;
        assert.ok(max >= 1 && max <= limit, `${label}: ${max} in flight, limit ${limit}`);
      }
      const out = join(dir, "batch.out");
      for (const k of [1, 2, 3]) {
        const shardReport = await readReport(join(out, `shard-${k}-of-3`));
        const label = `key-${k}`;
        const submitted = stats.submissions.filter((submission) => submission.key === label);
        assert.equal(submitted.length, shardReport.totals.jobs, label);
      }
      // The merged report: the shard folders found inside the default output folder.
      const merged = await runCli(["report", manifest]);
      assert.equal(merged.code, 0, merged.stderr.join("\n"));
      const report = await readReport(out);
      assert.equal(report.totals.jobs, jobs.length);
      assert.equal(report.totals.done, jobs.length);
      assert.deepEqual(
        report.jobs.map((job) => job.id),
        jobs.map((job) => job.id),
      );
      for (const job of report.jobs) {
        assert.match(String(job.shard), /^[123]\/3$/);
        const output = String(job.output);
        assert.equal(output, `shard-${String(job.shard)[0]}-of-3/videos/${job.id}.mp4`);
        await Deno.stat(join(out, output));
      }
    } finally {
      await service.close();
    }
  });
});
