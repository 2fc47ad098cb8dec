import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import type { SubmitOutcome } from "../src/api/client.ts";
import {
  afterSubmit,
  notSentEvent,
  type SubmitContext,
  submitEvent,
  type SubmitNext,
  throttledUntil,
} from "../src/runner/policy/submit.ts";
import type { Task } from "../src/api/wire.ts";

const NOW = 1_000_000;
/** Backoff at random 0.5: attempt n waits 750 * 2^(n-1) (base 1000, equal jitter). */
const CONTEXT: SubmitContext = {
  send: 1,
  maxSends: 10,
  once: false,
  now: NOW,
  timing: { backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 0.5 },
};

function task(id: string, createdAt?: number): Task {
  return { id, status: "queued", rawStatus: "queued", ...(createdAt ? { createdAt } : {}) };
}

function failed(
  kind: "not_created" | "rejected" | "unknown",
  status: number,
  extra: { serviceCode?: string; retryAfterMs?: number } = {},
): SubmitOutcome {
  const error = new ApiError(`HTTP ${status}`, { status, method: "POST", url: "u", ...extra });
  return { kind, error };
}

Deno.test("afterSubmit() decides what follows each answer", async (t) => {
  const rows: [string, SubmitOutcome, Partial<SubmitContext>, SubmitNext][] = [
    [
      "created: track the task, young from our clock when the service's is earlier",
      { kind: "created", task: task("t1", (NOW - 5_000) / 1000) },
      {},
      { kind: "track", taskId: "t1", createdAtMs: NOW },
    ],
    [
      "created: young from the service's clock when it is later",
      { kind: "created", task: task("t1", (NOW + 5_000) / 1000) },
      {},
      { kind: "track", taskId: "t1", createdAtMs: NOW + 5_000 },
    ],
    [
      "created without a creation time: young from now",
      { kind: "created", task: task("t1") },
      {},
      { kind: "track", taskId: "t1", createdAtMs: NOW },
    ],
    [
      "unknown: the job is uncertain",
      failed("unknown", 524),
      {},
      { kind: "uncertain", message: "HTTP 524" },
    ],
    [
      "rejected with a service code: the job fails with it",
      failed("rejected", 400, { serviceCode: "bad_prompt" }),
      {},
      { kind: "rejected", error: { code: "bad_prompt", message: "HTTP 400" } },
    ],
    [
      "rejected without a code: http_<status>",
      failed("rejected", 422),
      {},
      { kind: "rejected", error: { code: "http_422", message: "HTTP 422" } },
    ],
    ["401: the run stops", failed("not_created", 401), {}, { kind: "stop_run" }],
    ["401 on the last send: still the run stops", failed("not_created", 401), { send: 10 }, {
      kind: "stop_run",
    }],
    [
      "503 on the first send: retry after the backoff",
      failed("not_created", 503),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "HTTP 503" },
    ],
    [
      "503 on the third send: the backoff grows",
      failed("not_created", 503),
      { send: 3 },
      { kind: "retry", delayMs: 3000, attempt: 3, reason: "HTTP 503" },
    ],
    [
      "Retry-After longer than the backoff is honoured",
      failed("not_created", 503, { retryAfterMs: 9_000 }),
      {},
      { kind: "retry", delayMs: 9_000, attempt: 1, reason: "HTTP 503" },
    ],
    [
      "429: retry, and every submission pauses until then",
      failed("not_created", 429, { retryAfterMs: 5_000 }),
      {},
      {
        kind: "retry",
        delayMs: 5_000,
        attempt: 1,
        reason: "HTTP 429",
        pauseSubmitsUntil: NOW + 5_000,
      },
    ],
    [
      "the last allowed send created nothing: defer to the next run",
      failed("not_created", 503),
      { send: 10 },
      {
        kind: "defer",
        message: "10 sends created nothing (last: HTTP 503); the next run tries again",
      },
    ],
    [
      "--once: three sends that created nothing defer",
      failed("not_created", 0),
      { send: 3, once: true },
      {
        kind: "defer",
        message: "3 sends created nothing (last: HTTP 0); the next run tries again",
      },
    ],
    [
      "--once: two sends still retry",
      failed("not_created", 0),
      { send: 2, once: true },
      { kind: "retry", delayMs: 1500, attempt: 2, reason: "HTTP 0" },
    ],
    [
      "--once: a 429 is retried past three sends",
      failed("not_created", 429),
      { send: 3, once: true },
      {
        kind: "retry",
        delayMs: 3000,
        attempt: 3,
        reason: "HTTP 429",
        pauseSubmitsUntil: NOW + 3000,
      },
    ],
    [
      "--once: a 429 on the last allowed send defers",
      failed("not_created", 429),
      { send: 10, once: true },
      {
        kind: "defer",
        message: "10 sends created nothing (last: HTTP 429); the next run tries again",
      },
    ],
  ];
  for (const [name, outcome, context, expected] of rows) {
    await t.step(name, () => {
      assert.deepEqual(afterSubmit(outcome, { ...CONTEXT, ...context }), expected);
    });
  }
});

Deno.test("afterSubmit() draws no jitter unless it retries", () => {
  let draws = 0;
  const random = (): number => (draws++, 0.5);
  const context = { ...CONTEXT, timing: { ...CONTEXT.timing, random } };
  afterSubmit({ kind: "created", task: task("t") }, context);
  afterSubmit(failed("unknown", 502), context);
  afterSubmit(failed("rejected", 400), context);
  afterSubmit(failed("not_created", 401), context);
  afterSubmit(failed("not_created", 503), { ...context, send: 10 });
  assert.equal(draws, 0);
  afterSubmit(failed("not_created", 503), context);
  assert.equal(draws, 1);
});

Deno.test("submitEvent() journals each answer as its event", async (t) => {
  const rows: [string, SubmitOutcome, unknown][] = [
    ["created", { kind: "created", task: task("t9") }, { type: "submitted", key: "k", task: "t9" }],
    ["unknown", failed("unknown", 0), { type: "outcome_unknown", key: "k", message: "HTTP 0" }],
    ["rejected", failed("rejected", 400, { serviceCode: "x" }), {
      type: "rejected",
      key: "k",
      status: 400,
      error: { code: "x", message: "HTTP 400" },
    }],
    ["not created", failed("not_created", 429), {
      type: "not_created",
      key: "k",
      status: 429,
      message: "HTTP 429",
    }],
    ["401 is not created", failed("not_created", 401), {
      type: "not_created",
      key: "k",
      status: 401,
      message: "HTTP 401",
    }],
  ];
  for (const [name, outcome, expected] of rows) {
    await t.step(name, () => assert.deepEqual(submitEvent(outcome, "k"), expected));
  }
});

Deno.test("notSentEvent() stands for a send that did not happen", async (t) => {
  await t.step("a new submission: not_created with status 0", () => {
    assert.deepEqual(notSentEvent("k", 1, "new", "the run stopped"), {
      type: "not_created",
      key: "k",
      status: 0,
      message: "Nothing was sent: the run stopped",
    });
  });
  await t.step("the first resend of an uncertain submission: nothing (it stays uncertain)", () => {
    assert.equal(notSentEvent("k", 1, "resubmit_uncertain", "x"), null);
  });
  await t.step("a later send of an uncertain submission: not_created", () => {
    assert.equal(notSentEvent("k", 2, "resubmit_uncertain", "x")?.type, "not_created");
  });
});

Deno.test("throttledUntil() pauses every submission from the moment a 429 arrives", async (t) => {
  const rows: [string, SubmitOutcome, number | undefined][] = [
    [
      "429 with Retry-After: until then",
      failed("not_created", 429, { retryAfterMs: 7000 }),
      NOW + 7000,
    ],
    ["429 without Retry-After: the backoff's base", failed("not_created", 429), NOW + 500],
    ["503: no pause for the others", failed("not_created", 503, { retryAfterMs: 7000 }), undefined],
    ["rejected: none", failed("rejected", 400), undefined],
    ["created: none", { kind: "created", task: task("t1") }, undefined],
  ];
  for (const [name, outcome, expected] of rows) {
    await t.step(name, () => assert.equal(throttledUntil(outcome, NOW, 500), expected));
  }
});
