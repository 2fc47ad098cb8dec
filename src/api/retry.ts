/**
 * Retry policy as pure functions: what a failed submit means, which
 * statuses a GET or download retries, and how long to wait (exponential
 * backoff with jitter, never earlier than `Retry-After`).
 *
 * @module
 */

/** What a submit's answer means for the job. */
export type SubmitOutcomeKind = "created" | "not_created" | "rejected" | "unknown";

/** Statuses after which the service created no task: safe to send again. */
const NOT_CREATED_STATUSES: ReadonlySet<number> = new Set([408, 409, 425, 429, 503]);

/** The status of a refused key: nothing is created, and no send can succeed. */
const UNAUTHORIZED = 401;

/** The service code that makes a 500 a request error. */
const INVALID_REQUEST = "invalid_request";

/**
 * Classify a submit that did not create a task, per the contract.
 *
 * - `not_created`: 408, 409, 425, 429, 503, or nothing was sent (connection
 *   refused): send again with the same `Idempotency-Key`. Also 401: the key,
 *   not the job, is at fault (the caller stops the run).
 * - `rejected`: any other 4xx, a 500 whose code is `invalid_request`, and a
 *   redirect (a wrong base URL; a redirect creates nothing).
 * - `unknown`: the request was sent and no usable answer came back (the
 *   connection broke, the answer timed out), or any other 5xx (524
 *   included): a task may exist and be billed.
 *
 * @param input The HTTP status (absent when no response arrived), the
 *   service's code, and whether any of the request was sent.
 * @returns The kind of outcome.
 */
export function classifySubmitFailure(
  input: { status?: number; serviceCode?: string; sent: boolean },
): Exclude<SubmitOutcomeKind, "created"> {
  const { status, serviceCode } = input;
  if (status === undefined || status === 0) return input.sent ? "unknown" : "not_created";
  if (NOT_CREATED_STATUSES.has(status) || status === UNAUTHORIZED) return "not_created";
  if (status === 500 && serviceCode === INVALID_REQUEST) return "rejected";
  if (status >= 300 && status < 500) return "rejected";
  return "unknown";
}

/** Backoff settings; `random` is injected so tests are deterministic. */
export interface BackoffOptions {
  /** Delay cap before jitter for the first attempt, in milliseconds. */
  baseMs: number;
  /** Largest delay, in milliseconds. */
  maxMs: number;
  /** A source of numbers in [0, 1), e.g. `Math.random`. */
  random: () => number;
}

/**
 * Exponential backoff with "equal jitter": the cap doubles each attempt
 * (`baseMs * 2^(attempt-1)`, at most `maxMs`) and the delay is drawn
 * uniformly from [cap/2, cap), so it grows yet never synchronises retries.
 *
 * @param attempt The 1-based number of the retry about to be made.
 * @param options Base, maximum and the random source.
 * @returns The delay in whole milliseconds, in [cap/2, cap].
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(exponent, 52));
  const random = Math.min(Math.max(options.random(), 0), 1);
  return Math.round(cap / 2 + (cap / 2) * random);
}

/**
 * Read a `Retry-After` header: delta seconds (fractions tolerated) or an
 * HTTP date.
 *
 * @param header The header value, or null when absent.
 * @param nowMs The current time in epoch milliseconds (for an HTTP date).
 * @returns The wait in milliseconds (at least 0), or undefined when the
 *   header is absent or unreadable.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number.parseFloat(value) * 1000);
  // An HTTP date always names its month; this keeps "-5" from parsing as a year.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (!Number.isFinite(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The longest `Retry-After` wait honoured. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * The delay before the next retry: the backoff, but never shorter than what
 * the service asked for with `Retry-After`.
 *
 * @param attempt The 1-based number of the retry about to be made.
 * @param options Backoff settings and the `Retry-After` wait, if any.
 * @returns The delay in milliseconds.
 */
export function retryDelay(
  attempt: number,
  options: BackoffOptions & { retryAfterMs?: number },
): number {
  // A Retry-After far in the future is honoured up to an hour: beyond that the
  // run checks again rather than sleeping for days.
  const asked = Math.min(options.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(backoffDelay(attempt, options), asked);
}
