import assert from "node:assert/strict";
import { downloadDeadline, refuseWait, submitEnd, waitEnd } from "../src/runner/policy/bounds.ts";

const NOW = 1_000_000;

Deno.test("waitEnd() is the sooner of the pass's end and one --max-wait from now", async (t) => {
  const rows: [string, number, number | undefined, number][] = [
    ["no bound at all", Infinity, undefined, Infinity],
    ["only the pass", NOW + 5_000, undefined, NOW + 5_000],
    ["only --max-wait", Infinity, 2_000, NOW + 2_000],
    ["the pass ends first", NOW + 1_000, 2_000, NOW + 1_000],
    ["--max-wait ends first", NOW + 9_000, 2_000, NOW + 2_000],
  ];
  for (const [name, passEnd, maxWaitMs, expected] of rows) {
    await t.step(name, () => assert.equal(waitEnd(NOW, passEnd, maxWaitMs), expected));
  }
});

Deno.test("refuseWait() refuses a wait that would outlast its bound or the pass", async (t) => {
  const rows: [string, number, number | undefined, number, ReturnType<typeof refuseWait>][] = [
    ["unbounded: taken", 3_600_000, undefined, Infinity, undefined],
    ["ends exactly at the bound: taken", 1_000, NOW + 1_000, Infinity, undefined],
    ["one millisecond past the bound: refused", 1_001, NOW + 1_000, Infinity, { leftMs: 1_000 }],
    ["past the pass: refused", 5_000, NOW + 9_000, NOW + 4_000, { leftMs: 4_000 }],
    ["inside both: taken", 500, NOW + 9_000, NOW + 4_000, undefined],
    ["the bound already passed: nothing left", 10, NOW - 50, Infinity, { leftMs: 0 }],
  ];
  for (const [name, delayMs, until, passEnd, expected] of rows) {
    await t.step(name, () => assert.deepEqual(refuseWait(delayMs, NOW, until, passEnd), expected));
  }
});

Deno.test("downloadDeadline() bounds a download by --max-wait, else its own, and the pass", async (t) => {
  const rows: [string, number, number | undefined, number][] = [
    ["the download's own deadline", Infinity, undefined, NOW + 7_200_000],
    ["--max-wait replaces it", Infinity, 60_000, NOW + 60_000],
    ["the pass ends sooner", NOW + 30_000, 60_000, NOW + 30_000],
  ];
  for (const [name, passEnd, maxWaitMs, expected] of rows) {
    await t.step(name, () => {
      assert.equal(downloadDeadline(NOW, passEnd, maxWaitMs, 7_200_000), expected);
    });
  }
});

Deno.test("submitEnd() keeps the last twentieth of a pass, at most 15 s, free of new submissions", async (t) => {
  const rows: [string, number | undefined, number][] = [
    ["no pass time: no end", undefined, Infinity],
    ["a 10 s pass stops submitting at 9.5 s", 10_000, NOW + 9_500],
    ["a 300 s pass at 285 s", 300_000, NOW + 285_000],
    ["a 540 s pass keeps 15 s, not 27", 540_000, NOW + 525_000],
  ];
  for (const [name, passTimeMs, expected] of rows) {
    await t.step(name, () => assert.equal(submitEnd(NOW, passTimeMs), expected));
  }
});
