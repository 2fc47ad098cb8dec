/**
 * What the simulator saw, as counters a test can read: in-process through
 * `stats()` and over HTTP at `GET /_simulator/stats`. Keys are never recorded:
 * each distinct bearer key gets a label (`key-1`, `key-2`, ...) instead.
 *
 * @module
 */

/** The kinds of request the simulator counts. */
export type RequestKind = "submit" | "poll" | "download" | "other";

/** One reference image as received. */
export interface ReceivedImage {
  /** The part's file name. */
  filename: string;
  /** The part's declared content type. */
  contentType: string;
  /** Its length in bytes. */
  bytes: number;
  /** Hex SHA-256 of its bytes. */
  sha256: string;
}

/** One POST /v1/videos as received (after the key was accepted). */
export interface ReceivedSubmission {
  /** Fields as sent; `null` when absent. */
  prompt: string | null;
  /** Model as sent. */
  model: string | null;
  /** Seconds as sent (text). */
  seconds: string | null;
  /** Size as sent. */
  size: string | null;
  /** Resolution as sent. */
  resolution: string | null;
  /** Every `input_reference` part, in order. */
  images: ReceivedImage[];
  /** The label of the key that sent it (never the key). */
  key: string;
  /** The `Idempotency-Key` header, if any. */
  idempotencyKey: string | null;
  /**
   * What became of it: `created`, `replayed` (an honoured idempotency key),
   * `rejected` (400), `capped` (429 over the in-flight cap) or the fault's name.
   */
  outcome: string;
  /** The task it created or replayed, if any. */
  taskId: string | null;
}

/** What happened to one task, in ms of the simulator's clock (`recordTimeline`). */
export interface TaskTimeline {
  /** When the task was created. */
  createdAt: number;
  /** When it became terminal (`createdAt + renderMs`). */
  terminalAt: number;
  /** Its render time. */
  renderMs: number;
  /** GETs of it, answered or faulted. */
  polls: number;
  /** GETs answered before it was terminal. */
  pollsBeforeTerminal: number;
  /** The first GET of it; null until one came. */
  firstPollAt: number | null;
  /** The last GET of it; null until one came. */
  lastPollAt: number | null;
  /**
   * The longest wait between two consecutive GETs of it, or from its creation
   * to the first (what a polling policy's "at least every interval" promise
   * is judged by).
   */
  maxPollGapMs: number;
  /** The first GET whose answer said terminal; null until one did. */
  terminalSeenAt: number | null;
  /** The first request for its video; null until one came. */
  downloadAt: number | null;
}

/** Everything the simulator counted since it started. */
export interface SimulatorStats {
  /** Requests by kind (the stats path itself is not counted). */
  requests: Record<RequestKind, number>;
  /** Tasks created. */
  tasksCreated: number;
  /** Tasks created per prompt text. */
  tasksCreatedByPrompt: Record<string, number>;
  /** Most tasks in flight at once (created and not yet terminal), overall. */
  maxTasksInFlight: number;
  /** Most tasks in flight at once, per key label. */
  maxTasksInFlightByKey: Record<string, number>;
  /** GETs of each task (including those answered with a fault). */
  pollsByTask: Record<string, number>;
  /** Requests for video files (signed URLs and the `/content` route). */
  downloads: number;
  /** Signed-URL downloads that carried an `Authorization` header (a good client keeps this 0). */
  downloadsWithAuthorization: number;
  /** POSTs per `Idempotency-Key` value. */
  postsByIdempotencyKey: Record<string, number>;
  /** POSTs that carried no `Idempotency-Key`. */
  postsWithoutIdempotencyKey: number;
  /** Every submission received, in order. */
  submissions: ReceivedSubmission[];
  /** Hex SHA-256 of the file served for each succeeded task. */
  servedSha256: Record<string, string>;
  /** How often each fault was injected, by name. */
  faults: Record<string, number>;
  /**
   * Requests that came back before the `Retry-After` of a 429 had passed: a
   * submit after a submit's 429 (same key), a poll after that task's poll 429.
   */
  retryAfterViolations: number;
  /** Per task id, what happened to it; empty unless `recordTimeline` is on. */
  timeline: Record<string, TaskTimeline>;
}

/** An empty record. */
export function emptyStats(): SimulatorStats {
  return {
    requests: { submit: 0, poll: 0, download: 0, other: 0 },
    tasksCreated: 0,
    tasksCreatedByPrompt: record(),
    maxTasksInFlight: 0,
    maxTasksInFlightByKey: record(),
    pollsByTask: record(),
    downloads: 0,
    downloadsWithAuthorization: 0,
    postsByIdempotencyKey: record(),
    postsWithoutIdempotencyKey: 0,
    submissions: [],
    servedSha256: record(),
    faults: record(),
    retryAfterViolations: 0,
    timeline: record(),
  };
}

/** A record without a prototype, so keys sent by clients (`__proto__`) stay plain keys. */
function record<T>(): Record<string, T> {
  return Object.create(null);
}

/**
 * Add one to a counter in a record.
 *
 * @param counts The record.
 * @param name The counter.
 */
export function increment(counts: Record<string, number>, name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}

/**
 * A deep copy, so a caller can keep a snapshot while the simulator runs on.
 *
 * @param stats The live record.
 * @returns A snapshot.
 */
export function snapshotStats(stats: SimulatorStats): SimulatorStats {
  return JSON.parse(JSON.stringify(stats));
}
