/**
 * The retry timing the policies share: backoff settings and the jitter
 * source, both injected so a decision is a pure function of its inputs.
 *
 * @module
 */
import { retryDelay } from "../../api/retry.ts";

/** Backoff and jitter for retries. */
export interface RetryTiming {
  /** Backoff of retries: the first cap and the largest delay, in milliseconds. */
  backoff: { baseMs: number; maxMs: number };
  /** Jitter source in [0, 1). */
  random: () => number;
}

/**
 * The wait before retry number `attempt`: jittered exponential backoff, never
 * shorter than the service's `Retry-After`.
 *
 * @param attempt The 1-based number of the retry about to be made.
 * @param timing Backoff and jitter.
 * @param retryAfterMs The service's `Retry-After`, if any.
 * @returns The delay in milliseconds.
 */
export function backoff(attempt: number, timing: RetryTiming, retryAfterMs?: number): number {
  return retryDelay(attempt, { ...timing.backoff, random: timing.random, retryAfterMs });
}
