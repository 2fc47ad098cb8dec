/**
 * How long a run may still wait: the end of the pass (`passTimeMs`) and
 * `--max-wait` bound every wait, and a wait that would outlast its bound is
 * refused rather than cut short. Pure: time comes in as numbers.
 *
 * @module
 */

/**
 * The latest time a wait may end outside a task's or a download's own
 * deadline: the end of the pass, and no single wait longer than `--max-wait`.
 *
 * @param now The current time, in clock milliseconds.
 * @param passEnd When the pass ends (`Infinity` without a bound).
 * @param maxWaitMs `--max-wait`, if set.
 * @returns The time by which the wait must be over.
 */
export function waitEnd(now: number, passEnd: number, maxWaitMs?: number): number {
  return Math.min(passEnd, now + (maxWaitMs ?? Infinity));
}

/** A wait that may not be taken: it would end after its bound. */
export interface RefusedWait {
  /** What is left of the bound, in milliseconds (at least 0). */
  leftMs: number;
}

/**
 * Whether a wait of `delayMs` may be taken now.
 *
 * @param delayMs The wait asked for.
 * @param now The current time, in clock milliseconds.
 * @param until The wait's own bound (a task's or a download's deadline), if any.
 * @param passEnd When the pass ends (`Infinity` without a bound).
 * @returns `undefined` when the wait fits; what is left of the bound when it
 *   would end later (the caller keeps its work for the next run).
 */
export function refuseWait(
  delayMs: number,
  now: number,
  until: number | undefined,
  passEnd: number,
): RefusedWait | undefined {
  const end = Math.min(until ?? Infinity, passEnd);
  if (now + delayMs <= end) return undefined;
  return { leftMs: Math.max(0, end - now) };
}

/**
 * When one download must be over: `--max-wait` bounds it as it bounds the
 * wait for a task (else the download's own deadline), and the pass ends it too.
 *
 * @param now The current time, in clock milliseconds.
 * @param passEnd When the pass ends (`Infinity` without a bound).
 * @param maxWaitMs `--max-wait`, if set.
 * @param deadlineMs The longest one download may take when nothing else bounds it.
 * @returns The deadline, in clock milliseconds.
 */
export function downloadDeadline(
  now: number,
  passEnd: number,
  maxWaitMs: number | undefined,
  deadlineMs: number,
): number {
  return Math.min(passEnd, now + (maxWaitMs ?? deadlineMs));
}

/** The longest margin kept free of new submissions at the end of a pass, in milliseconds. */
export const SUBMIT_MARGIN_MAX_MS = 15_000;

/**
 * When a bounded pass stops starting submissions: a margin before its end
 * (a twentieth of the pass, at most {@linkcode SUBMIT_MARGIN_MAX_MS}), so the
 * last POSTs are answered and journaled before the pass ends. Tasks still
 * rendering then are left alive and collected by the next pass.
 *
 * @param start When the pass started, in clock milliseconds.
 * @param passTimeMs How long the pass may work (`undefined`: no bound).
 * @returns The time after which no new submission starts (`Infinity` without a bound).
 */
export function submitEnd(start: number, passTimeMs: number | undefined): number {
  if (passTimeMs === undefined) return Infinity;
  return start + passTimeMs - Math.min(SUBMIT_MARGIN_MAX_MS, passTimeMs / 20);
}
