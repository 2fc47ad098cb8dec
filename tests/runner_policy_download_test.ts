import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import { DownloadError, type DownloadErrorCode } from "../src/runner/download.ts";
import {
  afterDownloadError,
  type DownloadContext,
  type DownloadNext,
  type DownloadTries,
  NO_TRIES,
  UrlNotRenewable,
  urlRenewed,
} from "../src/runner/policy/download.ts";

/** Backoff at random 0.5: attempt n waits 750 * 2^(n-1). */
const CONTEXT: DownloadContext = {
  maxAttempts: 8,
  timing: { backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 0.5 },
};

function transfer(code: DownloadErrorCode): DownloadError {
  return new DownloadError(code, { code, destination: "out/a.mp4" });
}

function api(
  status: number,
  extra: { serviceCode?: string; retryAfterMs?: number } = {},
): ApiError {
  return new ApiError(`HTTP ${status}`, { status, method: "GET", url: "u", ...extra });
}

Deno.test("afterDownloadError() decides what follows each failure", async (t) => {
  const rows: [string, unknown, Partial<DownloadTries>, DownloadNext, Partial<DownloadTries>][] = [
    (() => {
      const refused = api(401);
      return ["401: the run stops", refused, {}, { kind: "stop_run", error: refused }, {}];
    })(),
    [
      "the URL cannot be renewed: the job fails",
      new UrlNotRenewable("url_not_renewable", "gone"),
      {},
      { kind: "fail", error: { code: "url_not_renewable", message: "gone" } },
      { lastError: { code: "url_not_renewable", message: "gone" } },
    ],
    [
      "our disk is full: held",
      transfer("disk_space"),
      {},
      { kind: "hold", error: { code: "disk_space", message: "disk_space" } },
      {},
    ],
    [
      "our disk refused the write: held",
      transfer("download_write"),
      {},
      { kind: "hold", error: { code: "download_write", message: "download_write" } },
      {},
    ],
    [
      "the download's deadline passed: deferred",
      transfer("download_deadline"),
      {},
      { kind: "defer", message: "download_deadline" },
      {},
    ],
    [
      "too large the first time: a fresh URL at once",
      transfer("download_too_large"),
      {},
      { kind: "renew" },
      { tooLarge: 1 },
    ],
    [
      "too large the second time: the job fails",
      transfer("download_too_large"),
      { tooLarge: 1 },
      { kind: "fail", error: { code: "video_too_large", message: "download_too_large" } },
      { tooLarge: 2, lastError: { code: "video_too_large", message: "download_too_large" } },
    ],
    [
      "an expired URL: a fresh one at once",
      transfer("url_expired"),
      {},
      { kind: "retry", delayMs: 0, attempt: 1, reason: "url_expired", renewUrl: true },
      { attempts: 1, failuresOnUrl: 1, lastError: { code: "url_expired", message: "url_expired" } },
    ],
    [
      "a broken transfer: the same URL again after the backoff",
      transfer("download_network"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "download_network", renewUrl: false },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_network", message: "download_network" },
      },
    ],
    [
      "a broken transfer twice on one URL: a fresh one",
      transfer("download_truncated"),
      { attempts: 1, failuresOnUrl: 1 },
      { kind: "retry", delayMs: 1500, attempt: 2, reason: "download_truncated", renewUrl: true },
      {
        attempts: 2,
        failuresOnUrl: 2,
        lastError: { code: "download_truncated", message: "download_truncated" },
      },
    ],
    [
      "an interrupted transfer: the same URL again",
      transfer("download_interrupted"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "download_interrupted", renewUrl: false },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_interrupted", message: "download_interrupted" },
      },
    ],
    [
      "a body longer than announced: the same URL again",
      transfer("download_too_long"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "download_too_long", renewUrl: false },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_too_long", message: "download_too_long" },
      },
    ],
    [
      "a transfer below the minimum rate: a fresh URL after the backoff",
      transfer("download_slow"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "download_slow", renewUrl: true },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_slow", message: "download_slow" },
      },
    ],
    [
      "a refused URL (HTTP error): a fresh one after the backoff",
      transfer("download_http"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "download_http", renewUrl: true },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_http", message: "download_http" },
      },
    ],
    [
      "the task answered without a URL: counted, a fresh one asked",
      new Error("no video_url"),
      {},
      { kind: "retry", delayMs: 750, attempt: 1, reason: "no video_url", renewUrl: true },
      {
        attempts: 1,
        failuresOnUrl: 1,
        lastError: { code: "download_failed", message: "no video_url" },
      },
    ],
    [
      "the last allowed attempt failed: the job fails with it",
      transfer("download_not_mp4"),
      { attempts: 7 },
      { kind: "fail", error: { code: "download_not_mp4", message: "download_not_mp4" } },
      {
        attempts: 8,
        failuresOnUrl: 1,
        lastError: { code: "download_not_mp4", message: "download_not_mp4" },
      },
    ],
    [
      "the GET for a fresh URL failed: retried, not counted as an attempt",
      api(503, { retryAfterMs: 4_000 }),
      { attempts: 2, getFailures: 1 },
      { kind: "retry", delayMs: 4_000, attempt: 4, reason: "HTTP 503", renewUrl: false },
      { attempts: 2, getFailures: 2, lastError: { code: "api_error", message: "HTTP 503" } },
    ],
    [
      "the GET failing past maxAttempts still never fails the job",
      api(502),
      { attempts: 7, getFailures: 20 },
      { kind: "retry", delayMs: 45_000, attempt: 28, reason: "HTTP 502", renewUrl: false },
      { attempts: 7, getFailures: 21, lastError: { code: "api_error", message: "HTTP 502" } },
    ],
  ];
  for (const [name, error, before, next, after] of rows) {
    await t.step(name, () => {
      const tries = { ...NO_TRIES, ...before };
      const decided = afterDownloadError(error, tries, CONTEXT);
      assert.deepEqual(decided.next, next);
      assert.deepEqual(decided.tries, { ...tries, ...after });
    });
  }
});

Deno.test("urlRenewed() starts the counts on a fresh URL again, not the attempts", () => {
  const tries = { ...NO_TRIES, attempts: 3, failuresOnUrl: 2, getFailures: 4, tooLarge: 1 };
  assert.deepEqual(urlRenewed(tries), { ...tries, failuresOnUrl: 0, getFailures: 0 });
});
