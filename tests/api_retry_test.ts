import assert from "node:assert/strict";
import {
  backoffDelay,
  classifySubmitFailure,
  parseRetryAfter,
  retryDelay,
  type SubmitOutcomeKind,
} from "../src/api/retry.ts";

Deno.test("`classifySubmitFailure()` maps every answer as the contract says", async (t) => {
  const cases: [string, Parameters<typeof classifySubmitFailure>[0], SubmitOutcomeKind][] = [
    ["400", { status: 400, sent: true }, "rejected"],
    ["401", { status: 401, sent: true }, "not_created"],
    ["403", { status: 403, sent: true }, "rejected"],
    ["404", { status: 404, sent: true }, "rejected"],
    ["408", { status: 408, sent: true }, "not_created"],
    ["409", { status: 409, sent: true }, "not_created"],
    ["422", { status: 422, sent: true }, "rejected"],
    ["425", { status: 425, sent: true }, "not_created"],
    ["429", { status: 429, sent: true }, "not_created"],
    ["500", { status: 500, sent: true }, "unknown"],
    [
      "500 invalid_request",
      { status: 500, serviceCode: "invalid_request", sent: true },
      "rejected",
    ],
    ["500 other code", { status: 500, serviceCode: "upstream_error", sent: true }, "unknown"],
    ["502", { status: 502, sent: true }, "unknown"],
    ["503", { status: 503, sent: true }, "not_created"],
    ["504", { status: 504, sent: true }, "unknown"],
    ["524", { status: 524, sent: true }, "unknown"],
    ["301 redirect", { status: 301, sent: true }, "rejected"],
    ["refused before sending", { sent: false }, "not_created"],
    ["broken after sending", { sent: true }, "unknown"],
    ["status 0 after sending", { status: 0, sent: true }, "unknown"],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(`${name} is ${expected}`, () => {
      assert.equal(classifySubmitFailure(input), expected);
    });
  }
});

Deno.test("`backoffDelay()` doubles its cap and stays within [cap/2, cap]", async (t) => {
  const options = { baseMs: 100, maxMs: 10_000 };
  const caps = [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000];
  for (const [index, cap] of caps.entries()) {
    const attempt = index + 1;
    await t.step(`attempt ${attempt}`, () => {
      const low = backoffDelay(attempt, { ...options, random: () => 0 });
      const high = backoffDelay(attempt, { ...options, random: () => 0.999 });
      assert.equal(low, cap / 2);
      assert.ok(high <= cap && high >= cap * 0.99, `${high} near ${cap}`);
    });
  }
});

Deno.test("`backoffDelay()` never exceeds the maximum for huge attempt numbers", () => {
  assert.equal(backoffDelay(10_000, { baseMs: 1000, maxMs: 60_000, random: () => 0.999 }), 59_970);
});

Deno.test("`parseRetryAfter()` reads seconds and HTTP dates", async (t) => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  await t.step("seconds", () => assert.equal(parseRetryAfter("7", now), 7000));
  await t.step("zero", () => assert.equal(parseRetryAfter("0", now), 0));
  await t.step("fractional seconds", () => assert.equal(parseRetryAfter("1.5", now), 1500));
  await t.step("HTTP date", () => {
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now), 30_000);
  });
  await t.step("HTTP date in the past", () => {
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", now), 0);
  });
  await t.step("absent", () => assert.equal(parseRetryAfter(null, now), undefined));
  await t.step("garbage", () => assert.equal(parseRetryAfter("soon", now), undefined));
  await t.step("negative", () => assert.equal(parseRetryAfter("-5", now), undefined));
});

Deno.test("`retryDelay()` waits at least as long as Retry-After asks", () => {
  const options = { baseMs: 100, maxMs: 1000, random: () => 0 };
  assert.equal(retryDelay(1, options), 50);
  assert.equal(retryDelay(1, { ...options, retryAfterMs: 5000 }), 5000);
  assert.equal(retryDelay(5, { ...options, retryAfterMs: 10 }), 500);
});

Deno.test("`retryDelay()` honours a Retry-After of at most an hour", () => {
  const options = { baseMs: 1000, maxMs: 60_000, random: () => 0 };
  assert.equal(retryDelay(1, { ...options, retryAfterMs: 90_000 }), 90_000);
  assert.equal(retryDelay(1, { ...options, retryAfterMs: 30 * 24 * 3600_000 }), 3600_000);
});
