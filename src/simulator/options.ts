/**
 * What a simulator can be told: timing, dialect, catalog, key, idempotency and
 * the seeded fault model. All timings are milliseconds of the injected clock.
 *
 * @module
 */
import type { Catalog } from "../catalog.ts";
import type { Clock } from "../runner/clock.ts";

/**
 * The simulator's view of time, injected so tests step time without
 * sleeping: the runner's {@linkcode Clock}. A `sleep` may resolve early or
 * reject when its signal aborts; either ends the wait.
 */
export type SimulatorClock = Clock;

/** A render time: fixed milliseconds, or a range drawn per task from the seed. */
export type RenderTime = number | { min: number; max: number };

/**
 * Which status words the service speaks: `upper` is
 * `SUBMITTED/IN_PROGRESS/SUCCESS/FAILED/ERROR`, `lower` is
 * `queued/in_progress/completed/failed/error`.
 */
export type StatusDialect = "upper" | "lower";

/**
 * How a rendering task reports `progress`: `linear` rises with the time
 * rendered (1..99), `coarse` moves in steps of 25 (0, 25, 50, 75), `none`
 * stays 0 until the task is terminal. Every mode says 100 once terminal.
 */
export type ProgressMode = "linear" | "coarse" | "none";

/** A delay added before some answers. */
export interface SlowFault {
  /** Probability that a request is delayed. */
  probability: number;
  /** How long, in milliseconds of the injected clock. */
  delayMs: number;
}

/**
 * The seeded fault model. Each number is a probability in [0, 1] per request
 * (0 or absent: never, 1: always); one draw decides at most one fault.
 */
export interface SimulatorFaults {
  /**
   * Submit answers a 5xx from `submitServerErrorStatuses`. 500 and 502 create
   * nothing; 524 (the gateway gave up waiting) creates the task first, like
   * a real origin that kept working after the gateway timed out.
   */
  submitServerError?: number;
  /** Statuses for `submitServerError`. @default [500, 502, 524] */
  submitServerErrorStatuses?: readonly number[];
  /** Submit answers 503; nothing is created. */
  submitUnavailable?: number;
  /** Submit answers 429 with `Retry-After`; nothing is created. */
  submitRateLimited?: number;
  /** Submit answers 500 with `error.code` `invalid_request`; nothing is created. */
  submitInvalidRequest?: number;
  /** The task is created, then the answer is lost (see `answerLostMode`). */
  submitAnswerLost?: number;
  /** The connection breaks before anything is created (the client sees the same as a lost answer). */
  submitReset?: number;
  /**
   * How a lost answer looks to the client. `break`: the status line and
   * headers arrive (200, JSON), then the body stream fails, so reading the
   * body rejects with a network error. `hang`: nothing for
   * `answerLostHangMs` (the client's own timeout should fire first), or until
   * the simulator shuts down, then the same broken body.
   * @default "break"
   */
  answerLostMode?: "break" | "hang";
  /** How long a `hang` lasts, in ms of the injected clock. @default 300000 */
  answerLostHangMs?: number;
  /** Poll answers a 5xx from `pollServerErrorStatuses`. */
  pollServerError?: number;
  /** Statuses for `pollServerError`. @default [500, 502, 503, 504, 524] */
  pollServerErrorStatuses?: readonly number[];
  /** Poll answers 429 with `Retry-After`. */
  pollRateLimited?: number;
  /** Poll's connection breaks after the headers (like `answerLostMode: "break"`). */
  pollReset?: number;
  /** A download sends the full `Content-Length`, then stops part-way with an error. */
  downloadTruncated?: number;
  /** A download sends its headers, then the connection breaks before any byte. */
  downloadReset?: number;
  /** Delay answers to submit, poll and download requests. */
  slow?: SlowFault;
  /**
   * For this long after a task is created, GETs of it answer `task_not_exist`
   * (the real service may not know a brand-new id yet). @default 0
   */
  taskVisibilityLagMs?: number;
  /** At most this many tasks in flight (created, not terminal) per key; beyond it 429. */
  maxTasksInFlightPerKey?: number;
  /** Answer 401 to every authenticated request, as for a revoked key. */
  revokedKey?: boolean;
  /** `Retry-After` seconds on 429 answers. @default 1 */
  retryAfterSeconds?: number;
  /** Probability that a `Retry-After` is written as an HTTP date instead of seconds. @default 0 */
  retryAfterHttpDate?: number;
  /**
   * For `retryAfterViolations`: a request counts only when it arrives at
   * least this long after the 429 (one arriving sooner may have been sent,
   * or queued in the client's connection pool, before the 429 arrived). @default 100
   */
  retryAfterGraceMs?: number;
}

/** Everything `createSimulator` accepts; every field has a default. */
export interface SimulatorOptions {
  /** Seed of every random decision (ids, render times, outcomes, faults). @default a random seed */
  seed?: number;
  /** Time source. @default the real clock */
  clock?: SimulatorClock;
  /** Accept only this bearer key; without it any non-empty key is accepted. */
  key?: string;
  /**
   * Accept only these bearer keys (with `key`, that one too), labelled
   * `key-1`, `key-2`, ... in this order in the stats (e.g. one key per shard).
   */
  keys?: readonly string[];
  /** The model rules enforced on submit. @default DEFAULT_CATALOG */
  catalog?: Catalog;
  /** Status words. @default "upper" */
  dialect?: StatusDialect;
  /** How long a task renders, from creation to its terminal status. @default {min: 4000, max: 15000} */
  renderMs?: RenderTime;
  /** Probability that a task ends FAILED or ERROR instead of SUCCESS. @default 0 */
  failureRate?: number;
  /** Of the failing tasks, the share that end ERROR (the rest FAILED). @default 0.5 */
  errorShare?: number;
  /**
   * Probability that a succeeded task's video does not match its request:
   * half the seconds, the aspect ratio turned (16:9 gives 9:16). @default 0
   */
  mismatchRate?: number;
  /** How long a signed video URL stays valid. @default 600000 (10 minutes) */
  urlTtlMs?: number;
  /** Secret of the URL signatures. @default random per simulator */
  urlSecret?: string;
  /** Origin of the video URLs (another host). @default the origin the request came to */
  fileBaseUrl?: string;
  /** Answer a repeated `Idempotency-Key` with the task created for it. @default false */
  honourIdempotency?: boolean;
  /** The fault model. @default no faults */
  faults?: SimulatorFaults;
  /** How a rendering task reports `progress`. @default "linear" */
  progress?: ProgressMode;
  /**
   * Record a timeline per task in the stats (`SimulatorStats.timeline`):
   * creation, terminal time, GETs and the first GET that saw it terminal.
   * A fixed-size record per task, so memory grows with tasks, not with
   * polls. @default false
   */
  recordTimeline?: boolean;
  /**
   * Serve every video padded to this many bytes (a valid MP4: the clip, then
   * a `free` box), generated while it streams, never held in memory. Its
   * SHA-256 is not computed (`servedSha256` stays empty for it). For
   * download benchmarks. @default the clip's own size (a few KB)
   */
  videoBytes?: number;
}

/**
 * Defaults of `createSimulator` and `simulate`, used for every option left
 * out: renders of a few seconds, no faults.
 */
export const DEFAULT_SIMULATOR_OPTIONS = {
  dialect: "upper",
  renderMs: { min: 4000, max: 15000 },
  failureRate: 0,
  errorShare: 0.5,
  urlTtlMs: 10 * 60 * 1000,
  honourIdempotency: false,
} as const satisfies SimulatorOptions;

/** Fast defaults for `run --simulate` and the demo: renders of 0.3 to 1.5 s, URLs valid a minute. */
export const FAST_DEMO_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  dialect: "upper",
  renderMs: Object.freeze({ min: 300, max: 1500 }),
  failureRate: 0,
  urlTtlMs: 60 * 1000,
  honourIdempotency: false,
});
