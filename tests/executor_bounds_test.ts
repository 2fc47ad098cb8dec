/**
 * Issue 8 items 3, 5 and 9 at the executor: every wait ends within the pass
 * (`passTimeMs`) and within --max-wait, a local problem keeps a succeeded job
 * running, and a video over the size cap fails only after a fresh URL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type EventJournal, executeRun, type ExecutorOptions } from "../src/runner/executor.ts";
import type { JobAction } from "../src/plan.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import type { RunEvent } from "../src/runner/events.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { FakeService, type FakeServiceOptions, fakeVideo } from "./helpers/fake_service.ts";
import { makeJob } from "./helpers/jobs.ts";

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

function submit(id: string): JobAction {
  return {
    kind: "submit",
    job: makeJob({ id }),
    key: `key-${id}`,
    newSubmission: true,
    reason: "new",
  };
}

function poll(id: string): JobAction {
  return {
    kind: "poll",
    job: makeJob({ id }),
    task: `task-${id}`,
    createdAt: new Date(T0 - HOUR).toISOString(),
  };
}

function download(id: string): JobAction {
  return { kind: "download", job: makeJob({ id }), task: `task-${id}` };
}

interface Outcome {
  clock: FakeClock;
  service: FakeService;
  journal: JournalEvent[];
  events: RunEvent[];
  passOver: boolean;
}

async function run(
  actions: JobAction[],
  scenario: Omit<FakeServiceOptions, "clock"> & { options?: Partial<ExecutorOptions> },
): Promise<Outcome> {
  const outDir = await Deno.makeTempDir({ prefix: "executor_bounds_test_" });
  try {
    const clock = new FakeClock({ start: T0, maxAdvances: 2_000 });
    const service = new FakeService({ ...scenario, clock });
    const journal: JournalEvent[] = [];
    const events: RunEvent[] = [];
    const sink: EventJournal = {
      append: (event) => {
        journal.push(event);
        clock.touch();
        return Promise.resolve();
      },
    };
    const result = await executeRun(actions, {
      client: service,
      journal: sink,
      outDir,
      concurrency: 2,
      pollIntervalMs: 1_000,
      clock,
      random: () => 0.5,
      ...scenario.options,
      onEvent: (event) => {
        events.push(event);
        clock.touch();
      },
    });
    return { clock, service, journal, events, passOver: result.passOver === true };
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

/** No sleep the run asked for ends after `end`. */
function assertNoSleepPast(outcome: Outcome, end: number): void {
  for (const sleep of outcome.clock.sleeps) {
    assert.ok(
      sleep.at + sleep.ms <= end,
      `a sleep of ${sleep.ms} ms at +${sleep.at - T0} ms ends past +${end - T0} ms`,
    );
  }
}

Deno.test("executeRun() with once does not sleep out a Retry-After longer than the pass", async () => {
  const outcome = await run([submit("a")], {
    submits: { a: [{ kind: "not_created", status: 429, retryAfterMs: 1_000_000_000 }] },
    options: { once: true, passTimeMs: 300_000 },
  });
  assertNoSleepPast(outcome, T0 + 300_000);
  assert.equal(outcome.service.calls.filter((c) => c.op === "submit").length, 1);
  assert.deepEqual(outcome.journal.map((e) => e.type), ["submitting", "not_created"]);
  assert.ok(outcome.events.some((e) => e.type === "wait_refused" && e.job === "a"));
  assert.equal(outcome.clock.pending, 0);
});

Deno.test("executeRun() with maxWaitMs does not sleep out a poll's Retry-After of an hour", async () => {
  const outcome = await run([poll("a")], {
    tasks: { "task-a": [{ fail: 429, retryAfterMs: HOUR }] },
    alive: ["task-a"],
    options: { maxWaitMs: 3_000 },
  });
  assertNoSleepPast(outcome, T0 + 3_000);
  assert.deepEqual(outcome.events.filter((e) => e.type === "task_timed_out").length, 1);
  assert.equal(outcome.journal.filter((e) => e.type === "task_failed").length, 0);
});

Deno.test("executeRun() keeps the shared 429 pause within maxWaitMs and sends nothing after it", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    submits: { a: [{ kind: "not_created", status: 429, retryAfterMs: HOUR }] },
    options: { maxWaitMs: 5_000, concurrency: 2 },
  });
  assertNoSleepPast(outcome, T0 + 5_000);
  // b was either sent before the 429 or is left pending: never after a refused pause.
  const submits = outcome.service.calls.filter((c) => c.op === "submit");
  assert.ok(submits.every((c) => c.at === T0), JSON.stringify(submits));
});

Deno.test("executeRun() ends its pass at passTimeMs with a task still rendering, keeping it", async () => {
  const outcome = await run([poll("a")], {
    tasks: { "task-a": [{ status: "in_progress" }] },
    alive: ["task-a"],
    options: { passTimeMs: 10_000 },
  });
  assertNoSleepPast(outcome, T0 + 10_000);
  assert.equal(outcome.journal.filter((e) => e.type === "task_failed").length, 0);
  assert.ok(outcome.service.calls.filter((c) => c.op === "getTask").length >= 5);
  assert.equal(outcome.clock.pending, 0);
});

Deno.test("executeRun() bounds a download's fresh-URL retries by the pass and journals no failure", async () => {
  const outcome = await run([download("a")], {
    tasks: { "task-a": [{ fail: 503, retryAfterMs: 10 * HOUR }] },
    options: { passTimeMs: 60_000 },
  });
  assertNoSleepPast(outcome, T0 + 60_000);
  assert.deepEqual(outcome.journal.map((e) => e.type), []);
  assert.ok(outcome.events.some((e) => e.type === "download_deferred" && e.job === "a"));
});

Deno.test("executeRun() keeps a succeeded job running when the disk has no room for its video", async () => {
  const outcome = await run([download("a")], {
    videos: { "task-a": [{ kind: "ok", bytes: fakeVideo("a", 5000) }] },
    options: {
      downloadLimits: {
        diskSpace: () => Promise.resolve({ free: 1000, total: 10 ** 12 }),
        reserveBytes: 0,
      },
    },
  });
  assert.deepEqual(outcome.journal.map((e) => e.type), ["download_held"]);
  const held = outcome.journal[0];
  assert.ok(held.type === "download_held");
  assert.equal(held.error.code, "disk_space");
  assert.match(held.error.message, /not enough free disk space/);
  assert.ok(outcome.events.some((e) => e.type === "download_held"));
  assert.equal(outcome.journal.filter((e) => e.type === "download_failed").length, 0);
});

Deno.test("executeRun() fails a video over the size cap only after one fresh URL", async () => {
  const outcome = await run([download("a")], {
    videos: { "task-a": [{ kind: "ok", bytes: fakeVideo("a", 5000) }] },
    options: { maxVideoBytes: 1024 },
  });
  const opens = outcome.service.calls.filter((c) => c.op === "openVideo");
  const gets = outcome.service.calls.filter((c) => c.op === "getTask");
  assert.equal(opens.length, 2);
  assert.equal(gets.length, 2, "the first URL and one renewal");
  assert.notEqual(opens[0].url, opens[1].url);
  const failed = outcome.journal.find((e) => e.type === "download_failed");
  assert.ok(failed?.type === "download_failed");
  assert.equal(failed.error.code, "video_too_large");
  assert.match(failed.error.message, /larger than the 1024-byte cap/);
});

Deno.test("executeRun() leaves a local write error's job running (EROFS-like open failure)", async () => {
  // A folder that is a file: creating videos/ fails locally, whoever the user is.
  const outDir = await Deno.makeTempDir({ prefix: "executor_bounds_test_" });
  try {
    await Deno.writeTextFile(join(outDir, "videos"), "not a folder");
    const clock = new FakeClock({ start: T0 });
    const service = new FakeService({ clock });
    const journal: JournalEvent[] = [];
    await executeRun([download("a")], {
      client: service,
      journal: { append: (event) => Promise.resolve(void journal.push(event)) },
      outDir,
      concurrency: 1,
      pollIntervalMs: 1_000,
      clock,
      random: () => 0.5,
    });
    assert.deepEqual(journal.map((e) => e.type), ["download_held"]);
    assert.ok(journal[0].type === "download_held" && journal[0].error.code === "download_write");
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("executeRun() with a pass time keeps submitting as slots free, and starts nothing in the pass's last twentieth", async () => {
  const ids = ["a", "b", "c", "d", "e", "f"];
  // Each task renders ~24 s: a slot frees at ~24, 48, 72 and 96 s of the 100 s pass.
  const rendering = Array.from({ length: 23 }, () => ({ status: "in_progress" }));
  const outcome = await run(ids.map(submit), {
    tasks: Object.fromEntries(
      ids.map((id) => [`task-${id}`, [...rendering, { status: "SUCCESS" }]]),
    ),
    options: { concurrency: 1, passTimeMs: 100_000 },
  });
  const submits = outcome.service.calls.filter((c) => c.op === "submit");
  // More than --concurrency in one pass: each freed slot took the next job.
  assert.ok(submits.length >= 3, `submitted ${submits.map((c) => c.job)}`);
  // The submission margin: none started after 95 % of the pass.
  assert.ok(submits.every((c) => c.at < T0 + 95_000), JSON.stringify(submits));
  // What did not fit is left as it was: never sent, nothing journaled for it.
  assert.deepEqual(submits.map((c) => c.job), ["a", "b", "c", "d"]);
  assert.ok(!outcome.journal.some((e) => "job" in e && (e.job === "e" || e.job === "f")));
  assertNoSleepPast(outcome, T0 + 100_000);
  assert.equal(outcome.journal.filter((e) => e.type === "task_failed").length, 0);
});
