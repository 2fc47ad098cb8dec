import assert from "node:assert/strict";
import { runExitCode } from "../src/report/outcome.ts";
import type { ReportTotals } from "../src/report/summary.ts";

const none: ReportTotals = {
  jobs: 4,
  done: 4,
  failed: 0,
  invalid: 0,
  pending: 0,
  running: 0,
  uncertain: 0,
};

Deno.test("runExitCode() maps a run's outcome to the contract's exit codes", async (t) => {
  const cases: Array<[string, Partial<ReportTotals>, Parameters<typeof runExitCode>[1], number]> = [
    ["every job done", {}, {}, 0],
    ["a failed job", { done: 3, failed: 1 }, {}, 1],
    ["an uncertain job", { done: 3, uncertain: 1 }, {}, 1],
    ["an invalid job skipped", { done: 3, invalid: 1 }, {}, 1],
    ["a job still running (--max-wait, --once)", { done: 3, running: 1 }, {}, 3],
    ["pending work wins over failures", { done: 1, failed: 1, uncertain: 1, pending: 1 }, {}, 3],
    ["a rejected key", { done: 0, pending: 4 }, { unauthorized: true }, 4],
    ["interrupted", { done: 2, running: 2 }, { interrupted: true }, 130],
  ];
  for (const [name, totals, stop, code] of cases) {
    await t.step(name, () => assert.equal(runExitCode({ ...none, ...totals }, stop), code));
  }
});
