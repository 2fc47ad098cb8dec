/**
 * What downloading a video does after each failure: renew the signed URL,
 * retry on the same one, hold the job (our disk, not the service), defer it
 * to the next run, fail it, or stop the run. Pure: jitter comes in as an input.
 *
 * @module
 */
import { ApiError, messageOf } from "../../errors.ts";
import type { JobError } from "../../domain/job_error.ts";
import { LOCAL_DOWNLOAD_CODES } from "../../journal/replay.ts";
import { DownloadError } from "../download.ts";
import { backoff, type RetryTiming } from "./timing.ts";

/** The task cannot give a fresh URL: the download fails for good. */
export class UrlNotRenewable extends Error {
  /**
   * @param code The job error's code.
   * @param message What happened, naming the task.
   */
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Download failures where the same signed URL is worth one more try. */
const BROKEN_TRANSFER: ReadonlySet<string> = new Set([
  "download_network",
  "download_interrupted",
  "download_truncated",
  "download_too_long",
]);

/** The tries of one download so far. */
export interface DownloadTries {
  /** Failed transfers (and answers without a URL); bounded by `maxAttempts`. */
  attempts: number;
  /** Failed transfers on the current URL. */
  failuresOnUrl: number;
  /** Failed GETs of the task for a fresh URL, in a row. */
  getFailures: number;
  /** Answers refused as too large. */
  tooLarge: number;
  /** The last failure, the job's error if it fails. */
  lastError: JobError;
}

/** The tries of a download not yet tried. */
export const NO_TRIES: DownloadTries = Object.freeze({
  attempts: 0,
  failuresOnUrl: 0,
  getFailures: 0,
  tooLarge: 0,
  lastError: Object.freeze({ code: "download_failed", message: "The video was not downloaded" }),
});

/**
 * The tries once a fresh URL came: its failures, and the GETs that failed
 * before it, start again from none.
 *
 * @param tries The tries so far.
 * @returns The tries on the fresh URL.
 */
export function urlRenewed(tries: DownloadTries): DownloadTries {
  return { ...tries, failuresOnUrl: 0, getFailures: 0 };
}

/** What a download does after a failure. */
export type DownloadNext =
  /** The key was refused: the whole run stops. */
  | { kind: "stop_run"; error: ApiError }
  /** The job failed with `error`. */
  | { kind: "fail"; error: JobError }
  /** Our disk failed: the job stays running and the next run downloads it. */
  | { kind: "hold"; error: JobError }
  /** The download's deadline passed: the next run downloads it. */
  | { kind: "defer"; message: string }
  /** Ask for a fresh URL at once, without a retry event. */
  | { kind: "renew" }
  /** Try again after `delayMs`, on a fresh URL when `renewUrl`. */
  | { kind: "retry"; delayMs: number; attempt: number; reason: string; renewUrl: boolean };

/** What {@linkcode afterDownloadError} weighs beside the error. */
export interface DownloadContext {
  /** Download tries before the job fails. */
  maxAttempts: number;
  /** Backoff and jitter of the retry. */
  timing: RetryTiming;
}

/**
 * What comes after a download failure. Transfer failures and answers without
 * a URL count towards `maxAttempts`; a failing GET of the task (for a fresh
 * URL) is a polling failure and is retried for as long as the run lasts.
 *
 * @param error What the transfer, or the GET for a fresh URL, threw.
 * @param tries The tries before this failure.
 * @param context The bound and the timing.
 * @returns What comes next, and the tries counting this failure.
 */
export function afterDownloadError(
  error: unknown,
  tries: DownloadTries,
  context: DownloadContext,
): { next: DownloadNext; tries: DownloadTries } {
  if (error instanceof ApiError && error.status === 401) {
    return { next: { kind: "stop_run", error }, tries };
  }
  if (error instanceof UrlNotRenewable) {
    const lastError = { code: error.code, message: error.message };
    return { next: { kind: "fail", error: lastError }, tries: { ...tries, lastError } };
  }
  if (error instanceof DownloadError && LOCAL_DOWNLOAD_CODES.has(error.code)) {
    return { next: { kind: "hold", error: { code: error.code, message: error.message } }, tries };
  }
  if (error instanceof DownloadError && error.code === "download_deadline") {
    return { next: { kind: "defer", message: error.message }, tries };
  }
  if (error instanceof DownloadError && error.code === "download_too_large") {
    // The service's file, not our disk: a fresh URL once, then the job fails.
    const tooLarge = tries.tooLarge + 1;
    if (tooLarge >= 2) {
      const lastError = { code: "video_too_large", message: error.message };
      return { next: { kind: "fail", error: lastError }, tries: { ...tries, tooLarge, lastError } };
    }
    return { next: { kind: "renew" }, tries: { ...tries, tooLarge } };
  }
  const lastError = {
    code: error instanceof DownloadError || error instanceof ApiError
      ? error.code
      : "download_failed",
    message: messageOf(error),
  };
  if (error instanceof ApiError) {
    // The GET for a fresh URL failed: like a poll, never the job's end.
    const getFailures = tries.getFailures + 1;
    const delayMs = backoff(getFailures, context.timing, error.retryAfterMs);
    const next = { ...tries, getFailures, lastError };
    return { next: retry(delayMs, next, false), tries: next };
  }
  const attempts = tries.attempts + 1;
  const failuresOnUrl = tries.failuresOnUrl + 1;
  const next = { ...tries, attempts, failuresOnUrl, lastError };
  if (attempts >= context.maxAttempts) {
    return { next: { kind: "fail", error: lastError }, tries: next };
  }
  const expired = error instanceof DownloadError && error.code === "url_expired";
  // A broken transfer is retried on the same URL once; anything else (an
  // expired or refused URL, a wrong body, no URL yet) asks for a fresh one.
  const transient = error instanceof DownloadError && BROKEN_TRANSFER.has(error.code);
  const renewUrl = !transient || failuresOnUrl >= 2;
  const delayMs = expired ? 0 : backoff(attempts, context.timing);
  return { next: retry(delayMs, next, renewUrl), tries: next };
}

function retry(delayMs: number, tries: DownloadTries, renewUrl: boolean): DownloadNext {
  return {
    kind: "retry",
    delayMs,
    attempt: tries.attempts + tries.getFailures,
    reason: tries.lastError.message,
    renewUrl,
  };
}
