import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import type { Task } from "../src/api/wire.ts";
import type { TaskStatus } from "../src/domain/task_status.ts";
import {
  afterPollAnswer,
  afterPollError,
  firstPoll,
  nextPollDelay,
  type PollContext,
  type PollErrorContext,
  type PollErrorNext,
  type PollNext,
  reportUnknownWord,
  statusEvent,
} from "../src/runner/policy/poll.ts";

const NOW = 1_000_000;
const TIMING = { pollIntervalMs: 1000, random: () => 0.5 };
const CONTEXT: PollContext = {
  once: false,
  now: NOW,
  deadline: Infinity,
  history: { startedAt: NOW - 10_000, polls: 3, failures: 0 },
  timing: TIMING,
};

function task(status: TaskStatus, extra: Partial<Task> = {}): Task {
  return { id: "t1", status, rawStatus: extra.rawStatus ?? status, ...extra };
}

Deno.test("nextPollDelay() jitters the interval to 75..125 %", async (t) => {
  const history = { startedAt: NOW, polls: 0, failures: 0 };
  for (const [random, expected] of [[0, 750], [0.5, 1000], [0.999, 1249.5]]) {
    await t.step(`random ${random}: ${expected} ms`, () => {
      const delay = nextPollDelay(history, NOW, { pollIntervalMs: 1000, random: () => random });
      assert.equal(delay, expected);
    });
  }
});

Deno.test("firstPoll() spaces the first poll of each task", async (t) => {
  const history = { startedAt: NOW, polls: 0, failures: 0 };
  const timing = { pollIntervalMs: 1000, random: () => 0.2 };
  const rows: [string, boolean, boolean, ReturnType<typeof firstPoll>][] = [
    ["a fresh task under --once is left alive", true, true, { kind: "leave" }],
    ["a fresh task waits one jittered interval", true, false, { kind: "wait", delayMs: 850 }],
    ["a resumed task under --once is polled at once", false, true, { kind: "wait", delayMs: 0 }],
    ["a resumed task is spread over one interval", false, false, { kind: "wait", delayMs: 200 }],
  ];
  for (const [name, fresh, once, expected] of rows) {
    await t.step(name, () => assert.deepEqual(firstPoll(fresh, once, history, timing), expected));
  }
});

Deno.test("afterPollAnswer() decides what follows each answer", async (t) => {
  const rows: [string, Task, Partial<PollContext>, PollNext][] = [
    [
      "succeeded: download with its URL",
      task("succeeded", { videoUrl: "https://v/1.mp4" }),
      {},
      { kind: "succeeded", videoUrl: "https://v/1.mp4" },
    ],
    [
      "succeeded under --once past the deadline: still downloaded",
      task("succeeded"),
      { once: true, deadline: NOW - 1 },
      { kind: "succeeded", videoUrl: undefined },
    ],
    [
      "failed with the service's error: the job fails with it",
      task("failed", { error: { code: "content_policy", message: "no" } }),
      {},
      { kind: "failed", error: { code: "content_policy", message: "no" } },
    ],
    [
      "error without a message: task_<status>, naming the word",
      task("error", { rawStatus: "ERRORED" }),
      {},
      {
        kind: "failed",
        error: { code: "task_error", message: "The task ended ERRORED without a message" },
      },
    ],
    ["in progress under --once: leave it alive", task("in_progress"), { once: true }, {
      kind: "leave",
    }],
    [
      "in progress at the deadline: timed out after the time waited",
      task("in_progress"),
      { deadline: NOW },
      { kind: "timed_out", waitedMs: 10_000 },
    ],
    ["queued: wait one jittered interval", task("queued"), {}, { kind: "wait", delayMs: 1000 }],
    [
      "an unknown word is not terminal: wait",
      task("unknown", { rawStatus: "PONDERING" }),
      {},
      { kind: "wait", delayMs: 1000 },
    ],
    [
      "in progress close to the deadline: the wait ends at it",
      task("in_progress"),
      { deadline: NOW + 300 },
      { kind: "wait", delayMs: 300 },
    ],
  ];
  for (const [name, answer, context, expected] of rows) {
    await t.step(name, () => {
      assert.deepEqual(afterPollAnswer(answer, { ...CONTEXT, ...context }), expected);
    });
  }
});

Deno.test("afterPollError() decides what follows each failed poll", async (t) => {
  const base: PollErrorContext = {
    ...CONTEXT,
    taskId: "t1",
    createdAtMs: NOW - 120_000,
    taskNotExistGraceMs: 60_000,
    backoff: { baseMs: 1000, maxMs: 60_000 },
  };
  const error = (status: number, extra: { serviceCode?: string; retryAfterMs?: number } = {}) =>
    new ApiError(`HTTP ${status}`, { status, method: "GET", url: "u", ...extra });
  const rows: [string, ApiError, Partial<PollErrorContext>, PollErrorNext][] = [
    ["401: the run stops", error(401), {}, { kind: "stop_run" }],
    [
      "task_not_exist past the grace: the job fails",
      error(400, { serviceCode: "task_not_exist" }),
      {},
      {
        kind: "failed",
        error: { code: "task_not_exist", message: "The service does not know task t1: HTTP 400" },
      },
    ],
    [
      "task_not_exist inside the grace: retried",
      error(400, { serviceCode: "task_not_exist" }),
      { createdAtMs: NOW - 59_999 },
      { kind: "retry", delayMs: 1000, attempt: 1, reason: "HTTP 400" },
    ],
    [
      "a 503: retried after the longer of the interval and the backoff",
      error(503),
      { history: { ...CONTEXT.history, failures: 2 } },
      { kind: "retry", delayMs: 3000, attempt: 3, reason: "HTTP 503" },
    ],
    [
      "a 429 with Retry-After: waits at least that long",
      error(429, { retryAfterMs: 7_000 }),
      {},
      { kind: "retry", delayMs: 7_000, attempt: 1, reason: "HTTP 429" },
    ],
    [
      "under --once: the retry is announced, then the task is left",
      error(502),
      { once: true },
      { kind: "retry", delayMs: 1000, attempt: 1, reason: "HTTP 502", stop: { kind: "leave" } },
    ],
    [
      "past --max-wait: the retry is announced, then the wait ends",
      error(502),
      { deadline: NOW - 1 },
      {
        kind: "retry",
        delayMs: 1000,
        attempt: 1,
        reason: "HTTP 502",
        stop: { kind: "timed_out", waitedMs: 10_000 },
      },
    ],
  ];
  for (const [name, failure, context, expected] of rows) {
    await t.step(name, () => {
      assert.deepEqual(afterPollError(failure, { ...base, ...context }), expected);
    });
  }
});

Deno.test("statusEvent() journals a status only when it changed", async (t) => {
  await t.step("a new status, with progress", () => {
    assert.deepEqual(statusEvent("t1", task("in_progress", { progress: 40 }), "queued"), {
      type: "status",
      task: "t1",
      status: "in_progress",
      progress: 40,
    });
  });
  await t.step("the first status, without progress", () => {
    assert.deepEqual(statusEvent("t1", task("queued")), {
      type: "status",
      task: "t1",
      status: "queued",
    });
  });
  await t.step("the same status again: nothing", () => {
    assert.equal(
      statusEvent("t1", task("in_progress", { progress: 50 }), "in_progress"),
      undefined,
    );
  });
});

Deno.test("reportUnknownWord() reports a status word it does not know once per task", async (t) => {
  const history = { startedAt: NOW, polls: 1, failures: 0 };
  const rows: [string, Task, boolean | undefined, boolean][] = [
    [
      "an unknown word, first seen: reported",
      task("unknown", { rawStatus: "PONDERING" }),
      undefined,
      true,
    ],
    ["an unknown word, reported before: not again", task("unknown"), true, false],
    ["a known word: nothing", task("queued"), undefined, false],
  ];
  for (const [name, answer, reported, expected] of rows) {
    await t.step(name, () => {
      assert.equal(
        reportUnknownWord(answer, { ...history, unknownWordReported: reported }),
        expected,
      );
    });
  }
});
