import assert from "node:assert/strict";
import type { JobError } from "../src/domain/job_error.ts";
import type { JobState, JournalEvent } from "../src/journal/events.ts";
import { replayEvents } from "../src/journal/replay.ts";

const AT = "2025-01-01T00:00:00.000Z";
const ERROR: JobError = { code: "FAILED", message: "content policy" };

Deno.test("`JobState` refuses a state its phase cannot have (checked by `deno check`)", () => {
  const states: JobState[] = [
    // @ts-expect-error a running job has a task
    { job: "a", phase: "running", attempts: 1, createdAt: AT },
    // @ts-expect-error a running job has no video
    { job: "a", phase: "running", attempts: 1, task: "t", createdAt: AT, output: "v.mp4" },
    // @ts-expect-error a done job has its video's hash
    {
      job: "a",
      phase: "done",
      attempts: 1,
      task: "t",
      createdAt: AT,
      output: "v",
      bytes: 1,
      downloadedAt: AT,
    },
    // @ts-expect-error a failed job has its error
    { job: "a", phase: "failed", attempts: 1, failure: "rejected" },
    // @ts-expect-error a rejected submission created no task
    { job: "a", phase: "failed", attempts: 1, failure: "rejected", error: ERROR, task: "t" },
    // @ts-expect-error a failed task is a task
    { job: "a", phase: "failed", attempts: 1, failure: "task", error: ERROR, completedAt: AT },
    // @ts-expect-error an uncertain job has the key to send again with
    { job: "a", phase: "uncertain", attempts: 1, submittedAt: AT },
    // @ts-expect-error a pending job has no task
    { job: "a", phase: "pending", attempts: 1, task: "t" },
    // @ts-expect-error only a succeeded job is held
    { job: "a", phase: "running", attempts: 1, task: "t", createdAt: AT, held: ERROR },
  ];
  assert.equal(states.length, 9);
});

/** The fields each phase may have, and those it must have, beside job, phase and attempts. */
const FIELDS: Record<string, { may: string[]; must: string[] }> = {
  pending: { may: ["openKey", "error"], must: [] },
  uncertain: { may: ["openKey"], must: ["openKey", "submittedAt"] },
  running: { may: ["task", "createdAt", "status", "progress"], must: ["task", "createdAt"] },
  succeeded: {
    may: ["task", "createdAt", "status", "progress", "completedAt", "held"],
    must: ["task", "createdAt"],
  },
  done: {
    may: ["task", "createdAt", "status", "progress", "completedAt"],
    must: ["task", "createdAt", "output", "bytes", "sha256", "downloadedAt"],
  },
  "failed/rejected": { may: [], must: ["failure", "error"] },
  "failed/task": {
    may: ["status", "progress"],
    must: ["failure", "error", "task", "createdAt", "completedAt"],
  },
  "failed/download": {
    may: ["status", "progress", "completedAt"],
    must: ["failure", "error", "task", "createdAt"],
  },
};

/** Seeded journals of one job, every event kind, keys and tasks reused so copies and stale events occur. */
function randomJournals(count: number, seed: number): JournalEvent[][] {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const keys = ["k1", "k2"];
  const tasks = ["t1", "t2"];
  const errors = [ERROR, { code: "download_write", message: "disk full" }];
  const event = (n: number): JournalEvent => {
    const at = `2025-01-01T00:00:${String(n).padStart(2, "0")}.000Z`;
    const job = "a";
    const key = pick(keys);
    const task = pick(tasks);
    const error = pick(errors);
    return pick<JournalEvent>([
      { type: "submitting", at, job, fingerprint: pick(["f1", "f2"]), key },
      { type: "not_created", at, job, key, status: pick([0, 429]), message: "m" },
      { type: "submitted", at, job, key, task },
      { type: "rejected", at, job, key, status: 400, error: ERROR },
      { type: "outcome_unknown", at, job, key, message: "m" },
      { type: "status", at, job, task, status: "in_progress", progress: n },
      { type: "status", at, job, task, status: "queued" },
      { type: "task_failed", at, job, task, error: ERROR },
      { type: "task_succeeded", at, job, task },
      { type: "downloaded", at, job, task, output: "v.mp4", bytes: 1, sha256: "s" },
      { type: "download_failed", at, job, task, error },
      { type: "download_held", at, job, task, error },
      { type: "video_lost", at, job, task, output: "v.mp4", error: ERROR },
    ]);
  };
  return Array.from(
    { length: count },
    () => Array.from({ length: 1 + next() * 14 }, (_, n) => event(n)),
  );
}

Deno.test("replay leaves each state exactly the fields of its phase, whatever the journal", () => {
  const seen = new Set<string>();
  for (const journal of randomJournals(3000, 7)) {
    for (let end = 1; end <= journal.length; end++) {
      const state = replayEvents(journal.slice(0, end)).get("a");
      if (state === undefined) continue;
      const kind = state.phase === "failed" ? `failed/${state.failure}` : state.phase;
      seen.add(kind);
      const { may, must } = FIELDS[kind];
      const allowed = new Set([
        "job",
        "phase",
        "attempts",
        "fingerprint",
        "submittedAt",
        ...may,
        ...must,
      ]);
      const where = `${kind} after ${JSON.stringify(journal.slice(0, end))}`;
      for (const [field, value] of Object.entries(state)) {
        assert.ok(allowed.has(field), `${field} in ${where}`);
        assert.notEqual(value, undefined, `${field} is undefined in ${where}`);
      }
      for (const field of must) assert.ok(field in state, `${field} missing in ${where}`);
    }
  }
  assert.deepEqual([...seen].sort(), Object.keys(FIELDS).sort());
});

Deno.test("replay makes a resend of a key whose outcome is known uncertain again, with nothing of the old task", () => {
  // The executor never resends a closed key; a journal edited by hand may.
  const state = replayEvents([
    { type: "submitting", at: AT, job: "a", fingerprint: "f1", key: "k1" },
    { type: "submitted", at: AT, job: "a", key: "k1", task: "t1" },
    { type: "task_succeeded", at: AT, job: "a", task: "t1" },
    { type: "submitting", at: "2025-01-01T00:00:05.000Z", job: "a", fingerprint: "f1", key: "k1" },
  ]).get("a");
  assert.deepEqual(state, {
    job: "a",
    phase: "uncertain",
    attempts: 1,
    fingerprint: "f1",
    openKey: "k1",
    submittedAt: AT,
  });
});
