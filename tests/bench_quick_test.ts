/**
 * `deno task bench --quick` runs every benchmark at tiny sizes, so the
 * benchmarks cannot rot: each must still produce its figures. No timing is
 * asserted (the machine may be loaded); only that the figures exist and
 * that the checks the benchmarks make of correctness hold.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { findProgram, testWith } from "./helpers/optional_program.ts";

const CURL = await findProgram("curl");
const JQ = await findProgram("jq");
const ROOT = new URL("..", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

interface QuickRun {
  code: number;
  stderr: string;
  markdown: string;
  json: Json;
}

let quickRun: Promise<QuickRun> | undefined;

/** Run the quick mode once for the whole module. */
function runQuick(): Promise<QuickRun> {
  quickRun ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "seedance-bench-quick-" });
    try {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", join(ROOT, "bench/run.ts"), "--quick", "--out", dir],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      if (!output.success) return { code: output.code, stderr, markdown: "", json: {} };
      return {
        code: output.code,
        stderr,
        markdown: await Deno.readTextFile(join(dir, "RESULTS.md")),
        json: JSON.parse(await Deno.readTextFile(join(dir, "results.json"))),
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return quickRun;
}

function assertFinite(value: unknown, what: string): void {
  assert.ok(typeof value === "number" && Number.isFinite(value), `${what} is ${value}`);
}

Deno.test("bench --quick produces every benchmark's figures, curl and jq rows measured or saying why not", async () => {
  const run = await runQuick();
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const { results } = run.json;
  assert.deepEqual(Object.keys(results), [
    "validate",
    "fanout",
    "run",
    "physical",
    "download",
    "naive",
    "verify",
    "resume",
    "cron",
    "compact",
  ]);
  // compact: one line a job after, the same jobs replayed before and after.
  const compact = results.compact;
  assert.equal(compact.after.lines, compact.jobs);
  assert.equal(compact.before.lines, compact.jobs * 5 + 1);
  assert.ok(compact.after.bytes < compact.before.bytes);
  assert.equal(compact.replayBefore.count, compact.jobs);
  assert.equal(compact.replayAfter.count, compact.jobs);
  for (const m of ["replayBefore", "parseBefore", "replayAfter", "parseAfter", "compact"]) {
    assertFinite(compact[m].cpuMs, `compact.${m}.cpuMs`);
  }
  // resume: both sizes measured, the second resume left the reports as they were.
  assert.equal(results.resume.sizes.length, 2);
  for (const size of results.resume.sizes) {
    assert.equal(size.reportsKept, true);
    assert.equal(size.kept.code, 0);
    assert.ok(size.kept.cpuUs > 0 && size.kept.peakKb > 0 && size.validate.cpuUs > 0);
  }
  // cron: the cron-driven batch finished, each job billed once in both modes.
  assert.ok(results.cron.ratio > 0 && results.cron.passes >= 1);
  assert.deepEqual(results.cron.tasks, { continuous: 30, cron: 30 });
  // fan-out and verify: the same jobs both ways, and every hash policy timed.
  assert.equal(results.fanout.flat.jobs, results.fanout.fanout.jobs);
  assert.deepEqual(results.verify.rows.map((r: Json) => r.policy), ["never", "changed", "always"]);
  // verify: the two ways to look at the disk, each timed on the same files.
  for (const ways of [results.verify.verifyWays, results.verify.lookWays]) {
    assert.deepEqual(ways.rows.map((r: Json) => r.way), ["thread", "workers"]);
    assert.ok(ways.rows.every((r: Json) => r.wallMs.length === 3 && r.cpuMs.length === 3));
  }
  assert.equal(results.verify.lookWays.files, 300);
  assert.equal(run.json.quick, true);
  assert.ok(run.json.machine.cpus >= 1);

  // physical: eight runs of the whole batch, fixed and adaptive polling, every figure present.
  const physical = results.physical;
  assert.deepEqual(
    physical.runs.map((r: Json) => `${r.renders}/${r.progress}/${r.polling}`),
    [
      "fixed/linear/fixed",
      "fixed/linear/adaptive",
      "spread/linear/fixed",
      "spread/coarse/fixed",
      "spread/none/fixed",
      "spread/linear/adaptive",
      "spread/coarse/adaptive",
      "spread/none/adaptive",
    ],
  );
  for (const r of physical.runs) {
    assert.equal(r.exitCode, 0);
    assert.equal(r.tasks, physical.sizes.jobs);
    for (
      const field of [
        "makespanMs",
        "idealMs",
        "lagMeanIntervals",
        "lagP95Intervals",
        "maxPollGapIntervals",
      ]
    ) {
      assertFinite(r[field], field);
    }
    assert.ok(r.idealMs > 0 && r.makespanMs >= r.idealMs, "no run beats its ideal");
    assert.ok(r.getsPerTask >= 1, "every task was polled");
    assert.ok(r.lagMeanMs >= 0 && r.cpuPerJobMs > 0);
  }
  // The makespan cut into parts that add up, for every run and for the oracle client.
  for (const b of [...physical.runs.map((r: Json) => r.breakdown), physical.oracle.breakdown]) {
    const c = b.critical;
    const sum = c.rampMs + c.renderMs + c.lagMs + c.handoffMs + c.tailMs;
    assert.ok(Math.abs(sum - b.makespanMs) < 1e-6, `${sum} against ${b.makespanMs}`);
  }
  assert.ok(physical.oracle.makespanMs >= physical.oracle.idealMs, "the oracle beats no ideal");
  assert.match(run.markdown, /\| oracle \(fixed renders\) +\|/);
  assert.ok(physical.profile.totalMs > 0 && physical.profile.functions.length > 0);
  // The floor: bare fetch, file and journal CPU measured in the same run, each run against it.
  for (const field of ["requestUs", "fileUs", "journalUs"]) {
    assert.ok(physical.floor[field] > 0, field);
  }
  for (const r of physical.runs) assert.ok(r.requestsPerJob >= 3, "a POST, a GET, a download");
  assert.match(run.markdown, /The floor: bare operations/);
  assert.match(run.markdown, /Adaptive against fixed polling/);
  for (const progress of ["linear", "coarse", "none"]) {
    assert.match(run.markdown, new RegExp(`\\| adaptive +\\| ${progress} +\\| +\\d`));
  }

  // download: the runner's side always; curl's when curl runs, else the reason.
  for (const row of results.download.rows) {
    assert.ok(row.runnerMBps > 0 && row.runnerPeakKb >= 0);
    if (CURL.available) {
      assert.equal(row.identical, true);
      assertFinite(row.throughputRatio, "throughputRatio");
    } else assert.equal(row.curlMs, null);
  }
  assert.equal(results.download.curlMissing === "", CURL.available);

  // naive: seedance-batch always; the naive runner when bash, curl and jq run, else the reason.
  const [seedance, recovery, naive] = results.naive.rows;
  const jobs = results.naive.sizes.jobs;
  assert.equal(seedance.runner, "seedance-batch");
  assert.equal(seedance.correct + seedance.missing + seedance.corrupted, jobs);
  assert.equal(seedance.duplicates, 0, "seedance-batch never submits a job twice on its own");
  assert.equal(seedance.missing, seedance.reportedProblems, "every missing video is reported");
  for (const row of [seedance, recovery]) {
    assert.equal(row.corrupted, 0, "seedance-batch keeps no corrupted video");
  }
  assert.match(recovery.runner, /--resubmit-uncertain/);
  assert.ok(recovery.correct >= seedance.correct);
  assert.equal(naive.runner, "naive (curl + jq + xargs -P)");
  if (CURL.available && JQ.available) assert.equal(naive.skipped, "");
  else assert.match(naive.skipped, /not installed|cannot be started|exited/);

  for (
    const title of [
      "validate:",
      "run:",
      "physical limit",
      "large download",
      "against a naive runner",
    ]
  ) {
    assert.ok(run.markdown.includes(`## ${title}`), `RESULTS.md has the "${title}" section`);
  }
});

testWith(CURL, "bench --quick measures curl on the runner's download URL", async () => {
  const { results } = (await runQuick()).json;
  for (const row of results.download.rows) {
    assert.ok(row.curlMBps > 0);
    assert.equal(row.identical, true);
  }
});

testWith(
  JQ,
  "bench --quick runs the naive runner on the same batch and judges its videos",
  async () => {
    const { results } = (await runQuick()).json;
    const naive = results.naive.rows[2];
    assert.equal(naive.skipped, "");
    assert.equal(naive.correct + naive.missing + naive.corrupted, results.naive.sizes.jobs);
    assert.ok(naive.totalRequests > 0 && naive.cpuMs > 0);
  },
);
