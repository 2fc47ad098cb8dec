import assert from "node:assert/strict";
import { planRun, standingOf } from "../src/plan.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";
import type { JobState } from "../src/journal/events.ts";

function keys(): () => string {
  let n = 0;
  return () => `key-${++n}`;
}

const job = makeJob({ id: "a", fingerprint: "F" });
const plain: { retryFailed: boolean; resubmitUncertain: boolean; rerenderChanged?: boolean } = {
  retryFailed: false,
  resubmitUncertain: false,
};

function planOne(state: JobState | undefined, options = plain): ReturnType<typeof planRun>[0] {
  const states = new Map(state ? [[state.job, state]] : []);
  return planRun([job], states, { ...options, newKey: keys() })[0];
}

Deno.test("planRun() submits a job the journal has never seen with a new key", () => {
  const action = planOne(undefined);
  assert.deepEqual(action.kind, "submit");
  assert(action.kind === "submit");
  assert.deepEqual(action.key, "key-1");
  assert.deepEqual(action.newSubmission, true);
});

Deno.test("planRun() reuses the key of a submission that created nothing", () => {
  const action = planOne(makeState({ job: "a", phase: "pending", fingerprint: "F", openKey: "K" }));
  assert(action.kind === "submit");
  assert.deepEqual(action.key, "K");
  assert.deepEqual(action.newSubmission, false);
});

Deno.test("planRun() leaves an uncertain job alone unless asked to resubmit it", async (t) => {
  const uncertain = makeState({ job: "a", phase: "uncertain", fingerprint: "F", openKey: "K" });
  await t.step("plain run skips it", () => {
    assert.deepEqual(planOne(uncertain), { kind: "skip", job, reason: "uncertain" });
  });
  await t.step("--retry-failed does not touch it either", () => {
    assert.deepEqual(planOne(uncertain, { ...plain, retryFailed: true }).kind, "skip");
  });
  await t.step("--resubmit-uncertain resubmits it with the same key", () => {
    const action = planOne(uncertain, { ...plain, resubmitUncertain: true });
    assert(action.kind === "submit");
    assert.deepEqual([action.key, action.newSubmission, action.reason], [
      "K",
      false,
      "resubmit_uncertain",
    ]);
  });
});

Deno.test("planRun() polls a running task and downloads a succeeded one", () => {
  const running = makeState({ job: "a", phase: "running", fingerprint: "F", task: "T" });
  assert.deepEqual(planOne(running).kind, "poll");
  const succeeded = makeState({ job: "a", phase: "succeeded", fingerprint: "F", task: "T" });
  assert.deepEqual(planOne(succeeded), { kind: "download", job, task: "T" });
});

Deno.test("planRun() gives failed jobs a new attempt only with --retry-failed", async (t) => {
  const failedAs = (failure: "task" | "download") =>
    makeState({
      job: "a",
      phase: "failed",
      fingerprint: "F",
      task: "T",
      failure,
      error: { code: "x", message: "boom" },
    });
  const failed = failedAs("task");
  await t.step("plain run skips it with its error", () => {
    const action = planOne(failed);
    assert.deepEqual(action.kind, "skip");
    assert(action.kind === "skip");
    assert.deepEqual(action.error?.message, "boom");
  });
  await t.step("--retry-failed submits again with a new key", () => {
    const action = planOne(failed, { ...plain, retryFailed: true });
    assert(action.kind === "submit");
    assert.deepEqual([action.key, action.newSubmission], ["key-1", true]);
  });
  await t.step("a failed download fetches a fresh URL instead of paying again", () => {
    assert.deepEqual(planOne(failedAs("download"), { ...plain, retryFailed: true }), {
      kind: "download",
      job,
      task: "T",
    });
  });
});

Deno.test("planRun() never reuses or re-bills a job edited after submission", async (t) => {
  const edited: JobState[] = [
    makeState({ job: "a", phase: "running", fingerprint: "OLD", task: "T" }),
    makeState({ job: "a", phase: "succeeded", fingerprint: "OLD", task: "T" }),
    makeState({ job: "a", phase: "done", fingerprint: "OLD", task: "T" }),
    makeState({ job: "a", phase: "failed", fingerprint: "OLD", task: "T" }),
    makeState({ job: "a", phase: "uncertain", fingerprint: "OLD", openKey: "K" }),
  ];
  for (const state of edited) {
    const { phase } = state;
    await t.step(`${phase}: skipped as changed on a plain run`, () => {
      const action = planOne(state, { ...plain, resubmitUncertain: true });
      assert(action.kind === "skip");
      assert.deepEqual(action.reason, "changed");
      assert.deepEqual(action.error?.code, "job_changed");
    });
    await t.step(`${phase}: submitted with a new key under --rerender-changed`, () => {
      const action = planOne(state, { ...plain, rerenderChanged: true });
      assert(action.kind === "submit");
      assert.deepEqual([action.key, action.reason, action.newSubmission], [
        "key-1",
        "changed",
        true,
      ]);
    });
    await t.step(`${phase}: submitted with a new key under --retry-failed`, () => {
      const action = planOne(state, { ...plain, retryFailed: true });
      assert(action.kind === "submit");
      assert.deepEqual([action.key, action.reason], ["key-1", "changed"]);
    });
  }
  await t.step("pending with a key from an edited job: a new key, no flag needed", () => {
    const state = makeState({ job: "a", phase: "pending", fingerprint: "OLD", openKey: "K" });
    const action = planOne(state);
    assert(action.kind === "submit");
    assert.deepEqual(action.key, "key-1");
  });
});

Deno.test("planRun() skips a done job", () => {
  const done = makeState({ job: "a", phase: "done", fingerprint: "F", task: "T" });
  assert.deepEqual(planOne(done), { kind: "skip", job, reason: "done" });
});

Deno.test("planRun() dates a running task from its creation, not the first send of its key", () => {
  // Sent at 00:00 (nothing created), resent with the same key at 05:00, which created it.
  const running = makeState({
    job: "a",
    phase: "running",
    fingerprint: "F",
    task: "T",
    submittedAt: "2026-11-24T00:00:00.000Z",
    createdAt: "2026-11-24T05:00:00.000Z",
  });
  const action = planOne(running);
  assert.ok(action.kind === "poll");
  assert.equal(action.createdAt, "2026-11-24T05:00:00.000Z");
});

Deno.test("`standingOf()` counts an edited job as changed unless its only submission created nothing", async (t) => {
  const cases: Array<[string, JobState | undefined, string, boolean]> = [
    ["no journal state", undefined, "pending", false],
    [
      "pending, same content",
      makeState({ job: "a", phase: "pending", fingerprint: "F" }),
      "pending",
      true,
    ],
    [
      "pending, edited",
      makeState({ job: "a", phase: "pending", fingerprint: "OLD" }),
      "pending",
      false,
    ],
    [
      "succeeded",
      makeState({ job: "a", phase: "succeeded", fingerprint: "F", task: "T" }),
      "running",
      true,
    ],
    ["done", makeState({ job: "a", phase: "done", fingerprint: "F", task: "T" }), "done", true],
    [
      "done, edited",
      makeState({ job: "a", phase: "done", fingerprint: "OLD", task: "T" }),
      "changed",
      true,
    ],
    [
      "uncertain, edited",
      makeState({ job: "a", phase: "uncertain", fingerprint: "OLD" }),
      "changed",
      true,
    ],
  ];
  for (const [name, state, standing, kept] of cases) {
    await t.step(name, () => {
      const result = standingOf(job, state);
      assert.equal(result.standing, standing);
      assert.equal(result.state, kept ? state : undefined);
    });
  }
});

Deno.test("planRun() with --rerender-changed leaves genuinely failed jobs alone", () => {
  const failed = makeState({ job: "a", phase: "failed", fingerprint: "F", task: "T" });
  const action = planOne(failed, { ...plain, rerenderChanged: true });
  assert(action.kind === "skip");
  assert.deepEqual(action.reason, "failed");
});
