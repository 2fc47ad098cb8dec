import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock } from "../../src/journal/lock.ts";
import { readJsonLines, runCli, withTempDir } from "../helpers/cli.ts";
import {
  envFor,
  keyAppearsNowhere,
  listFiles,
  readReport,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  TEST_KEY,
  writeManifest,
} from "./harness.ts";

Deno.test("run downloads every video byte-identical, never above --concurrency, and resumes as a no-op", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const jobs = sampleJobs(9);
      const manifest = await writeManifest(dir, jobs);
      const first = await runAgainst(manifest, service, ["--concurrency", "3"]);
      assert.equal(first.code, 0, first.stderr.join("\n"));

      const stats = service.stats();
      assert.equal(stats.tasksCreated, 9);
      assert.ok(stats.maxTasksInFlight <= 3, `saw ${stats.maxTasksInFlight} in flight`);
      assert.equal(stats.maxTasksInFlight, 3, "enough work to fill every slot");
      assert.equal(stats.downloadsWithAuthorization, 0);

      const outDir = join(dir, "batch.out");
      const report = await readReport(outDir);
      assert.deepEqual(report.totals, {
        jobs: 9,
        done: 9,
        failed: 0,
        invalid: 0,
        pending: 0,
        running: 0,
        uncertain: 0,
        mismatched: 0,
        changed: 0,
      });
      for (const row of report.jobs) {
        assert.equal(row.status, "done");
        const file = join(outDir, row.output as string);
        const sha = await sha256File(file);
        assert.equal(sha, row.sha256);
        assert.equal(sha, stats.servedSha256[row.task_id as string], `${row.id} byte-identical`);
        assert.equal((await Deno.stat(file)).size, row.bytes);
      }

      // What the service received is what the manifest says.
      for (const job of jobs) {
        const received = stats.submissions.filter((s) => s.prompt === job.prompt);
        assert.equal(received.length, 1, job.id);
        const [sent] = received;
        assert.equal(sent.model, job.model);
        assert.equal(sent.seconds, String(job.seconds));
        assert.equal(sent.size, job.size);
        assert.equal(sent.resolution, job.resolution);
        assert.deepEqual(
          sent.images.map((image) => [image.filename, image.contentType]),
          (job.image ?? []).map((path) => [path.split("/").pop(), "image/png"]),
        );
        for (const [i, image] of sent.images.entries()) {
          assert.equal(image.sha256, await sha256File(join(dir, job.image![i])));
        }
        assert.ok(sent.idempotencyKey, "every POST carries an Idempotency-Key");
      }
      const gallery = await Deno.readTextFile(join(outDir, "report.html"));
      for (const job of jobs) assert.ok(gallery.includes(job.prompt), `${job.id}'s prompt shown`);
      assert.ok(await keyAppearsNowhere(outDir, [...first.stdout, ...first.stderr]));
      assert.deepEqual(
        (await listFiles(outDir)).filter((f) => !f.startsWith("videos/")),
        [".resume-index", "report.csv", "report.html", "report.json", "report.md", "state.jsonl"],
        "no lock or temporary file left behind (the resume index of a finished batch stays)",
      );

      const second = await runAgainst(manifest, service, ["--concurrency", "3"]);
      assert.equal(second.code, 0);
      assert.equal(service.stats().requests.submit, stats.requests.submit, "nothing resubmitted");
      assert.equal(service.stats().downloads, stats.downloads, "nothing downloaded again");
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --once progresses a batch one cron pass at a time and exits 3 until it is done", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 1 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(5));
      const codes: number[] = [];
      for (let pass = 0; pass < 10; pass++) {
        const result = await runAgainst(manifest, service, ["--once", "--concurrency", "2"]);
        codes.push(result.code);
        assert.ok(service.stats().maxTasksInFlight <= 2);
        if (result.code !== 3) break;
      }
      assert.equal(codes.at(-1), 0, `exit codes ${codes}`);
      assert.ok(codes.length >= 3, `a pass submits at most 2: ${codes}`);
      assert.deepEqual(codes.slice(0, -1).every((code) => code === 3), true);
      assert.equal(service.stats().tasksCreated, 5, "each job submitted once");
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --max-wait leaves a slow task running with its id, and the next run polls it instead of resubmitting", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 1500 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(3).slice(2));
      const first = await runAgainst(manifest, service, ["--max-wait", "0.05"]);
      assert.equal(first.code, 3);
      const report = await readReport(join(dir, "batch.out"));
      assert.equal(report.jobs[0].status, "running");
      assert.ok(report.jobs[0].task_id);

      const second = await runAgainst(manifest, service, []);
      assert.equal(second.code, 0, second.stderr.join("\n"));
      assert.equal(service.stats().tasksCreated, 1);
      assert.equal(
        (await readReport(join(dir, "batch.out"))).jobs[0].task_id,
        report.jobs[0].task_id,
      );
    } finally {
      await service.close();
    }
  });
});

Deno.test("run leaves a submission whose answer was lost uncertain until --resubmit-uncertain, which reuses its key", async () => {
  await withTempDir(async (dir) => {
    const lossy = await startService({ faults: { submitAnswerLost: 1 } });
    const outDir = join(dir, "batch.out");
    let lostKeys: string[];
    try {
      const manifest = await writeManifest(dir, sampleJobs(4).slice(2));
      const first = await runAgainst(manifest, lossy);
      assert.equal(first.code, 1, first.stderr.join("\n"));
      const report = await readReport(outDir);
      assert.equal(report.totals.uncertain, 2);
      for (const row of report.jobs) {
        assert.equal(row.status, "uncertain");
        assert.equal(row.task_id, null);
        assert.ok(row.submitted_at);
      }
      assert.equal(lossy.stats().requests.submit, 2, "an unknown outcome is never retried");
      lostKeys = lossy.stats().submissions.map((s) => s.idempotencyKey!).sort();

      const plain = await runAgainst(manifest, lossy);
      assert.equal(plain.code, 1);
      assert.equal(lossy.stats().requests.submit, 2, "a plain run does not resubmit");
    } finally {
      await lossy.close();
    }
    const healthy = await startService({ honourIdempotency: true });
    try {
      const manifest = join(dir, "batch.yaml");
      const third = await runAgainst(manifest, healthy, ["--resubmit-uncertain"]);
      assert.equal(third.code, 0, third.stderr.join("\n"));
      const keys = healthy.stats().submissions.map((s) => s.idempotencyKey!).sort();
      assert.deepEqual(keys, lostKeys, "each uncertain job resubmitted once, with its key");
    } finally {
      await healthy.close();
    }
  });
});

Deno.test("run stops at once with exit 4 when the service rejects the key, and never prints it", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ faults: { revokedKey: true } });
    try {
      const manifest = await writeManifest(dir, sampleJobs(4));
      const result = await runAgainst(manifest, service, ["--concurrency", "1"]);
      assert.equal(result.code, 4);
      // The check before the first submit meets the 401: nothing is sent.
      assert.equal(service.stats().requests.submit, 0, "no submission with a rejected key");
      assert.match(result.stderr.join("\n"), /rejected the API key/);
      assert.ok(
        await keyAppearsNowhere(join(dir, "batch.out"), [...result.stdout, ...result.stderr]),
      );
      assert.ok((await Deno.stat(join(dir, "batch.out", "videos"))).isDirectory);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run exits 75 and sends nothing while another run holds the output folder", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(2));
      const lock = await acquireLock(join(dir, "batch.out"));
      try {
        const result = await runAgainst(manifest, service);
        assert.equal(result.code, 75);
        assert.match(result.stderr.join("\n"), /another run/);
        assert.equal(service.stats().requests.submit, 0);
        const report = await runCli(["report", manifest], { env: {} });
        assert.equal(report.code, 75, "report waits for the run that holds the folder");
      } finally {
        await lock.release();
      }
    } finally {
      await service.close();
    }
  });
});

Deno.test("run without COMETAPI_KEY exits 2 before sending anything", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(1));
    const result = await runCli(["run", manifest], { env: {} });
    assert.equal(result.code, 2);
    assert.match(result.stderr.join("\n"), /COMETAPI_KEY/);
  });
});

Deno.test("run reports failed tasks with the service's message and --retry-failed tries them again with a new key", async () => {
  await withTempDir(async (dir) => {
    const failing = await startService({ failureRate: 1 });
    const outDir = join(dir, "batch.out");
    const manifest = await writeManifest(dir, sampleJobs(4).slice(2));
    try {
      const first = await runAgainst(manifest, failing);
      assert.equal(first.code, 1);
      const report = await readReport(outDir);
      assert.equal(report.totals.failed, 2);
      for (const row of report.jobs) {
        const error = row.error as { code: string; message: string };
        assert.ok(error.message.length > 0);
        assert.ok(row.completed_at);
      }
      const again = await runAgainst(manifest, failing);
      assert.equal(again.code, 1);
      assert.equal(failing.stats().tasksCreated, 2, "a plain run does not retry failed jobs");
    } finally {
      await failing.close();
    }
    const healthy = await startService();
    try {
      const retried = await runAgainst(manifest, healthy, ["--retry-failed"]);
      assert.equal(retried.code, 0);
      const report = await readReport(outDir);
      assert.deepEqual(report.jobs.map((row) => row.attempts), [2, 2]);
      const events = await readJsonLines(join(outDir, "state.jsonl"));
      const keysPerJob = new Map<string, Set<string>>();
      for (const event of events.filter((e) => e.type === "submitting")) {
        const keys = keysPerJob.get(event.job as string) ?? new Set();
        keys.add(event.key as string);
        keysPerJob.set(event.job as string, keys);
      }
      for (const keys of keysPerJob.values()) assert.equal(keys.size, 2);
    } finally {
      await healthy.close();
    }
  });
});

Deno.test("run does not reuse a video for a job edited after it was submitted", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const jobs = sampleJobs(3).slice(2);
      const manifest = await writeManifest(dir, jobs);
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await writeManifest(dir, [{ ...jobs[0], prompt: jobs[0].prompt + " at dusk" }]);
      const edited = await runAgainst(manifest, service);
      assert.equal(edited.code, 1);
      const report = await readReport(join(dir, "batch.out"));
      assert.equal(report.jobs[0].status, "failed");
      assert.equal((report.jobs[0].error as { code: string }).code, "job_changed");
      assert.equal(service.stats().tasksCreated, 1, "nothing spent silently");

      const retried = await runAgainst(manifest, service, ["--retry-failed"]);
      assert.equal(retried.code, 0);
      assert.equal(service.stats().tasksCreatedByPrompt[jobs[0].prompt + " at dusk"], 1);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run stops submitting on an interrupt, saves the state and exits 130; the next run finishes", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 200 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(6));
      const interrupt = new AbortController();
      const result = await runCli(
        ["run", manifest, "--poll-interval", "0.02", "--concurrency", "2"],
        {
          env: envFor(service),
          interrupt: interrupt.signal,
          onStderr: (line) => {
            if (line.includes("submitted as task")) interrupt.abort();
          },
        },
      );
      assert.equal(result.code, 130);
      const outDir = join(dir, "batch.out");
      const report = await readReport(outDir);
      const created = service.stats().tasksCreated;
      assert.ok(created >= 1 && created <= 2, `stopped submitting: ${created} created`);
      assert.equal(report.totals.pending, 6 - created);
      assert.equal(report.totals.running + report.totals.done, created);
      assert.deepEqual(await listFiles(outDir).then((f) => f.includes(".lock")), false);

      const resumed = await runAgainst(manifest, service, ["--concurrency", "2"]);
      assert.equal(resumed.code, 0, resumed.stderr.join("\n"));
      assert.equal(service.stats().tasksCreated, 6, "no job submitted twice");
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --log-format json prints one JSON object a line", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3).slice(2));
      const result = await runAgainst(manifest, service, ["--log-format", "json"]);
      assert.equal(result.code, 0);
      const events = result.stdout.map((line) => JSON.parse(line));
      const types = new Set(events.map((event) => event.type));
      for (const type of ["run_started", "job_submitted", "download_finished", "summary"]) {
        assert.ok(types.has(type), `missing ${type}`);
      }
      assert.ok(events.every((event) => typeof event.time === "string"));
      assert.ok(!result.stdout.join("").includes(TEST_KEY));
    } finally {
      await service.close();
    }
  });
});

Deno.test("run sends nothing while a job is invalid, and --skip-invalid runs only the valid ones", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const jobs = sampleJobs(4).slice(2);
      const manifest = await writeManifest(dir, [
        ...jobs,
        { id: "too-long", prompt: "Too long", model: "doubao-seedance-1-5-pro", seconds: 13 },
      ]);
      const refused = await runAgainst(manifest, service);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr.join("\n"), /batch\.yaml:\d+: job "too-long" field "seconds"/);
      assert.equal(service.stats().requests.submit, 0, "nothing sent");

      const skipped = await runAgainst(manifest, service, ["--skip-invalid"]);
      assert.equal(skipped.code, 1, "an invalid job is not done");
      const report = await readReport(join(dir, "batch.out"));
      assert.deepEqual(report.jobs.map((row) => [row.id, row.status]), [
        [jobs[0].id, "done"],
        [jobs[1].id, "done"],
        ["too-long", "invalid"],
      ]);
      assert.equal(service.stats().tasksCreated, 2);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run works with the lower-case dialect and videos served from another host", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ dialect: "lower", separateFileHost: true });
    try {
      const manifest = await writeManifest(dir, sampleJobs(4));
      const result = await runAgainst(manifest, service, ["--concurrency", "2"]);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const stats = service.stats();
      assert.equal(stats.downloadsWithAuthorization, 0, "the file host never sees the key");
      const report = await readReport(join(dir, "batch.out"));
      for (const row of report.jobs) {
        assert.equal(row.sha256, stats.servedSha256[row.task_id as string]);
      }
      // "completed" was read as success: every job went on to its download.
      assert.equal(report.totals.done, 4);
    } finally {
      await service.close();
    }
  });
});
