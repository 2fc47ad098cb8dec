import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { envFor, sampleJobs, startService, writeManifest } from "./e2e/harness.ts";
import { shellQuote } from "../src/cli/next_steps.ts";

Deno.test("run says on Ctrl-C how many tasks keep rendering (and billing) and the exact command that collects them", async () => {
  await withTempDir(async (dir) => {
    // Renders far longer than the test: the tasks are in flight when it stops.
    const service = await startService({ renderMs: 600_000 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const stop = new AbortController();
      let submitted = 0;
      const argv = ["run", manifest, "--poll-interval", "0.02", "--concurrency", "2"];
      const result = await runCli(argv, {
        env: envFor(service),
        interrupt: stop.signal,
        onStderr: (line) => {
          if (line.includes("submitted as task") && ++submitted === 2) stop.abort();
        },
      });
      assert.equal(result.code, 130, result.stderr.join("\n"));
      const again = `seedance-batch run ${
        shellQuote(manifest)
      } --poll-interval 0.02 --concurrency 2`;
      assert.ok(
        result.stderr.includes(
          "stopping: no new submissions; saving state. 2 tasks in flight keep rendering " +
            `(and billing) at the service; this command collects them: ${again}`,
        ),
        result.stderr.join("\n"),
      );
      assert.deepEqual(result.stderr.slice(-3), [
        "3 jobs: 0 done, 2 running, 1 pending, 0 uncertain, 0 failed, 0 invalid",
        `report: ${join(dir, "batch.out", "report.html")}`,
        `next: 3 jobs left (2 running, 1 pending); the same command collects them: ${again} ` +
        "(from cron: add --pass-time 540)",
      ]);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run ends with the report.html path and the command for the failed jobs, then nothing left once they are done", async () => {
  await withTempDir(async (dir) => {
    const failing = await startService({ failureRate: 1, renderMs: 10 });
    const manifest = await writeManifest(dir, sampleJobs(2), "my batch.yaml");
    const report = `report: ${join(dir, "my batch.out", "report.html")}`;
    try {
      const first = await runCli(["run", manifest, "--poll-interval", "0.02"], {
        env: envFor(failing),
      });
      assert.equal(first.code, 1, first.stderr.join("\n"));
      assert.deepEqual(first.stderr.slice(-3), [
        "2 jobs: 0 done, 0 running, 0 pending, 0 uncertain, 2 failed, 0 invalid",
        report,
        "next: 2 jobs failed; to try again (each attempt is billed): " +
        `seedance-batch run ${shellQuote(manifest)} --poll-interval 0.02 --retry-failed`,
      ]);
    } finally {
      await failing.close();
    }
    const working = await startService({ renderMs: 10 });
    try {
      const second = await runCli(
        ["run", manifest, "--poll-interval", "0.02", "--retry-failed"],
        { env: envFor(working) },
      );
      assert.equal(second.code, 0, second.stderr.join("\n"));
      assert.deepEqual(second.stderr.slice(-2), [
        "2 jobs: 2 done, 0 running, 0 pending, 0 uncertain, 0 failed, 0 invalid",
        report,
      ]);
    } finally {
      await working.close();
    }
  });
});

Deno.test("run off a terminal prints the sizes of downloaded videos in KiB, no escape sequence, and no status line in a run shorter than its interval", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 10 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(1));
      const result = await runCli(["run", manifest, "--poll-interval", "0.02"], {
        env: envFor(service),
      });
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const done = result.stderr.find((line) => line.startsWith("clip-001: done: "));
      assert.match(done ?? "", /^clip-001: done: videos\/clip-001\.mp4 \(\d+(\.\d)? KiB\)$/);
      assert.deepEqual(result.stderr.filter((line) => line.startsWith("status:")), []);
      assert.ok(result.stderr.every((line) => !line.includes("\x1b")), result.stderr.join("\n"));
    } finally {
      await service.close();
    }
  });
});
