/**
 * The pure pieces of the benchmarks (ideal schedule, percentiles, profile
 * summary) and the naive runner's loopback guard.
 */
import assert from "node:assert/strict";
import { listScheduleMs, percentile } from "../bench/measure.ts";
import { summariseProfile } from "../bench/profile.ts";
import { breakDownMakespan } from "../bench/timeline.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";

const BASH = await findProgram("bash");

Deno.test("`listScheduleMs()` starts each job, in order, on the slot that frees first", () => {
  assert.equal(listScheduleMs([], 3), 0);
  assert.equal(listScheduleMs([1000, 1000, 1000, 1000], 2), 2000);
  // Slots: [5] [1] -> 3rd on slot 2 ([5] [3]) -> 4th on slot 2 ([5] [7]).
  assert.equal(listScheduleMs([5, 1, 2, 4], 2), 7);
  // More slots than jobs: the longest job.
  assert.equal(listScheduleMs([3, 9, 4], 50), 9);
  // N fixed renders at C slots: ceil(N/C)·T.
  assert.equal(listScheduleMs(new Array(1000).fill(1000), 50), 20_000);
  assert.equal(listScheduleMs(new Array(1001).fill(1000), 50), 21_000);
});

Deno.test("`percentile()` takes the nearest rank", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 95), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("`summariseProfile()` gives self time by function and source, and the project's inclusive time, idle left out", () => {
  const frame = (functionName: string, url = "", lineNumber = 0): object => ({
    functionName,
    url,
    lineNumber,
  });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 5] },
      { id: 2, callFrame: frame("getTask", "file:///repo/src/api/client.ts", 9), children: [3] },
      { id: 3, callFrame: frame("op_fetch"), children: [] },
      { id: 4, callFrame: frame("(idle)"), children: [] },
      { id: 5, callFrame: frame("parse", "file:///x/npm/registry.npmjs.org/zod/4.1.0/a.js") },
    ],
    // Each sample stands for the delta that follows it.
    samples: [3, 2, 4, 5, 3],
    timeDeltas: [0, 3000, 1000, 50000, 2000, 4000],
  };
  const summary = summariseProfile(JSON.stringify(profile));
  assert.equal(summary.totalMs, 10); // 3 + 1 + 2 + 4, without the 50 ms idle
  assert.deepEqual(summary.functions.map((f) => [f.name, f.where, f.ms]), [
    ["op_fetch", "(native)", 7],
    ["parse", "npm:zod:1", 2],
    ["getTask", "src/api/client.ts:10", 1],
  ]);
  assert.deepEqual(summary.sources.map((s) => [s.source, s.ms]), [
    ["(native)", 7],
    ["npm:zod", 2],
    ["src/api/client.ts", 1],
  ]);
  assert.deepEqual(summary.projectInclusive.map((f) => [f.name, f.ms, f.share]), [
    ["getTask", 8, 0.8],
  ]);
});

testWith(
  BASH,
  "naive.sh refuses any base URL but http://127.0.0.1 before sending anything",
  async () => {
    const script = new URL("../bench/naive/naive.sh", import.meta.url).pathname;
    const dir = await Deno.makeTempDir();
    try {
      for (
        const base of ["https://api.cometapi.com", "http://127.0.0.2:80", "http://localhost:1"]
      ) {
        const out = await new Deno.Command("bash", {
          args: [script, `${dir}/m.csv`, `${dir}/out`, base, "1", "1"],
          env: { COMETAPI_KEY: "sk-test" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 2, base);
        assert.match(new TextDecoder().decode(out.stderr), /talks only to http:\/\/127\.0\.0\.1/);
      }
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing was written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("`breakDownMakespan()` puts tasks back on their slots and cuts the makespan along the last one", () => {
  const task = (
    createdAt: number,
    terminalAt: number,
    terminalSeenAt: number,
    downloadAt: number,
  ) => ({
    createdAt,
    terminalAt,
    terminalSeenAt,
    downloadAt,
  });
  // Two slots. Slot 1: a (0-100, seen 110), c (created 130, ends 230, seen 260).
  // Slot 2: b (5-100, seen 150), d (created 160, ends 260, seen 265, its video at 300).
  const b = breakDownMakespan([
    task(0, 100, 110, 112),
    task(5, 100, 150, 151),
    task(130, 230, 260, 262),
    task(160, 260, 265, 300),
  ], 2);
  assert.equal(b.makespanMs, 300);
  // The slot seen last is b's: ramp 5, renders 95 + 100, lags 50 + 5, hand-off 10, tail 35.
  assert.deepEqual(b.critical, {
    rampMs: 5,
    renderMs: 195,
    lagMs: 55,
    handoffMs: 10,
    tailMs: 35,
    tasks: 2,
  });
  assert.equal(b.rampMs, 5);
  assert.equal(b.handoffMeanMs, 15);
  assert.equal(b.lagMeanMs, (10 + 50 + 30 + 5) / 4);
});
