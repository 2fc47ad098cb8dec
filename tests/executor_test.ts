import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type EventJournal,
  executeRun,
  type ExecutorOptions,
  type RunResult,
} from "../src/runner/executor.ts";
import type { JobAction } from "../src/plan.ts";
import type { JobImage } from "../src/manifest/job.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import type { RunEvent } from "../src/runner/events.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { FakeService, type FakeServiceOptions, fakeVideo } from "./helpers/fake_service.ts";
import { makeJob } from "./helpers/jobs.ts";
import { renderKindKey } from "../src/runner/policy/render_evidence.ts";

/** The fake clock's start: a real date, so "created long ago" means something. */
const T0 = Date.UTC(2025, 0, 1);

// ---- builders -------------------------------------------------------------

function submit(id: string): JobAction {
  return {
    kind: "submit",
    job: makeJob({ id }),
    key: `key-${id}`,
    newSubmission: true,
    reason: "new",
  };
}

function poll(id: string, createdAt = new Date(T0 - 1_000).toISOString()): JobAction {
  return { kind: "poll", job: makeJob({ id }), task: `task-${id}`, createdAt };
}

/** A random source that cycles through `values`. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

/** Journal entry's job, for the timeline. */
function jobOfEvent(event: JournalEvent): string {
  return "job" in event ? event.job : "-";
}

/** A journal whose appends become durable `delayMs` of fake time later. */
class FakeJournal implements EventJournal {
  readonly events: JournalEvent[] = [];
  /** For each `downloaded` event: whether its file was complete when it was appended. */
  readonly fileAtDownloaded: boolean[] = [];

  constructor(
    readonly clock: FakeClock,
    readonly log: string[],
    readonly outDir: string,
    readonly delayMs: number,
  ) {}

  async append(event: JournalEvent): Promise<void> {
    this.log.push(`append ${event.type} ${jobOfEvent(event)}`);
    this.clock.touch();
    if (event.type === "downloaded") {
      const bytes = await Deno.readFile(join(this.outDir, event.output)).catch(() => undefined);
      this.fileAtDownloaded.push(bytes?.byteLength === event.bytes);
    }
    if (this.delayMs > 0) await this.clock.sleep(this.delayMs);
    this.events.push(event);
    this.log.push(`durable ${event.type} ${jobOfEvent(event)}`);
  }

  of<T extends JournalEvent["type"]>(type: T): Extract<JournalEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<JournalEvent, { type: T }> => e.type === type);
  }
}

interface Scenario extends Omit<FakeServiceOptions, "clock" | "log"> {
  /** Executor options over the defaults (concurrency 2, polls every 1000 ms, random 0.5). */
  options?: Partial<ExecutorOptions>;
  clock?: FakeClock;
  /** Fake time each journal append takes. */
  appendDelayMs?: number;
  /** Also called for each run event, after it is recorded. */
  onEvent?: (event: RunEvent) => void;
}

interface Outcome {
  result: RunResult;
  clock: FakeClock;
  service: FakeService;
  journal: FakeJournal;
  events: RunEvent[];
  /** One shared timeline of service calls, journal appends and run events. */
  log: string[];
  /** Files left under the output folder, relative path → bytes. */
  files: Map<string, Uint8Array>;
}

/** Run the executor against fakes in a fresh temporary output folder (removed after). */
async function run(actions: JobAction[], scenario: Scenario = {}): Promise<Outcome> {
  const outDir = await Deno.makeTempDir({ prefix: "executor_test_" });
  try {
    const clock = scenario.clock ?? new FakeClock({ start: T0 });
    const log: string[] = [];
    const service = new FakeService({ ...scenario, clock, log });
    const journal = new FakeJournal(clock, log, outDir, scenario.appendDelayMs ?? 0);
    const events: RunEvent[] = [];
    const result = await executeRun(actions, {
      client: service,
      journal,
      outDir,
      concurrency: 2,
      pollIntervalMs: 1_000,
      clock,
      random: () => 0.5,
      ...scenario.options,
      onEvent: (event) => {
        events.push(event);
        log.push(`event ${event.type} ${"job" in event ? event.job : "-"}`);
        clock.touch();
        scenario.onEvent?.(event);
      },
    });
    return { result, clock, service, journal, events, log, files: await readTree(outDir) };
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

async function readTree(root: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(join(root, prefix))) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) {
      for (const [name, bytes] of await readTree(root, path)) files.set(name, bytes);
    } else {
      files.set(path, await Deno.readFile(join(root, path)));
    }
  }
  return files;
}

/** `[job or task, time since T0]` of each call of one kind. */
function timesOf(outcome: Outcome, op: "submit" | "getTask" | "openVideo"): [string, number][] {
  return outcome.service.callsOf(op).map((c) => [(c.job ?? c.task)!, c.at - T0]);
}

function eventsOf<T extends RunEvent["type"]>(
  outcome: Outcome,
  type: T,
): Extract<RunEvent, { type: T }>[] {
  return outcome.events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

// ---- in-flight bound ------------------------------------------------------

Deno.test("executeRun() keeps at most `concurrency` tasks alive when 6 jobs are submitted", async () => {
  const ids = ["j1", "j2", "j3", "j4", "j5", "j6"];
  const tasks = Object.fromEntries(
    ids.map((
      id,
    ) => [`task-${id}`, [{ status: "queued" }, { status: "in_progress" }, { status: "SUCCESS" }]]),
  );
  const outcome = await run(ids.map(submit), { tasks });
  assert.equal(outcome.service.maxAlive, 2);
  assert.equal(outcome.service.alive, 0);
  // Each task lives 3 polls (3000 ms); the next two submits wait for two to end.
  assert.deepEqual(timesOf(outcome, "submit"), [
    ["j1", 0],
    ["j2", 0],
    ["j3", 3000],
    ["j4", 3000],
    ["j5", 6000],
    ["j6", 6000],
  ]);
  assert.equal(outcome.journal.of("downloaded").length, 6);
  for (const id of ids) {
    assert.deepEqual(outcome.files.get(`videos/${id}.mp4`), fakeVideo(`task-${id}`));
  }
  assert.deepEqual(outcome.result, { unauthorized: undefined, interrupted: false });
});

Deno.test("executeRun() gives slots to tasks alive at start before any new submit", async () => {
  const outcome = await run([submit("a"), poll("x"), poll("y"), submit("b")], {
    alive: ["task-x", "task-y"],
    tasks: {
      "task-a": [...Array(4).fill({ status: "in_progress" }), { status: "SUCCESS" }],
      "task-x": [{ status: "in_progress" }, { status: "SUCCESS" }],
      "task-y": [{ status: "in_progress" }, { status: "in_progress" }, { status: "in_progress" }, {
        status: "SUCCESS",
      }],
    },
  });
  // Resumed tasks are first polled within one interval (random 0.5: at 500);
  // a waits for x (done at 1500), b for y (done at 3500).
  assert.deepEqual(timesOf(outcome, "getTask").slice(0, 2), [["task-x", 500], ["task-y", 500]]);
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 1500], ["b", 3500]]);
  assert.equal(outcome.service.maxAlive, 2);
  const firstSubmit = outcome.log.indexOf("submit a");
  const xTerminal = outcome.log.indexOf("durable task_succeeded x");
  assert.ok(xTerminal >= 0 && xTerminal < firstSubmit, outcome.log.join("\n"));
});

// ---- journal order ----------------------------------------------------------

Deno.test("executeRun() makes each event durable before acting on it when appends are slow", async () => {
  const outcome = await run([submit("a")], {
    appendDelayMs: 50,
    tasks: { "task-a": [{ status: "in_progress" }, { status: "SUCCESS" }] },
  });
  assert.deepEqual(outcome.log, [
    "event run_started -",
    "append submitting a",
    "durable submitting a",
    "submit a",
    "append submitted a",
    "durable submitted a",
    "event job_submitted a",
    "getTask task-a",
    "append status a",
    "durable status a",
    "event status_changed a",
    "getTask task-a",
    // The status that ends the task and its end share one commit.
    "append status a",
    "append task_succeeded a",
    "durable status a",
    "durable task_succeeded a",
    "event status_changed a",
    "openVideo task-a",
    "append downloaded a",
    "durable downloaded a",
    "event download_finished a",
    "event run_finished -",
  ]);
  assert.deepEqual(outcome.journal.fileAtDownloaded, [true]);
  // The POST waited for `submitting` to become durable (50 ms of fake time).
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 50]]);
  // A poll is timed from when the status it saw is durable (1100 + 50), not from its answer.
  assert.deepEqual(timesOf(outcome, "getTask"), [["task-a", 1100], ["task-a", 2150]]);
});

Deno.test("executeRun() starts the next submission as soon as a task is seen ended, and POSTs it only once durable", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    appendDelayMs: 50,
    options: { concurrency: 1 },
    tasks: { "task-a": [{ status: "SUCCESS" }], "task-b": [{ status: "SUCCESS" }] },
  });
  const at = (line: string): number => {
    const index = outcome.log.indexOf(line);
    assert.ok(index >= 0, `missing "${line}" in\n${outcome.log.join("\n")}`);
    return index;
  };
  // b's submission is on its way to the journal while a's end is still being made durable.
  assert.ok(at("append submitting b") < at("durable task_succeeded a"), outcome.log.join("\n"));
  // Money: b's POST still waits for b's own submission to be durable.
  assert.ok(at("durable submitting b") < at("submit b"), outcome.log.join("\n"));
  // a's GET at 100 + 1000; b's POST one commit later (not three: a's status, a's end, b's submission).
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 50], ["b", 1150]]);
  assert.equal(outcome.service.maxAlive, 1);
});

Deno.test("executeRun() with adaptive polling counts a task's age from its POST's answer, not from when that answer was journaled", async () => {
  const job = makeJob({ id: "a" });
  const outcome = await run([submit("a")], {
    appendDelayMs: 50,
    options: {
      polling: "adaptive",
      renderEvidence: new Map([[renderKindKey(job), { shortestMs: 4000, count: 3 }]]),
    },
    tasks: { "task-a": [{ status: "SUCCESS" }] },
  });
  // Answered at 50, journaled at 100; first polled at the shortest render seen (4 s) less an
  // eighth of an interval (random 0.5): 50 + 4000 - 125.
  assert.deepEqual(timesOf(outcome, "getTask"), [["task-a", 3925]]);
});

Deno.test("executeRun() acts on no outcome before it is durable when jobs run side by side", async () => {
  const outcome = await run(["a", "b", "c", "d", "e"].map(submit), {
    appendDelayMs: 7,
    options: { concurrency: 5 },
    submits: {
      b: [{ kind: "unknown", status: 0 }],
      c: [{ kind: "rejected", status: 400 }],
      d: [{ kind: "not_created", status: 503 }, { kind: "created" }],
    },
    tasks: { "task-e": [{ status: "FAILED", error: { code: "content_policy", message: "no" } }] },
  });
  const at = (line: string): number => {
    const index = outcome.log.indexOf(line);
    assert.ok(index >= 0, `missing "${line}" in\n${outcome.log.join("\n")}`);
    return index;
  };
  const before = (first: string, second: string): void =>
    assert.ok(at(first) < at(second), `"${first}" should come before "${second}"`);
  for (const id of ["a", "d"]) {
    before(`durable submitting ${id}`, `submit ${id}`);
    before(`durable submitted ${id}`, `event job_submitted ${id}`);
    before(`durable submitted ${id}`, `getTask task-${id}`);
    before(`durable status ${id}`, `event status_changed ${id}`);
    before(`durable task_succeeded ${id}`, `openVideo task-${id}`);
    before(`durable downloaded ${id}`, `event download_finished ${id}`);
  }
  before("durable outcome_unknown b", "event job_uncertain b");
  before("durable rejected c", "event job_failed c");
  before("durable not_created d", "event retry_scheduled d");
  before("durable task_failed e", "event job_failed e");
  assert.deepEqual(outcome.journal.fileAtDownloaded, [true, true]);
  const typesOf = (id: string): string[] =>
    outcome.journal.events.filter((e) => jobOfEvent(e) === id).map((e) => e.type);
  assert.deepEqual(typesOf("a"), [
    "submitting",
    "submitted",
    "status",
    "task_succeeded",
    "downloaded",
  ]);
  assert.deepEqual(typesOf("b"), ["submitting", "outcome_unknown"]);
  assert.deepEqual(typesOf("c"), ["submitting", "rejected"]);
  assert.deepEqual(typesOf("d"), [
    "submitting",
    "not_created",
    "submitting",
    "submitted",
    "status",
    "task_succeeded",
    "downloaded",
  ]);
  assert.deepEqual(typesOf("e"), ["submitting", "submitted", "status", "task_failed"]);
});

// ---- submit outcomes --------------------------------------------------------

Deno.test("executeRun() pauses every submission until Retry-After when a submit gets 429", async () => {
  const outcome = await run([submit("a"), submit("b"), submit("c"), submit("d")], {
    submits: { a: [{ kind: "not_created", status: 429, retryAfterMs: 5000 }, { kind: "created" }] },
  });
  // a gets 429 at 0 (b was sent alongside); b's task ends at 1000 and frees a slot,
  // but c waits with a for the shared pause to end at 5000.
  assert.deepEqual(timesOf(outcome, "submit"), [
    ["a", 0],
    ["b", 0],
    ["a", 5000],
    ["c", 5000],
    ["d", 6000],
  ]);
  assert.deepEqual(outcome.service.callsOf("submit", "a").map((c) => c.key), ["key-a", "key-a"]);
  const notCreated = outcome.journal.of("not_created");
  assert.deepEqual(notCreated.map((e) => [e.job, e.key, e.status]), [["a", "key-a", 429]]);
  assert.deepEqual(
    eventsOf(outcome, "retry_scheduled").map((e) => [e.job, e.operation, e.delayMs, e.attempt]),
    [["a", "submit", 5000, 1]],
  );
  // c journaled `submitting` only when it could send.
  const cSubmitting = outcome.journal.of("submitting").filter((e) => e.job === "c");
  assert.deepEqual(cSubmitting.map((e) => e.at), [new Date(T0 + 5000).toISOString()]);
  assert.equal(outcome.journal.of("downloaded").length, 4);
});

Deno.test("executeRun() leaves a job uncertain and frees its slot when the outcome is unknown", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    options: { concurrency: 1 },
    // A resend would create a task: the test would see it.
    submits: { a: [{ kind: "unknown", status: 524 }, { kind: "created" }] },
  });
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0], ["b", 0]]);
  assert.deepEqual(
    outcome.journal.of("outcome_unknown").map((e) => [e.job, e.key]),
    [["a", "key-a"]],
  );
  assert.deepEqual(eventsOf(outcome, "job_uncertain").map((e) => e.job), ["a"]);
  assert.equal(outcome.service.callsOf("getTask", "task-a").length, 0);
  assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job), ["b"]);
});

Deno.test("executeRun() fails a job without resending when the submit is rejected with 400", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    options: { concurrency: 1 },
    submits: { a: [{ kind: "rejected", status: 400, serviceCode: "invalid_parameter" }] },
  });
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0], ["b", 0]]);
  const [rejected, ...more] = outcome.journal.of("rejected");
  assert.equal(more.length, 0);
  assert.deepEqual([rejected.job, rejected.key, rejected.status, rejected.error.code], [
    "a",
    "key-a",
    400,
    "invalid_parameter",
  ]);
  assert.deepEqual(eventsOf(outcome, "job_failed"), [
    { type: "job_failed", job: "a", error: rejected.error },
  ]);
  assert.equal(outcome.journal.of("not_created").length, 0);
});

Deno.test("executeRun() stops the run at once when a submit answers 401", async () => {
  const outcome = await run([poll("x"), submit("a"), submit("b")], {
    alive: ["task-x"],
    tasks: { "task-x": [{ status: "in_progress" }] },
    // The client classifies a 401 as not_created: the key, not the job, is at fault.
    submits: { a: [{ kind: "not_created", status: 401 }] },
  });
  assert.equal(outcome.result.unauthorized?.status, 401);
  assert.equal(outcome.result.interrupted, false);
  // Nothing after the 401: x is not polled again, b is never sent.
  assert.deepEqual(outcome.service.calls.map((c) => [c.op, c.job ?? c.task, c.at - T0]), [
    ["submit", "a", 0],
  ]);
  assert.deepEqual(
    outcome.journal.of("not_created").map((e) => [e.job, e.key, e.status]),
    [["a", "key-a", 401]],
  );
  assert.deepEqual(eventsOf(outcome, "run_stopping"), [{
    type: "run_stopping",
    reason: "unauthorized",
  }]);
  assert.equal(outcome.clock.pending, 0);
});

Deno.test("executeRun() stops the run at once when a poll answers 401", async () => {
  const outcome = await run([poll("x"), poll("y"), submit("a")], {
    alive: ["task-x", "task-y"],
    tasks: { "task-x": [{ fail: 401 }], "task-y": [{ status: "in_progress" }] },
  });
  assert.equal(outcome.result.unauthorized?.status, 401);
  assert.deepEqual(outcome.service.calls.map((c) => [c.op, c.task, c.at - T0]), [
    ["getTask", "task-x", 500],
  ]);
  assert.equal(outcome.journal.of("submitting").length, 0);
  assert.equal(outcome.journal.of("task_failed").length, 0);
  assert.equal(outcome.clock.now(), T0 + 500);
});

Deno.test("executeRun() defers a job after maxSubmitSends sends that created nothing", async () => {
  const outcome = await run([submit("a")], {
    options: { maxSubmitSends: 2 },
    submits: { a: [{ kind: "not_created", status: 503 }] },
  });
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0], ["a", 750]]);
  assert.deepEqual(
    outcome.journal.of("not_created").map((e) => [e.job, e.key, e.status]),
    [["a", "key-a", 503], ["a", "key-a", 503]],
  );
  const [deferred, ...more] = eventsOf(outcome, "job_deferred");
  assert.equal(more.length, 0);
  assert.equal(deferred.job, "a");
  assert.match(
    deferred.message,
    /^2 sends created nothing \(last: .*503\); the next run tries again$/,
  );
});

// ---- images -------------------------------------------------------------------

/** An image of `bytes` at `/images/<name>`, validated with their hash. */
function image(name: string, bytes: Uint8Array): JobImage {
  return {
    path: `images/${name}`,
    resolved: `/images/${name}`,
    contentType: "image/png",
    bytes: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

function submitWith(id: string, images: JobImage[]): JobAction {
  return { ...submit(id), job: makeJob({ id, images }) } as JobAction;
}

Deno.test("executeRun() reads an image shared by several jobs once per run", async () => {
  const shared = new Uint8Array([1, 2, 3]);
  const own = new Uint8Array([4, 5]);
  const files = new Map([["/images/shared.png", shared], ["/images/own.png", own]]);
  const reads: string[] = [];
  const outcome = await run(
    [
      submitWith("a", [image("shared.png", shared)]),
      submitWith("b", [image("shared.png", shared), image("own.png", own)]),
      submitWith("c", [image("shared.png", shared)]),
    ],
    {
      options: {
        concurrency: 1,
        readFile: (path) => {
          reads.push(path);
          return Promise.resolve(files.get(path)!);
        },
      },
    },
  );
  assert.deepEqual(reads.sort(), ["/images/own.png", "/images/shared.png"]);
  assert.deepEqual(timesOf(outcome, "submit").map(([job]) => job), ["a", "b", "c"]);
  assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job).sort(), ["a", "b", "c"]);
});

Deno.test("executeRun() defers a job and sends nothing when its image changed after validation", async () => {
  const validated = image("ref.png", new Uint8Array([1, 2, 3]));
  const outcome = await run([submitWith("a", [validated]), submit("b")], {
    options: { readFile: () => Promise.resolve(new Uint8Array([9, 9, 9])) },
  });
  assert.deepEqual(timesOf(outcome, "submit"), [["b", 0]]);
  assert.deepEqual(outcome.journal.events.filter((e) => "job" in e && e.job === "a"), []);
  const deferred = eventsOf(outcome, "job_deferred");
  assert.deepEqual(deferred.map((e) => e.job), ["a"]);
  assert.match(
    deferred[0].message,
    /^Cannot send image images\/ref\.png: it changed after validation/,
  );
  assert.match(deferred[0].message, /nothing was sent$/);
});

Deno.test("executeRun() defers a job and sends nothing when its image cannot be read", async () => {
  const outcome = await run([submitWith("a", [image("gone.png", new Uint8Array([1]))])], {
    options: { readFile: () => Promise.reject(new Deno.errors.NotFound("no such file")) },
  });
  assert.deepEqual(outcome.service.calls, []);
  assert.deepEqual(outcome.journal.events, []);
  assert.deepEqual(eventsOf(outcome, "job_deferred").map((e) => e.message), [
    "Cannot read image images/gone.png: no such file; nothing was sent",
  ]);
});

// ---- polling ------------------------------------------------------------------

Deno.test("executeRun() first polls a fresh task after the jittered poll interval", async (t) => {
  for (const [random, delay] of [[0, 750], [0.5, 1000], [0.99, 1245]]) {
    await t.step(`random ${random} → ${delay} ms`, async () => {
      const outcome = await run([submit("a")], { options: { random: () => random } });
      assert.deepEqual(timesOf(outcome, "getTask"), [["task-a", delay]]);
    });
  }
});

Deno.test("executeRun() spreads the polls of tasks submitted together", async () => {
  const outcome = await run([submit("a"), submit("b"), submit("c")], {
    options: { concurrency: 3, random: sequence(0, 0.9, 0.3) },
  });
  assert.deepEqual(timesOf(outcome, "submit").map(([, at]) => at), [0, 0, 0]);
  assert.deepEqual(timesOf(outcome, "getTask"), [["task-a", 750], ["task-c", 900], [
    "task-b",
    1200,
  ]]);
});

Deno.test("executeRun() retries failed polls with growing backoff and never fails the job", async () => {
  const outcome = await run([submit("a")], {
    options: { pollIntervalMs: 100 },
    tasks: {
      "task-a": [
        { fail: 500 },
        { fail: 0 },
        { fail: 429, retryAfterMs: 20_000 },
        { fail: 502 },
        { status: "in_progress" },
        { fail: 503 },
        { status: "SUCCESS" },
      ],
    },
  });
  // Backoff 750, 1500, (3000 but Retry-After) 20000, 6000; it starts over after a good poll.
  assert.deepEqual(outcome.clock.sleeps.map((s) => s.ms), [100, 750, 1500, 20_000, 6000, 100, 750]);
  assert.deepEqual(
    eventsOf(outcome, "retry_scheduled").map((e) => [e.operation, e.delayMs, e.attempt]),
    [["poll", 750, 1], ["poll", 1500, 2], ["poll", 20_000, 3], ["poll", 6000, 4], ["poll", 750, 1]],
  );
  assert.deepEqual(eventsOf(outcome, "job_failed"), []);
  assert.equal(outcome.journal.of("task_failed").length, 0);
  assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job), ["a"]);
});

Deno.test("executeRun() retries task_not_exist while the task is young", async () => {
  const notExist = { fail: 400, serviceCode: "task_not_exist" };
  const outcome = await run([submit("a")], {
    tasks: { "task-a": [notExist, notExist, { status: "SUCCESS" }] },
  });
  assert.equal(outcome.service.callsOf("getTask", "task-a").length, 3);
  assert.equal(outcome.journal.of("task_failed").length, 0);
  assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job), ["a"]);
});

Deno.test("executeRun() fails the job with task_not_exist after the grace window", async (t) => {
  const notExist = { fail: 400, serviceCode: "task_not_exist" };
  await t.step("a fresh task, once it is older than the grace", async () => {
    const outcome = await run([submit("a"), submit("b")], {
      options: { concurrency: 1, taskNotExistGraceMs: 5000 },
      tasks: { "task-a": [notExist] },
    });
    // Polls at 1000, 2000 (+1000), 3500 (+1500), 6500 (+3000): the last one is past the grace.
    assert.deepEqual(timesOf(outcome, "getTask").filter(([task]) => task === "task-a"), [
      ["task-a", 1000],
      ["task-a", 2000],
      ["task-a", 3500],
      ["task-a", 6500],
    ]);
    const failed = outcome.journal.of("task_failed");
    assert.deepEqual(failed.map((e) => [e.job, e.task, e.error.code]), [[
      "a",
      "task-a",
      "task_not_exist",
    ]]);
    assert.deepEqual(
      eventsOf(outcome, "job_failed").map((e) => [e.job, e.error.code]),
      [["a", "task_not_exist"]],
    );
    // Its slot is free again.
    assert.deepEqual(timesOf(outcome, "submit"), [["a", 0], ["b", 6500]]);
  });
  await t.step("a resumed task submitted long ago, at its first poll", async () => {
    const outcome = await run([poll("x", new Date(T0 - 3_600_000).toISOString())], {
      alive: ["task-x"],
      tasks: { "task-x": [notExist] },
    });
    assert.deepEqual(timesOf(outcome, "getTask"), [["task-x", 500]]);
    assert.deepEqual(outcome.journal.of("task_failed").map((e) => e.error.code), [
      "task_not_exist",
    ]);
  });
});

Deno.test("executeRun() reports an unknown status word once and keeps polling", async () => {
  const outcome = await run([submit("a")], {
    tasks: {
      "task-a": [
        { status: "queued" },
        { status: "RENDERING_ON_MARS" },
        { status: "RENDERING_ON_MARS" },
        { status: "Orbiting" },
        { status: "SUCCESS" },
      ],
    },
  });
  assert.deepEqual(eventsOf(outcome, "unknown_status"), [
    { type: "unknown_status", job: "a", task: "task-a", word: "RENDERING_ON_MARS" },
  ]);
  assert.deepEqual(outcome.journal.of("status").map((e) => e.status), [
    "queued",
    "unknown",
    "succeeded",
  ]);
  assert.equal(outcome.service.callsOf("getTask").length, 5);
  // Success only from the fifth poll, at 5000.
  assert.deepEqual(
    outcome.journal.of("task_succeeded").map((e) => e.at),
    [new Date(T0 + 5000).toISOString()],
  );
  assert.ok(outcome.log.indexOf("openVideo task-a") > outcome.log.lastIndexOf("getTask task-a"));
});

// ---- --max-wait and --once -------------------------------------------------------

Deno.test("executeRun() stops waiting for a task after maxWaitMs and keeps its slot", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    options: { concurrency: 1, maxWaitMs: 5000 },
    tasks: { "task-a": [{ status: "in_progress" }] },
  });
  assert.deepEqual(timesOf(outcome, "getTask").map(([, at]) => at), [1000, 2000, 3000, 4000, 5000]);
  assert.deepEqual(eventsOf(outcome, "task_timed_out"), [
    { type: "task_timed_out", job: "a", task: "task-a", waitedMs: 5000 },
  ]);
  // b cannot start while a's task is alive: it stays unsent.
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0]]);
  assert.equal(outcome.journal.of("submitting").length, 1);
  assert.equal(outcome.journal.of("task_failed").length, 0);
  assert.deepEqual(outcome.result, { unauthorized: undefined, interrupted: false });
  assert.equal(outcome.events.at(-1)?.type, "run_finished");
  assert.equal(outcome.clock.now(), T0 + 5000);
  assert.equal(outcome.clock.pending, 0);
});

Deno.test("executeRun() polls each resumed task exactly once and submits into free slots only with once", async (t) => {
  await t.step("no free slot: nothing is submitted", async () => {
    const outcome = await run([poll("x"), poll("y"), submit("a")], {
      options: { once: true },
      alive: ["task-x", "task-y"],
      tasks: { "task-x": [{ status: "in_progress" }], "task-y": [{ status: "queued" }] },
    });
    assert.deepEqual(timesOf(outcome, "getTask"), [["task-x", 0], ["task-y", 0]]);
    assert.deepEqual(timesOf(outcome, "submit"), []);
    assert.deepEqual(outcome.clock.sleeps, []);
    assert.deepEqual(outcome.result, { unauthorized: undefined, interrupted: false });
  });
  await t.step("a task that ended frees its slot; the new task is not polled", async () => {
    const outcome = await run([poll("x"), poll("y"), submit("a"), submit("b")], {
      options: { once: true },
      alive: ["task-x", "task-y"],
      tasks: { "task-x": [{ status: "in_progress" }], "task-y": [{ status: "SUCCESS" }] },
    });
    assert.deepEqual(timesOf(outcome, "getTask"), [["task-x", 0], ["task-y", 0]]);
    assert.deepEqual(timesOf(outcome, "submit"), [["a", 0]]);
    assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job), ["y"]);
    assert.equal(outcome.service.maxAlive, 2);
    assert.deepEqual(outcome.clock.sleeps, []);
  });
});

// ---- downloads -------------------------------------------------------------------

Deno.test("executeRun() fetches the task again for a fresh URL when the video URL expired", async () => {
  const outcome = await run([submit("a")], {
    videos: { "task-a": [{ kind: "status", status: 403 }, { kind: "ok" }] },
  });
  assert.deepEqual(outcome.service.callsOf("openVideo").map((c) => c.url), [
    "https://cdn.test/videos/task-a.mp4?sig=1",
    "https://cdn.test/videos/task-a.mp4?sig=2",
  ]);
  assert.equal(outcome.service.callsOf("getTask", "task-a").length, 2);
  assert.deepEqual(
    eventsOf(outcome, "retry_scheduled").map((e) => [e.operation, e.delayMs]),
    [["download", 0]],
  );
  assert.deepEqual(outcome.files.get("videos/a.mp4"), fakeVideo("task-a"));
  assert.deepEqual(outcome.journal.of("download_failed"), []);
});

Deno.test("executeRun() retries truncated downloads with backoff on the same URL", async () => {
  const truncated = { kind: "truncated", send: 20 } as const;
  const outcome = await run([submit("a")], {
    // The downloader resumes 5 times within one attempt (6 opens), then the executor retries.
    videos: { "task-a": [...Array(8).fill(truncated), { kind: "ok" }] },
  });
  const opens = outcome.service.callsOf("openVideo");
  assert.equal(opens.length, 9);
  assert.ok(opens.every((c) => c.url === "https://cdn.test/videos/task-a.mp4?sig=1"));
  assert.equal(outcome.service.callsOf("getTask").length, 1);
  assert.deepEqual(
    eventsOf(outcome, "retry_scheduled").map((e) => [e.operation, e.delayMs, e.attempt]),
    [["download", 750, 1]],
  );
  assert.deepEqual(outcome.clock.sleeps.map((s) => s.ms), [1000, 750]);
  assert.deepEqual(outcome.files.get("videos/a.mp4"), fakeVideo("task-a"));
  assert.deepEqual([...outcome.files.keys()], ["videos/a.mp4"]);
});

Deno.test("executeRun() fails the download after maxDownloadAttempts", async () => {
  const outcome = await run([submit("a")], {
    options: { maxDownloadAttempts: 2 },
    videos: { "task-a": [{ kind: "truncated", send: 20 }] },
  });
  assert.equal(outcome.service.callsOf("openVideo").length, 12);
  const failed = outcome.journal.of("download_failed");
  assert.deepEqual(failed.map((e) => [e.job, e.task, e.error.code]), [[
    "a",
    "task-a",
    "download_truncated",
  ]]);
  assert.deepEqual(
    eventsOf(outcome, "job_failed").map((e) => [e.job, e.task, e.error.code]),
    [["a", "task-a", "download_truncated"]],
  );
  assert.deepEqual(outcome.journal.of("downloaded"), []);
  assert.deepEqual([...outcome.files.keys()], [], "no video and no .part left");
});

Deno.test("executeRun() submits the next job while a download is still blocked", async () => {
  // a's video answers only once b was created, and b's POST is answered only
  // once a's download has started: with one slot, the run can finish only if
  // a download does not hold an in-flight slot.
  const downloadStarted = Promise.withResolvers<void>();
  const bCreated = Promise.withResolvers<void>();
  const outcome = await run([submit("a"), submit("b")], {
    options: { concurrency: 1 },
    videos: {
      "task-a": [{
        kind: "ok",
        hold: () => {
          downloadStarted.resolve();
          return bCreated.promise;
        },
      }],
    },
    submits: { b: [{ kind: "created", hold: () => downloadStarted.promise }] },
    onEvent: (event) => {
      if (event.type === "job_submitted" && event.job === "b") bCreated.resolve();
    },
  });
  const at = (line: string): number => outcome.log.indexOf(line);
  assert.ok(at("openVideo task-a") < at("event job_submitted b"), outcome.log.join("\n"));
  assert.ok(at("event job_submitted b") < at("durable downloaded a"), outcome.log.join("\n"));
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0], ["b", 1000]]);
  assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job).sort(), ["a", "b"]);
});

Deno.test("executeRun() runs at most downloadConcurrency downloads at once", async (t) => {
  for (const limit of [2, 3]) {
    await t.step(`downloadConcurrency ${limit}`, async () => {
      let opening = 0;
      let mostOpening = 0;
      // No video answers before `limit` downloads are waiting for theirs.
      const full = Promise.withResolvers<void>();
      const hold = async (): Promise<void> => {
        mostOpening = Math.max(mostOpening, ++opening);
        if (opening >= limit) full.resolve();
        await full.promise;
        opening--;
      };
      const ids = ["a", "b", "c"];
      const outcome = await run(
        ids.map((id) => ({ kind: "download", job: makeJob({ id }), task: `task-${id}` })),
        {
          options: { downloadConcurrency: limit },
          videos: Object.fromEntries(ids.map((id) => [`task-${id}`, [{ kind: "ok", hold }]])),
        },
      );
      assert.equal(mostOpening, limit);
      // The download beyond the limit starts only once another one has finished.
      const opens = outcome.log.flatMap((line, i) => line.startsWith("openVideo") ? [i] : []);
      const firstFinished = outcome.log.findIndex((line) =>
        line.startsWith("event download_finished")
      );
      assert.equal(opens.length, 3);
      assert.equal(opens[2] > firstFinished, limit < 3, outcome.log.join("\n"));
      assert.deepEqual(outcome.journal.of("downloaded").map((e) => e.job).sort(), ids);
    });
  }
});

// ---- stop ------------------------------------------------------------------------

Deno.test("executeRun() ends sleeps and sends nothing new when stopped", async () => {
  const stop = new AbortController();
  const clock = new FakeClock({ start: T0 });
  const outcome = await run([poll("x"), submit("a"), submit("b")], {
    clock,
    options: { stop: stop.signal },
    onEvent: (event) => {
      if (event.type === "run_started") clock.at(T0 + 2500, () => stop.abort());
    },
    alive: ["task-x"],
    tasks: { "task-x": [{ status: "in_progress" }] },
    submits: { a: [{ kind: "not_created", status: 429, retryAfterMs: 10_000 }] },
  });
  assert.deepEqual(outcome.result, { unauthorized: undefined, interrupted: true });
  // x sleeps until 3500 and a until 10000 when the stop comes at 2500.
  assert.equal(clock.now(), T0 + 2500);
  assert.equal(clock.pending, 0);
  assert.deepEqual(outcome.service.calls.map((c) => [c.op, c.job ?? c.task, c.at - T0]), [
    ["submit", "a", 0],
    ["getTask", "task-x", 500],
    ["getTask", "task-x", 1500],
  ]);
  assert.deepEqual(eventsOf(outcome, "run_stopping"), [{
    type: "run_stopping",
    reason: "interrupted",
  }]);
  assert.equal(outcome.events.at(-1)?.type, "run_finished");
});

Deno.test("executeRun() journals the outcome of a POST in progress when stopped", async (t) => {
  const cases = [
    { step: { kind: "created" }, journaled: "submitted" },
    { step: { kind: "unknown", status: 0 }, journaled: "outcome_unknown" },
    { step: { kind: "not_created", status: 503 }, journaled: "not_created" },
  ] as const;
  for (const { step, journaled } of cases) {
    await t.step(`${step.kind} → ${journaled}`, async () => {
      const stop = new AbortController();
      const outcome = await run([submit("a"), submit("b")], {
        options: { concurrency: 1, stop: stop.signal },
        submits: {
          a: [{
            ...step,
            hold: () => {
              stop.abort();
              return Promise.resolve();
            },
          }],
        },
      });
      assert.equal(outcome.result.interrupted, true);
      assert.deepEqual(
        outcome.journal.events.map((e) => e.type),
        ["submitting", journaled],
      );
      // Nothing after the stop: no poll of a, no b.
      assert.deepEqual(outcome.service.calls.map((c) => [c.op, c.job]), [["submit", "a"]]);
      assert.equal(outcome.clock.pending, 0);
    });
  }
});

Deno.test("executeRun() stops waiting after maxWaitMs when the task's polls keep failing", async () => {
  const outcome = await run([submit("a"), submit("b")], {
    clock: new FakeClock({ start: T0, maxAdvances: 200 }),
    options: { concurrency: 1, maxWaitMs: 5000 },
    tasks: { "task-a": [{ status: "in_progress" }, { fail: 503 }] },
  });
  assert.deepEqual(eventsOf(outcome, "task_timed_out").map((e) => [e.job, e.task]), [[
    "a",
    "task-a",
  ]]);
  // No wait outlasts --max-wait: the task times out when the next retry would end past it.
  assert.ok(eventsOf(outcome, "task_timed_out")[0].waitedMs <= 5000);
  for (const sleep of outcome.clock.sleeps) assert.ok(sleep.at + sleep.ms <= T0 + 5000);
  assert.equal(outcome.clock.pending, 0);
  assert.deepEqual(timesOf(outcome, "submit"), [["a", 0]]);
  assert.deepEqual(outcome.result, { unauthorized: undefined, interrupted: false });
});

Deno.test("executeRun() waits for the video URL of a task that succeeded without one yet", async () => {
  const outcome = await run([submit("a")], {
    // The poll and the first fresh GET see SUCCESS with no URL (a lagging gateway).
    tasks: {
      "task-a": [
        { status: "SUCCESS", videoUrl: null },
        { status: "SUCCESS", videoUrl: null },
        { status: "SUCCESS" },
      ],
    },
  });
  assert.equal(outcome.service.callsOf("getTask", "task-a").length, 3);
  assert.deepEqual(outcome.files.get("videos/a.mp4"), fakeVideo("task-a"));
  assert.deepEqual(outcome.journal.of("download_failed"), []);
  assert.deepEqual(eventsOf(outcome, "retry_scheduled").map((e) => e.operation), ["download"]);
});

Deno.test("executeRun() keeps asking for a fresh URL while the task's GET fails, without failing the job", async () => {
  const outcome = await run([submit("a")], {
    clock: new FakeClock({ start: T0, maxAdvances: 500 }),
    videos: { "task-a": [{ kind: "status", status: 403 }, { kind: "ok" }] },
    // Polled once (SUCCESS), then more failing GETs than download attempts allowed.
    tasks: {
      "task-a": [{ status: "SUCCESS" }, ...Array(12).fill({ fail: 503 }), { status: "SUCCESS" }],
    },
  });
  assert.equal(outcome.service.callsOf("getTask", "task-a").length, 14);
  assert.deepEqual(outcome.files.get("videos/a.mp4"), fakeVideo("task-a"));
  assert.deepEqual(outcome.journal.of("download_failed"), []);
});

Deno.test("executeRun() renews a video URL the file host answers 404 for", async () => {
  const outcome = await run([submit("a")], {
    videos: { "task-a": [{ kind: "status", status: 404 }, { kind: "ok" }] },
  });
  assert.deepEqual(outcome.service.callsOf("openVideo").map((c) => c.url), [
    "https://cdn.test/videos/task-a.mp4?sig=1",
    "https://cdn.test/videos/task-a.mp4?sig=2",
  ]);
  assert.deepEqual(outcome.files.get("videos/a.mp4"), fakeVideo("task-a"));
  assert.deepEqual(outcome.journal.of("download_failed"), []);
});

Deno.test("executeRun() sends no POST during a 429 pause that began while the POST was being recorded", async () => {
  // b is refused first and frees its slot; c takes it while a's 429 is still
  // being journaled, so c passes the pause check before the pause exists.
  const outcome = await run([submit("b"), submit("a"), submit("c")], {
    options: { concurrency: 2 },
    appendDelayMs: 50,
    submits: {
      b: [{ kind: "rejected", status: 400, serviceCode: "invalid_parameter" }],
      a: [{ kind: "not_created", status: 429, retryAfterMs: 5000 }, { kind: "created" }],
    },
  });
  const sends = timesOf(outcome, "submit");
  const aRefusedAt = sends.find(([job]) => job === "a")![1];
  const cSentAt = sends.find(([job]) => job === "c")![1];
  assert.ok(
    cSentAt >= aRefusedAt + 5000,
    `c was sent at ${cSentAt}, inside a's Retry-After (${aRefusedAt}..${aRefusedAt + 5000})`,
  );
});
