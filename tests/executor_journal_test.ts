/**
 * What the executor does when its journal cannot be written (issue 8, item
 * 4): it stops submitting at once, keeps the outcomes of POSTs already in
 * flight (journal retried, then the recovery sink, then only reported), and
 * never lets a created task id vanish.
 */
import assert from "node:assert/strict";
import {
  type EventJournal,
  executeRun,
  type ExecutorOptions,
  type RecoverySink,
  type RunResult,
} from "../src/runner/executor.ts";
import type { JobAction } from "../src/plan.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import type { RunEvent } from "../src/runner/events.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { FakeService, type FakeServiceOptions } from "./helpers/fake_service.ts";
import { makeJob } from "./helpers/jobs.ts";

const T0 = Date.UTC(2025, 0, 1);

function submit(id: string, reason: "new" | "resubmit_uncertain" = "new"): JobAction {
  return {
    kind: "submit",
    job: makeJob({ id }),
    key: `key-${id}`,
    newSubmission: reason === "new",
    reason,
  };
}

/** `type job` of an event, for compact assertions. */
function label(event: JournalEvent): string {
  return `${event.type} ${"job" in event ? event.job : "-"}`;
}

/** A journal that fails every append for which `fails` says so. */
class BreakingJournal implements EventJournal {
  readonly events: JournalEvent[] = [];
  readonly refused: JournalEvent[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly fails: (event: JournalEvent, refusedSoFar: number) => boolean,
  ) {}

  append(event: JournalEvent): Promise<void> {
    this.clock.touch();
    if (this.fails(event, this.refused.length)) {
      this.refused.push(event);
      return Promise.reject(new Error("Cannot append to journal state.jsonl: No space left"));
    }
    this.events.push(event);
    return Promise.resolve();
  }
}

/** A recovery sink that keeps events in memory, or refuses them. */
class MemoryRecovery implements RecoverySink {
  readonly kept: JournalEvent[] = [];
  constructor(readonly works = true) {}
  keep(event: JournalEvent): Promise<string> {
    if (!this.works) return Promise.reject(new Error("No space left"));
    this.kept.push(event);
    return Promise.resolve("out/recovered-1.jsonl");
  }
}

interface Outcome {
  result: RunResult;
  service: FakeService;
  events: RunEvent[];
  clock: FakeClock;
}

async function run(
  actions: JobAction[],
  journal: (clock: FakeClock) => EventJournal,
  scenario: {
    service?: Omit<FakeServiceOptions, "clock">;
    options?: Partial<ExecutorOptions>;
    onEvent?: (event: RunEvent) => void;
    clock?: FakeClock;
  } = {},
): Promise<Outcome> {
  const outDir = await Deno.makeTempDir({ prefix: "executor_journal_test_" });
  try {
    const clock = scenario.clock ?? new FakeClock({ start: T0 });
    const service = new FakeService({ ...scenario.service, clock });
    const events: RunEvent[] = [];
    const result = await executeRun(actions, {
      client: service,
      journal: journal(clock),
      outDir,
      concurrency: 2,
      pollIntervalMs: 1_000,
      clock,
      random: () => 0.5,
      ...scenario.options,
      onEvent: (event) => {
        events.push(event);
        clock.touch();
        scenario.onEvent?.(event);
      },
    });
    return { result, service, events, clock };
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

/**
 * Jobs a..d, two slots: a's POST answers first and its `submitted` is the
 * first append to fail; b's POST is held until that failure is known, so it
 * is in flight when the run stops submitting.
 */
function inFlightScenario(
  failureKnown: Promise<void>,
): { service: Omit<FakeServiceOptions, "clock"> } {
  return {
    service: {
      submits: {
        a: [{ kind: "created" as const }],
        b: [{ kind: "created" as const, hold: () => failureKnown }],
      },
      tasks: {
        "task-a": [{ status: "in_progress" }],
        "task-b": [{ status: "in_progress" }],
      },
    },
  };
}

Deno.test("executeRun() sends no POST after a journal append failed, even when the journal works again", async () => {
  const failureKnown = Promise.withResolvers<void>();
  let journal!: BreakingJournal;
  const outcome = await run(
    ["a", "b", "c", "d"].map((id) => submit(id)),
    (clock) =>
      journal = new BreakingJournal(
        clock,
        // Only the first append of a's task fails; every retry succeeds.
        (event, refused) => refused === 0 && event.type === "submitted" && event.job === "a",
      ),
    {
      ...inFlightScenario(failureKnown.promise),
      onEvent: (event) => {
        if (event.type === "journal_failed") failureKnown.resolve();
      },
    },
  );
  // c and d were never sent, though the journal took the retries.
  assert.deepEqual(outcome.service.calls.filter((c) => c.op === "submit").map((c) => c.job), [
    "a",
    "b",
  ]);
  assert.deepEqual(journal.events.map(label), [
    "submitting a",
    "submitting b",
    "submitted a",
    "submitted b",
  ]);
  assert.match(String(outcome.result.journalFailure), /No space left/);
  assert.deepEqual(outcome.result.unjournaled, []);
  // The retries waited (fake time), and nothing was polled or downloaded after the failure.
  assert.deepEqual(outcome.clock.sleeps.map((s) => s.ms), [250, 250]);
  assert.deepEqual(outcome.service.calls.filter((c) => c.op !== "submit"), []);
  assert.deepEqual(
    outcome.events.filter((e) => e.type === "run_stopping"),
    [{ type: "run_stopping", reason: "journal_failed" }],
  );
});

Deno.test("executeRun() keeps every created task in the recovery sink when the journal stays broken", async () => {
  const failureKnown = Promise.withResolvers<void>();
  const recovery = new MemoryRecovery();
  let broken = false;
  let journal!: BreakingJournal;
  const outcome = await run(
    ["a", "b", "c", "d"].map((id) => submit(id)),
    (clock) =>
      journal = new BreakingJournal(clock, (event) => {
        broken ||= event.type === "submitted" && event.job === "a";
        return broken;
      }),
    {
      ...inFlightScenario(failureKnown.promise),
      options: { recovery },
      onEvent: (event) => {
        if (event.type === "journal_failed") failureKnown.resolve();
      },
    },
  );
  assert.deepEqual(outcome.service.callsOf("submit").map((c) => c.job), ["a", "b"]);
  assert.deepEqual(journal.events.map(label), ["submitting a", "submitting b"]);
  assert.deepEqual(
    recovery.kept.map((e) => e.type === "submitted" ? [e.job, e.key, e.task] : e.type),
    [["a", "key-a", "task-a"], ["b", "key-b", "task-b"]],
  );
  assert.deepEqual(
    outcome.result.unjournaled?.map((u) => [label(u.event), u.keptIn]),
    [["submitted a", "out/recovered-1.jsonl"], ["submitted b", "out/recovered-1.jsonl"]],
  );
  // a: the append that failed, then three retries (250, 500, 1000 ms apart);
  // b, once the failure is known: the three retries only.
  assert.equal(journal.refused.filter((e) => e.type === "submitted").length, 7);
  assert.deepEqual(outcome.clock.sleeps.map((s) => s.ms).sort((x, y) => x - y), [
    250,
    250,
    500,
    500,
    1000,
    1000,
  ]);
  assert.deepEqual(
    outcome.events.filter((e) => e.type === "unjournaled").map((e) =>
      e.type === "unjournaled" ? e.event : undefined
    ),
    recovery.kept,
  );
});

Deno.test("executeRun() reports the events it could keep nowhere", async () => {
  const failureKnown = Promise.withResolvers<void>();
  const outcome = await run(
    ["a", "b", "c"].map((id) => submit(id)),
    (clock) =>
      new BreakingJournal(clock, (event) => event.type !== "submitting" || event.job === "c"),
    {
      ...inFlightScenario(failureKnown.promise),
      options: { recovery: new MemoryRecovery(false) },
      onEvent: (event) => {
        if (event.type === "journal_failed") failureKnown.resolve();
      },
    },
  );
  assert.deepEqual(outcome.service.callsOf("submit").map((c) => c.job), ["a", "b"]);
  const unjournaled = outcome.result.unjournaled ?? [];
  assert.deepEqual(unjournaled.map((u) => [label(u.event), u.keptIn]), [
    ["submitted a", undefined],
    ["submitted b", undefined],
  ]);
  const printed = outcome.events.filter((e) => e.type === "unjournaled");
  assert.equal(printed.length, 2);
});

Deno.test("executeRun() keeps 'nothing was sent' instead of a submitting event the journal refused", async (t) => {
  await t.step("a new submission becomes pending again", async () => {
    const recovery = new MemoryRecovery();
    const outcome = await run(
      [submit("a")],
      (clock) => new BreakingJournal(clock, () => true),
      { options: { recovery } },
    );
    assert.deepEqual(outcome.service.calls, []);
    assert.equal(recovery.kept.length, 1);
    const [kept] = recovery.kept;
    assert.equal(kept.type, "not_created");
    assert.ok(kept.type === "not_created");
    assert.equal(kept.key, "key-a");
    assert.equal(kept.status, 0);
    assert.match(kept.message, /^Nothing was sent/);
  });
  await t.step("a resubmitted uncertain job stays uncertain", async () => {
    const recovery = new MemoryRecovery();
    const outcome = await run(
      [submit("a", "resubmit_uncertain")],
      (clock) => new BreakingJournal(clock, () => true),
      { options: { recovery } },
    );
    assert.deepEqual(outcome.service.calls, []);
    assert.deepEqual(recovery.kept, []);
    assert.deepEqual(outcome.result.unjournaled, []);
    assert.ok(outcome.result.journalFailure !== undefined);
  });
});

Deno.test("executeRun() keeps the status a poll saw when the journal breaks mid-poll, and ends", async () => {
  const recovery = new MemoryRecovery();
  const outcome = await run(
    [
      {
        kind: "poll",
        job: makeJob({ id: "p" }),
        task: "task-p",
        createdAt: "2024-12-31T00:00:00Z",
      },
      submit("a"),
    ],
    (clock) => new BreakingJournal(clock, (event) => event.type === "status"),
    {
      options: { concurrency: 1, recovery },
      service: { alive: ["task-p"], tasks: { "task-p": [{ status: "in_progress" }] } },
    },
  );
  assert.deepEqual(recovery.kept.map(label), ["status p"]);
  assert.deepEqual(outcome.service.callsOf("submit"), []);
  assert.equal(outcome.clock.pending, 0);
});

Deno.test("executeRun() sends no POST when stopped while its submitting event was being made durable", async () => {
  const stop = new AbortController();
  let journal!: BreakingJournal;
  const outcome = await run(
    [submit("a")],
    (clock) =>
      journal = new BreakingJournal(clock, (event) => {
        if (event.type === "submitting") stop.abort();
        return false;
      }),
    { options: { stop: stop.signal } },
  );
  assert.equal(outcome.result.interrupted, true);
  assert.deepEqual(outcome.service.calls, []);
  assert.deepEqual(journal.events.map(label), ["submitting a", "not_created a"]);
  const [, notCreated] = journal.events;
  assert.ok(notCreated.type === "not_created" && notCreated.status === 0);
  assert.equal(notCreated.key, "key-a");
});
