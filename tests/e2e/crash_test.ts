/**
 * SIGKILL while work is in flight (issue 8): the runner is killed at points
 * chosen from what the simulator has seen — as it receives the k-th POST, the
 * k-th GET of a task, or the n-th byte of a video — so every kill lands in the
 * middle of a submit, a poll or a download. Then plain runs go on to the end
 * and `--resubmit-uncertain` settles the submissions whose answers were lost.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { type HookedSimulator, startHookedSimulator } from "../helpers/hooked_simulator.ts";
import { readJournal } from "../../src/journal/replay.ts";
import { isRecoveryFileName } from "../../src/journal/recovery.ts";
import {
  listFiles,
  readReport,
  sampleJobs,
  sha256File,
  TEST_KEY,
  type TestJob,
  writeManifest,
} from "./harness.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** Where a kill lands. */
type Phase = "submit" | "poll" | "download";

/** Seeds run side by side; each kills its own runner `KILLS_PER_SEED` times. */
const SEEDS = [11, 23, 37, 51];
const KILLS_PER_SEED = 6;
const JOBS_PER_SEED = 10;

/** A seeded source in [0, 1). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** Start `run` as a child process against the simulator. */
function spawnRun(manifest: string, sim: HookedSimulator, extra: string[] = []): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MOD,
      "run",
      manifest,
      "--poll-interval",
      "0.02",
      "--concurrency",
      "2",
      ...extra,
    ],
    env: { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: sim.url },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** What phases still have work, from the journal: a kill needs work of its phase in flight. */
async function phasesLeft(outDir: string, jobs: TestJob[]): Promise<Set<Phase>> {
  const { states } = await readJournal(join(outDir, "state.jsonl"));
  const left = new Set<Phase>();
  for (const job of jobs) {
    const phase = states.get(job.id)?.phase ?? "pending";
    if (phase === "pending") left.add("submit").add("poll").add("download");
    if (phase === "running") left.add("poll").add("download");
    if (phase === "succeeded") left.add("download");
  }
  return left;
}

interface SeedResult {
  kills: Record<Phase, number>;
}

/**
 * One seed: kill the runner until `KILLS_PER_SEED` kills landed (or no work
 * is left to kill), then finish, and check what the service and the folder say.
 */
async function crashAndResume(seed: number): Promise<SeedResult> {
  return await withTempDir(async (dir) => {
    const sim = startHookedSimulator({
      seed,
      key: TEST_KEY,
      renderMs: { min: 30, max: 250 },
      urlTtlMs: 60_000,
    });
    try {
      const jobs = sampleJobs(JOBS_PER_SEED);
      const manifest = await writeManifest(dir, jobs);
      const outDir = join(dir, "batch.out");
      const random = lcg(seed);
      const kills: Record<Phase, number> = { submit: 0, poll: 0, download: 0 };
      const order: Phase[] = ["submit", "poll", "download"];
      for (let round = 0; kills.submit + kills.poll + kills.download < KILLS_PER_SEED; round++) {
        assert.ok(round < 4 * KILLS_PER_SEED, `seed ${seed}: kills keep missing`);
        const left = await phasesLeft(outDir, jobs);
        const phase = [0, 1, 2].map((i) => order[(round + seed + i) % 3]).find((p) => left.has(p));
        if (phase === undefined) break;
        const k = 1 + Math.floor(random() * 3);
        const byte = 1024 * (1 + Math.floor(random() * 4));
        let seen = 0;
        let killed = false;
        const child = spawnRun(manifest, sim);
        const kill = (): void => {
          if (killed) return;
          killed = true;
          child.kill("SIGKILL");
        };
        const tasks = (): Set<string> =>
          new Set(sim.stats().submissions.flatMap((s) => s.taskId ?? []));
        sim.onRequest = (kind, url) => {
          if (killed || kind !== phase) return;
          if (kind === "poll" && !tasks().has(decodeURIComponent(url.pathname.split("/").pop()!))) {
            return;
          }
          if (kind !== "download" && ++seen === k) kill();
        };
        // Mid-file: after 1..4 KiB of the first video this runner downloads.
        sim.onVideoBytes = (sent) => {
          if (!killed && phase === "download" && sent >= byte) kill();
        };
        const status = await child.status;
        sim.onRequest = () => {};
        sim.onVideoBytes = () => {};
        if (killed) kills[phase]++;
        else assert.ok([0, 1, 3].includes(status.code), `seed ${seed}: exit ${status.code}`);
      }

      // Plain runs to the end: none of them may POST a job a second time.
      const plainPosts = (): Map<string, number> => {
        const posts = new Map<string, number>();
        for (const s of sim.stats().submissions) {
          // A body cut short by the kill: the service could not read it and created nothing.
          if (s.prompt === null) {
            assert.equal(s.taskId, null);
            continue;
          }
          posts.set(s.prompt, (posts.get(s.prompt) ?? 0) + 1);
        }
        return posts;
      };
      // In-process from here on: nothing more is killed, so no process start is needed.
      const finish = async (extra: string[] = []): Promise<number> =>
        (await runCli(["run", manifest, "--poll-interval", "0.02", ...extra], {
          env: { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: sim.url },
        })).code;
      let code = -1;
      for (let i = 0; i < 5 && code !== 0 && code !== 1; i++) code = await finish();
      for (const [prompt, count] of plainPosts()) {
        assert.equal(count, 1, `seed ${seed}: "${prompt}" POSTed ${count} times by plain runs`);
      }
      const uncertain = new Set(
        (await readReport(outDir)).jobs.filter((j) => j.status === "uncertain").map((j) => j.id),
      );
      if (uncertain.size > 0) {
        code = await finish(["--resubmit-uncertain"]);
      }
      assert.equal(code, 0, `seed ${seed}: the last run ended ${code}`);

      const stats = sim.stats();
      for (const job of jobs) {
        const sends = stats.submissions.filter((s) => s.prompt === job.prompt);
        // An uncertain job's first POST may never have reached the service.
        const allowed = uncertain.has(job.id) ? [1, 2] : [1];
        assert.ok(allowed.includes(sends.length), `seed ${seed}: ${job.id}: ${sends.length} POSTs`);
        // A resubmission reuses the key of the submission whose answer was lost.
        assert.equal(
          new Set(sends.map((s) => s.idempotencyKey)).size,
          1,
          `seed ${seed}: ${job.id}`,
        );
      }
      const report = await readReport(outDir);
      assert.equal(
        report.totals.done,
        jobs.length,
        `seed ${seed}: ${JSON.stringify(report.totals)}`,
      );
      assert.equal(report.totals.jobs, jobs.length);
      for (const row of report.jobs) {
        assert.equal(row.status, "done");
        const sha = await sha256File(join(outDir, row.output as string));
        assert.equal(sha, row.sha256, `seed ${seed}: ${row.id}`);
        assert.equal(sha, stats.servedSha256[row.task_id as string], `seed ${seed}: ${row.id}`);
      }
      const leftovers = (await listFiles(outDir)).filter((f) =>
        f.endsWith(".part") || f.includes(".tmp") || f === ".lock" || isRecoveryFileName(f)
      );
      assert.deepEqual(leftovers, [], `seed ${seed}`);
      return { kills };
    } finally {
      await sim.close();
    }
  });
}

Deno.test("runs killed with SIGKILL mid-submit, mid-poll and mid-download resume without paying twice or losing a video", async () => {
  const results = await Promise.all(SEEDS.map(crashAndResume));
  const total = { submit: 0, poll: 0, download: 0 };
  for (const { kills } of results) {
    for (const phase of ["submit", "poll", "download"] as const) total[phase] += kills[phase];
  }
  assert.ok(total.submit + total.poll + total.download >= 20, JSON.stringify(total));
  for (const phase of ["submit", "poll", "download"] as const) {
    assert.ok(total[phase] >= 3, `kills by phase: ${JSON.stringify(total)}`);
  }
});
