import assert from "node:assert/strict";
import { buildReport, type ReportJob } from "../src/report/summary.ts";
import type { JobState } from "../src/journal/events.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";

const at = new Date("2026-11-24T10:00:00Z");

function rowFor(state: JobState | undefined, fingerprint = "fp-a"): ReportJob {
  const job = makeJob({ id: "a", fingerprint, images: [] });
  const states = new Map(state ? [["a", state]] : []);
  return buildReport({ manifest: "/m.yaml", jobs: [job], states, generatedAt: at }).jobs[0];
}

Deno.test("buildReport() gives each journal phase its contract status and fields", async (t) => {
  await t.step("never submitted: pending, no task", () => {
    const row = rowFor(undefined);
    assert.equal(row.status, "pending");
    assert.equal(row.task_id, null);
    assert.equal(row.attempts, 0);
  });
  await t.step("uncertain: task_id null, submitted_at is the unknown submission's time", () => {
    const row = rowFor(makeState({
      job: "a",
      phase: "uncertain",
      fingerprint: "fp-a",
      openKey: "K",
      attempts: 1,
      submittedAt: "2026-11-24T09:00:00.000Z",
    }));
    assert.deepEqual([row.status, row.task_id, row.submitted_at, row.attempts], [
      "uncertain",
      null,
      "2026-11-24T09:00:00.000Z",
      1,
    ]);
  });
  await t.step("succeeded but not downloaded yet: running", () => {
    const row = rowFor(makeState({ job: "a", phase: "succeeded", fingerprint: "fp-a", task: "T" }));
    assert.deepEqual([row.status, row.task_id, row.output], ["running", "T", null]);
  });
  await t.step("done: output relative to the folder, bytes and hash", () => {
    const row = rowFor(makeState({
      job: "a",
      phase: "done",
      fingerprint: "fp-a",
      task: "T",
      output: "videos/a.mp4",
      bytes: 10,
      sha256: "ab",
      downloadedAt: "2026-11-24T09:30:00.000Z",
    }));
    assert.deepEqual([row.status, row.output, row.bytes, row.sha256, row.error], [
      "done",
      "videos/a.mp4",
      10,
      "ab",
      null,
    ]);
  });
  await t.step("failed: the error as {code, message}", () => {
    const error = { code: "InvalidParameter", message: "bad" };
    const row = rowFor(makeState({ job: "a", phase: "failed", fingerprint: "fp-a", error }));
    assert.deepEqual([row.status, row.error], ["failed", error]);
  });
  await t.step(
    "edited since its video was made: failed as job_changed, old video not shown",
    () => {
      const row = rowFor(
        makeState({
          job: "a",
          phase: "done",
          fingerprint: "OLD",
          task: "T",
          output: "videos/a.mp4",
        }),
      );
      assert.deepEqual([row.status, row.output, row.error?.code], ["failed", null, "job_changed"]);
    },
  );
});

Deno.test("buildReport() counts edited jobs as failed and, apart, as changed", () => {
  const jobs = [makeJob({ id: "a", index: 0 }), makeJob({ id: "b", index: 1, fingerprint: "F" })];
  const states = new Map([
    ["a", makeState({ job: "a", phase: "done", fingerprint: "OLD", task: "T" })],
    ["b", makeState({ job: "b", phase: "failed", fingerprint: "F", task: "U" })],
  ]);
  const report = buildReport({ manifest: "/m.yaml", jobs, states, generatedAt: at });
  assert.deepEqual([report.totals.failed, report.totals.changed], [2, 1]);
  assert.match(report.jobs[0].error?.message ?? "", /Run with --rerender-changed/);
});

Deno.test("buildReport() lists invalid jobs in manifest order and counts every status", () => {
  const report = buildReport({
    manifest: "/m.yaml",
    jobs: [makeJob({ id: "a", index: 0 }), makeJob({ id: "c", index: 2, line: 9 })],
    invalid: [{
      index: 1,
      line: 5,
      id: "b",
      model: "doubao-seedance-2-0",
      seconds: 20,
      images: ["x.gif"],
      issues: [{ field: "seconds", message: "seconds 20 is out of range", code: "out_of_range" }],
    }],
    states: new Map([["c", makeState({ job: "c", phase: "done", fingerprint: "fp-c" })]]),
    generatedAt: at,
  });
  assert.deepEqual(report.jobs.map((row) => [row.id, row.status]), [
    ["a", "pending"],
    ["b", "invalid"],
    ["c", "done"],
  ]);
  assert.deepEqual(report.jobs[1].images, ["x.gif"]);
  assert.equal(report.jobs[1].error?.code, "out_of_range");
  assert.deepEqual(report.totals, {
    jobs: 3,
    done: 1,
    failed: 0,
    invalid: 1,
    pending: 1,
    running: 0,
    uncertain: 0,
    mismatched: 0,
    changed: 0,
  });
  assert.equal(report.generated_at, "2026-11-24T10:00:00.000Z");
});

Deno.test("buildReport() counts the totals at once and makes the rows only when they are read, once", () => {
  let reads = 0;
  const states = new Map([["c", makeState({ job: "c", phase: "done", fingerprint: "fp-c" })]]);
  const counted = {
    get: (id: string) => {
      reads++;
      return states.get(id);
    },
    has: (id: string) => states.has(id),
  } as unknown as ReadonlyMap<string, JobState>;
  const report = buildReport({
    manifest: "/m.yaml",
    jobs: [makeJob({ id: "c", index: 1 }), makeJob({ id: "a", index: 0 })],
    states: counted,
    generatedAt: at,
  });
  assert.equal(report.totals.done, 1);
  assert.equal(report.totals.pending, 1);
  const afterTotals = reads;
  assert.equal(afterTotals, 2, "one look per job for the totals");
  const rows = report.jobs;
  assert.equal(reads, 4, "the rows made when read");
  assert.equal(report.jobs, rows, "and made once");
  assert.equal(reads, 4);
  // Out-of-order jobs come out in manifest order; a copy of the model has the same rows.
  assert.deepEqual(rows.map((row) => row.id), ["a", "c"]);
  assert.deepEqual({ ...report }.jobs, rows);
  assert.deepEqual(JSON.parse(JSON.stringify(report)).jobs.map((row: ReportJob) => row.id), [
    "a",
    "c",
  ]);
});
