import assert from "node:assert/strict";
import type { ServiceCheck } from "../src/api/client.ts";
import { ApiError, BatchError, ConfigError, ExitCode, InterruptedError } from "../src/errors.ts";
import { ensureVideoApi } from "../src/runner/service_check.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

/** A client whose checks answer from a script; the last answer repeats. */
function scripted(answers: ServiceCheck[]): {
  baseUrl: string;
  calls: string[];
  checkService(probeId: string): Promise<ServiceCheck>;
} {
  const calls: string[] = [];
  return {
    baseUrl: "http://127.0.0.1:9",
    calls,
    checkService(probeId: string): Promise<ServiceCheck> {
      calls.push(probeId);
      return Promise.resolve(answers[Math.min(calls.length - 1, answers.length - 1)]);
    },
  };
}

const OPTIONS = { budgetMs: 60_000, backoff: { baseMs: 1_000, maxMs: 10_000 }, random: () => 0.5 };
const REFUSED: ServiceCheck = {
  kind: "unreachable",
  connected: false,
  reason: "could not connect",
};
const BAD_GATEWAY: ServiceCheck = {
  kind: "busy",
  reason: "it answered 502 with a web page (HTML)",
};

Deno.test("`ensureVideoApi()` returns once the API answers, after retrying what may pass", async () => {
  const clock = new FakeClock();
  const client = scripted([REFUSED, BAD_GATEWAY, { kind: "api" }]);
  await ensureVideoApi(client, { ...OPTIONS, clock, probeId: "p" });
  assert.deepEqual(client.calls, ["p", "p", "p"]);
  assert.equal(clock.sleeps.length, 2);
});

Deno.test("`ensureVideoApi()` gives up within its bound when nothing ever connects (exit 2)", async () => {
  const clock = new FakeClock();
  const client = scripted([REFUSED]);
  const error = await ensureVideoApi(client, { ...OPTIONS, clock }).then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError);
  assert.equal(error.exitCode, ExitCode.Usage);
  assert.match(error.message, /Cannot reach the video API at http:\/\/127\.0\.0\.1:9/);
  assert.match(error.message, /Nothing was sent/);
  const slept = clock.sleeps.reduce((sum, sleep) => sum + sleep.ms, 0);
  assert.ok(slept < OPTIONS.budgetMs, `slept ${slept} ms, over the bound`);
  assert.ok(client.calls.length > 3, "it retried");
});

Deno.test("`ensureVideoApi()` ends with exit 3 when a host connects but never answers usefully", async () => {
  const clock = new FakeClock();
  const error = await ensureVideoApi(scripted([BAD_GATEWAY]), { ...OPTIONS, clock }).then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof BatchError);
  assert.equal(error.exitCode, ExitCode.Pending);
  assert.match(error.message, /502 with a web page/);
});

Deno.test("`ensureVideoApi()` never sleeps past its bound for a long Retry-After", async () => {
  const clock = new FakeClock();
  const client = scripted([{ ...BAD_GATEWAY, retryAfterMs: 3_600_000 }]);
  const error = await ensureVideoApi(client, { ...OPTIONS, clock }).catch((e: unknown) => e);
  assert.ok(error instanceof BatchError);
  assert.deepEqual(clock.sleeps, []);
  assert.equal(client.calls.length, 1);
});

Deno.test("`ensureVideoApi()` stops at once for a host that is not the API, or a rejected key", async () => {
  const clock = new FakeClock();
  const notApi = await ensureVideoApi(
    scripted([{ kind: "not_api", reason: "it answered 501 with a web page (HTML)" }]),
    { ...OPTIONS, clock },
  ).catch((e: unknown) => e);
  assert.ok(notApi instanceof ConfigError);
  assert.match(notApi.message, /it is not the video API \(it answered 501 with a web page/);
  const rejected = await ensureVideoApi(
    scripted([{ kind: "unauthorized", message: "invalid key" }]),
    { ...OPTIONS, clock },
  ).catch((e: unknown) => e);
  assert.ok(rejected instanceof ApiError);
  assert.equal(rejected.exitCode, ExitCode.Unauthorized);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("`ensureVideoApi()` stops when interrupted while waiting", async () => {
  const clock = new FakeClock();
  const stop = new AbortController();
  const client = scripted([REFUSED]);
  const checking = ensureVideoApi(client, { ...OPTIONS, clock, signal: stop.signal });
  stop.abort();
  const error = await checking.catch((e: unknown) => e);
  assert.ok(error instanceof InterruptedError);
});
