import assert from "node:assert/strict";
import { statusLines } from "../src/cli/commands/status.ts";
import { buildReport } from "../src/report/summary.ts";
import { makeJob } from "./helpers/jobs.ts";

Deno.test("statusLines() lists 200,000 jobs without overflowing the stack", () => {
  const jobs = Array.from({ length: 200_000 }, (_, index) => makeJob({ id: `j${index}`, index }));
  const report = buildReport({
    manifest: "/m.yaml",
    jobs,
    states: new Map(),
    generatedAt: new Date("2026-11-24T00:00:00Z"),
  });
  const lines = statusLines(report, "/out");
  assert.equal(lines.length, 200_001);
  assert.equal(lines[0], "j0       pending"); // ids padded to the longest, "j199999"
  assert.match(lines.at(-1)!, /^200000 jobs: 0 done, 0 running, 200000 pending/);
});
