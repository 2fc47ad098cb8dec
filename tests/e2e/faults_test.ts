import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import {
  readReport,
  type Report,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  writeManifest,
} from "./harness.ts";

Deno.test("run survives every fault at once: jobs end done, failed by the service, or uncertain until resubmitted", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({
      seed: 2026,
      renderMs: { min: 20, max: 150 },
      failureRate: 0.2,
      urlTtlMs: 120,
      faults: {
        submitServerError: 0.08,
        submitUnavailable: 0.1,
        submitRateLimited: 0.1,
        submitAnswerLost: 0.08,
        submitReset: 0.05,
        pollServerError: 0.1,
        pollRateLimited: 0.05,
        pollReset: 0.08,
        downloadTruncated: 0.2,
        downloadReset: 0.1,
        slow: { probability: 0.1, delayMs: 30 },
        taskVisibilityLagMs: 40,
        maxTasksInFlightPerKey: 2,
        retryAfterSeconds: 1,
        retryAfterHttpDate: 0.3,
      },
    });
    try {
      const jobs = sampleJobs(12);
      // The catalog file lets one job through that the service itself rejects (400).
      await Deno.writeTextFile(
        join(dir, "models.yaml"),
        "doubao-seedance-1-0-pro:\n  seconds: { min: 2, max: 20 }\n",
      );
      jobs.push({
        id: "too-long",
        prompt: "A job the service rejects",
        model: "doubao-seedance-1-0-pro",
        seconds: 18,
      });
      const manifest = await writeManifest(dir, jobs);
      const outDir = join(dir, "batch.out");
      const flags = ["--concurrency", "3", "--models", join(dir, "models.yaml")];

      let result = await runAgainst(manifest, service, flags);
      for (let i = 0; i < 4 && result.code === 3; i++) {
        result = await runAgainst(manifest, service, flags);
      }
      let report: Report = await readReport(outDir);
      for (let i = 0; i < 6 && report.totals.uncertain > 0; i++) {
        result = await runAgainst(manifest, service, [...flags, "--resubmit-uncertain"]);
        report = await readReport(outDir);
      }
      assert.equal(report.totals.pending + report.totals.running, 0, JSON.stringify(report.totals));
      assert.equal(report.totals.uncertain, 0, "every uncertain job was resubmitted");

      const stats = service.stats();
      for (const row of report.jobs) {
        if (row.status === "done") {
          const sha = await sha256File(join(outDir, row.output as string));
          assert.equal(sha, stats.servedSha256[row.task_id as string], `${row.id} intact`);
          continue;
        }
        assert.equal(row.status, "failed", row.id);
        const error = row.error as { code: string; message: string };
        // Only the service fails a job: a rejected submission or a task that ended FAILED/ERROR.
        assert.ok(
          !/download|url|poll|task_not_exist|network/.test(error.code),
          `${row.id} failed by a broken transfer: ${JSON.stringify(error)}`,
        );
        assert.ok(error.message.length > 0);
      }
      const rejected = report.jobs.find((row) => row.id === "too-long")!;
      assert.equal(rejected.status, "failed");
      // A 400 is never retried: nothing is sent with a key after its rejection.
      const rejections = stats.submissions
        .map((submission, index) => ({ submission, index }))
        .filter(({ submission }) => submission.outcome === "rejected");
      assert.ok(rejections.length >= 1);
      for (const { submission, index } of rejections) {
        const later = stats.submissions.slice(index + 1)
          .filter((s) => s.idempotencyKey === submission.idempotencyKey);
        assert.deepEqual(later, [], "a 400 is never retried");
      }
      // Every job the service rejected was sent with one key only, by plain runs.
      const rejectedPrompt = "A job the service rejects";
      assert.equal(
        new Set(
          stats.submissions.filter((s) => s.prompt === rejectedPrompt).map((s) => s.idempotencyKey),
        ).size,
        1,
      );
      assert.equal(stats.retryAfterViolations, 0, "no request came earlier than its Retry-After");
      assert.ok(stats.maxTasksInFlight <= 3);
      assert.ok(Object.keys(stats.faults).length >= 8, `faults seen: ${Object.keys(stats.faults)}`);
    } finally {
      await service.close();
    }
  });
});
