/**
 * `--shard K/N` and `report --merge` through the command line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import {
  envFor,
  readReport,
  sampleJobs,
  startService,
  type TestService,
  writeManifest,
} from "./e2e/harness.ts";
import { inShard } from "../src/shard.ts";
import { acquireLock } from "../src/journal/lock.ts";

function runShard(
  manifest: string,
  service: TestService,
  shard: string,
  extra: string[] = [],
): ReturnType<typeof runCli> {
  return runCli(
    ["run", manifest, "--shard", shard, "--poll-interval", "0.02", "--quiet", ...extra],
    { env: envFor(service) },
  );
}

Deno.test("validate --shard and plan --shard count only the shard's jobs and show its share", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(40);
    const manifest = await writeManifest(dir, jobs);
    const mine = jobs.filter((job) => inShard(job.id, { index: 2, count: 4 })).length;
    const text = await runCli(["validate", manifest, "--shard", "2/4"]);
    assert.equal(text.code, 0);
    assert.ok(text.stdout.includes(`shard 2/4: ${mine} of 40 jobs`), text.stdout.join("\n"));
    assert.match(text.stdout.at(-1)!, new RegExp(`ok: ${mine} jobs`));
    const json = JSON.parse(
      (await runCli(["validate", manifest, "--shard", "2/4", "--json"])).stdout[0],
    );
    assert.equal(json.jobs, mine);
    assert.deepEqual(json.shard, { index: 2, count: 4, jobs: mine, manifest_jobs: 40 });
    const plan = await runCli(["plan", manifest, "--shard", "2/4", "--json"]);
    const planned = JSON.parse(plan.stdout[0]);
    assert.equal(planned.jobs, mine);
    assert.equal(planned.out, join(dir, "batch.out", "shard-2-of-4"));
    const planText = await runCli(["plan", manifest, "--shard", "2/4"]);
    assert.ok(planText.stdout.includes(`shard 2/4: ${mine} of 40 jobs`));
  });
});

Deno.test("a malformed --shard is a usage error (exit 2) naming the value", async () => {
  for (const value of ["5/4", "0/3", "1/1001", "two/4"]) {
    const result = await runCli(["validate", "m.yaml", "--shard", value]);
    assert.equal(result.code, 2, value);
    assert.match(result.stderr.join("\n"), new RegExp(`--shard must be K/N.*"${value}"`));
  }
  const report = await runCli(["report", "m.yaml", "--shard", "1/2"]);
  assert.equal(report.code, 2);
  assert.match(report.stderr.join("\n"), /--shard is an option of/);
});

Deno.test("validate --shard still refuses a duplicate id found over the whole manifest", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(6);
    jobs[5] = { ...jobs[5], id: jobs[4].id };
    const manifest = await writeManifest(dir, jobs);
    const shard = [1, 2, 3].find((k) => inShard(jobs[4].id, { index: k, count: 3 }))!;
    const result = await runCli(["validate", manifest, "--shard", `${shard}/3`, "--json"]);
    assert.equal(result.code, 2);
    const json = JSON.parse(result.stdout[0]);
    assert.ok(json.errors.some((e: { job: string }) => e.job === jobs[4].id));
  });
});

Deno.test("validate --shard and plan --shard print only the errors of the shard's own jobs", async () => {
  await withTempDir(async (dir) => {
    const shard = { index: 1, count: 2 };
    // Every job invalid, so a job outside the shard sits next to an invalid job of the shard.
    const jobs = sampleJobs(12).map((job) => ({ ...job, seconds: 99 }));
    const manifest = await writeManifest(dir, jobs);
    const mine = jobs.filter((job) => inShard(job.id, shard)).map((job) => job.id);
    assert.ok(mine.length > 0 && mine.length < jobs.length);
    for (const command of ["validate", "plan"]) {
      const result = await runCli([command, manifest, "--shard", "1/2", "--json"]);
      assert.equal(result.code, 2, command);
      const json = JSON.parse(result.stdout[0]);
      assert.deepEqual(
        [...new Set(json.errors.map((e: { job: string }) => e.job))],
        mine,
        command,
      );
    }
    const text = await runCli(["validate", manifest, "--shard", "1/2"]);
    assert.equal(text.stdout.length, mine.length + 2, text.stdout.join("\n"));
    assert.equal(
      text.stdout.at(-1),
      `${manifest}: invalid: ${mine.length} of ${mine.length} jobs with errors ` +
        `(${mine.length} errors, 0 warnings)`,
    );
  });
});

Deno.test("run --shard writes to <default out>/shard-K-of-N and submits only its jobs; status --shard reads it", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(12);
    const manifest = await writeManifest(dir, jobs);
    const service = await startService();
    try {
      const run = await runShard(manifest, service, "1/2");
      assert.equal(run.code, 0, run.stderr.join("\n"));
      const mine = jobs.filter((job) => inShard(job.id, { index: 1, count: 2 }));
      assert.equal(service.stats().tasksCreated, mine.length);
      const report = await readReport(join(dir, "batch.out", "shard-1-of-2"));
      assert.deepEqual(report.jobs.map((job) => job.id), mine.map((job) => job.id));
      const status = await runCli(["status", manifest, "--shard", "1/2"]);
      assert.equal(status.code, 0);
      assert.match(status.stdout.at(-1)!, new RegExp(`${mine.length} jobs: ${mine.length} done`));
      const other = await runCli(["status", manifest, "--shard", "2/2"]);
      assert.equal(other.code, 3, "the other shard has not run");
    } finally {
      await service.close();
    }
  });
});

Deno.test("report merges the shard folders when the output folder has no journal, marking each job's shard", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(10);
    const manifest = await writeManifest(dir, jobs);
    const service = await startService();
    try {
      // Only shard 1 of 2 ran: shard 2's jobs are pending in the merged report.
      assert.equal((await runShard(manifest, service, "1/2")).code, 0);
      const result = await runCli(["report", manifest]);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const out = join(dir, "batch.out");
      const report = await readReport(out) as unknown as {
        merged: string[];
        totals: Record<string, number>;
        jobs: Array<{ id: string; status: string; shard: string; output: string | null }>;
      };
      assert.deepEqual(report.merged, ["shard-1-of-2"]);
      const mine = jobs.filter((job) => inShard(job.id, { index: 1, count: 2 }));
      assert.equal(report.totals.jobs, 10);
      assert.equal(report.totals.done, mine.length);
      assert.equal(report.totals.pending, 10 - mine.length);
      for (const job of report.jobs) {
        const done = mine.some((m) => m.id === job.id);
        assert.equal(job.status, done ? "done" : "pending", job.id);
        assert.equal(job.shard, done ? "1/2" : null);
        if (done) assert.equal(job.output, `shard-1-of-2/videos/${job.id}.mp4`);
      }
      const csv = (await Deno.readTextFile(join(out, "report.csv"))).split("\r\n");
      assert.ok(csv[0].endsWith(",video_mismatch,shard"), csv[0]);
      const md = await Deno.readTextFile(join(out, "report.md"));
      assert.match(md, /\| prompt \| shard \|/);
      const html = await Deno.readTextFile(join(out, "report.html"));
      assert.match(html, /Shard/);
    } finally {
      await service.close();
    }
  });
});

Deno.test("report --merge reports a job held by two folders once, with a warning, its best state winning", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(8);
    const manifest = await writeManifest(dir, jobs);
    const service = await startService();
    try {
      // A run with N = 1 renders everything; then N changed to 2 and shard 1 only planned.
      const whole = join(dir, "old");
      assert.equal((await runShard(manifest, service, "1/1", ["--out", whole])).code, 0);
      const half = join(dir, "new", "shard-1-of-2");
      await Deno.mkdir(half, { recursive: true });
      // The same folder again under shard 1 of 2's rows: copy the journal so both know the jobs.
      await Deno.copyFile(join(whole, "state.jsonl"), join(half, "state.jsonl"));
      const merged = join(dir, "merged");
      const result = await runCli([
        "report",
        manifest,
        "--out",
        merged,
        "--merge",
        half,
        "--merge",
        whole,
      ]);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const warnings = result.stderr.filter((line) => /is in 2 merged folders/.test(line));
      assert.equal(warnings.length, 8, result.stderr.join("\n"));
      const report = await readReport(merged) as unknown as {
        totals: Record<string, number>;
        jobs: Array<{ id: string; status: string; shard: string; output: string }>;
      };
      assert.equal(report.totals.jobs, 8);
      assert.equal(
        report.totals.done,
        8,
        "done (old/) beats running (the copied journal, no video)",
      );
      for (const job of report.jobs) {
        assert.equal(job.shard, "../old");
        assert.equal(job.output, `../old/videos/${job.id}.mp4`);
      }
    } finally {
      await service.close();
    }
  });
});

Deno.test("report --merge reads a folder a run holds now, and refuses a folder that does not exist", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(4);
    const manifest = await writeManifest(dir, jobs);
    const service = await startService();
    try {
      assert.equal((await runShard(manifest, service, "1/2")).code, 0);
      assert.equal((await runShard(manifest, service, "2/2")).code, 0);
    } finally {
      await service.close();
    }
    const shard = join(dir, "batch.out", "shard-2-of-2");
    const held = await acquireLock(shard);
    try {
      const result = await runCli(["report", manifest]);
      assert.equal(result.code, 0, "a shard's lock does not block the merged report");
      assert.equal((await readReport(join(dir, "batch.out"))).totals.done, 4);
      const own = await acquireLock(join(dir, "batch.out"));
      try {
        assert.equal((await runCli(["report", manifest])).code, 75, "the report's own folder");
      } finally {
        await own.release();
      }
    } finally {
      await held.release();
    }
    const missing = await runCli(["report", manifest, "--merge", join(dir, "nope")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr.join("\n"), /Cannot merge .*nope: no such folder/);
  });
});

Deno.test("report on a shard's own folder reports only that shard's jobs, as its run did", async () => {
  await withTempDir(async (dir) => {
    const jobs = sampleJobs(10);
    const manifest = await writeManifest(dir, jobs);
    const service = await startService();
    try {
      assert.equal((await runShard(manifest, service, "2/3")).code, 0);
    } finally {
      await service.close();
    }
    const out = join(dir, "batch.out", "shard-2-of-3");
    const byRun = await readReport(out);
    assert.equal((await runCli(["report", manifest, "--out", out])).code, 0);
    const byReport = await readReport(out);
    const mine = jobs.filter((job) => inShard(job.id, { index: 2, count: 3 }));
    assert.equal(byReport.totals.jobs, mine.length);
    assert.equal(byReport.totals.done, mine.length);
    assert.deepEqual(byReport.totals, byRun.totals);
  });
});
