/**
 * What a submission does after each answer of the service: which event is
 * journaled, and what comes next (poll the task, retry with the same key,
 * pause every submission, stop the run, or give up and keep the work for the
 * next run). Pure: time and jitter come in as inputs.
 *
 * @module
 */
import type { JobError } from "../../domain/job_error.ts";
import type { SubmitOutcome } from "../../api/client.ts";
import type { ApiError } from "../../errors.ts";
import type { JournalEventBody } from "../journal_guard.ts";
import { backoff, type RetryTiming } from "./timing.ts";

/**
 * The event that stands for a send that never happened (the submitting event
 * could not be made durable, or the run stopped before the POST).
 *
 * @param key The submission's idempotency key.
 * @param send The 1-based number of this send.
 * @param reason Why the job is submitted (the plan's reason).
 * @param why What kept the POST from being sent.
 * @returns A `not_created` event; `null` for the first send of an uncertain
 *   resubmission, which keeps its uncertainty (a task may exist from before).
 */
export function notSentEvent(
  key: string,
  send: number,
  reason: string,
  why: string,
): JournalEventBody | null {
  if (send === 1 && reason === "resubmit_uncertain") return null;
  return { type: "not_created", key, status: 0, message: `Nothing was sent: ${why}` };
}

/**
 * The event that journals a submit's answer.
 *
 * @param outcome The answer.
 * @param key The submission's idempotency key.
 * @returns `submitted`, `outcome_unknown`, `rejected` or `not_created`.
 */
export function submitEvent(outcome: SubmitOutcome, key: string): JournalEventBody {
  if (outcome.kind === "created") return { type: "submitted", key, task: outcome.task.id };
  const error = outcome.error;
  if (outcome.kind === "unknown") return { type: "outcome_unknown", key, message: error.message };
  if (outcome.kind === "rejected") {
    return { type: "rejected", key, status: error.status, error: rejectionError(error) };
  }
  return { type: "not_created", key, status: error.status, message: error.message };
}

/** What a submission does once its answer is journaled. */
export type SubmitNext =
  /** A task was created: poll it, young from `createdAtMs`. */
  | { kind: "track"; taskId: string; createdAtMs: number }
  /** A task may exist: the job is uncertain, nothing more is sent. */
  | { kind: "uncertain"; message: string }
  /** The service refused the job: it failed. */
  | { kind: "rejected"; error: JobError }
  /** The key was refused: the whole run stops. */
  | { kind: "stop_run" }
  /** Enough sends created nothing: the job stays pending for the next run. */
  | { kind: "defer"; message: string }
  /**
   * Send again with the same key after `delayMs`; after a 429 every
   * submission of the run waits until `pauseSubmitsUntil`.
   */
  | { kind: "retry"; delayMs: number; attempt: number; reason: string; pauseSubmitsUntil?: number };

/** What {@linkcode afterSubmit} weighs beside the answer. */
export interface SubmitContext {
  /** The 1-based number of the send that got this answer. */
  send: number;
  /** Sends that created nothing before the run gives up on the job. */
  maxSends: number;
  /** One pass only (`--once`): give up after three sends unless throttled. */
  once: boolean;
  /** When the answer came (before it was journaled), in clock milliseconds: a task's age counts from it. */
  now: number;
  /** Backoff and jitter of the retry. */
  timing: RetryTiming;
}

/**
 * How long every submission of the run must wait after a 429, known the
 * moment the answer arrives (before it is journaled, and without jitter):
 * the service's `Retry-After`, else the backoff's base. {@linkcode afterSubmit}
 * may extend it once the answer is journaled.
 *
 * @param outcome The answer.
 * @param now The current time, in clock milliseconds.
 * @param baseMs The backoff's base delay.
 * @returns Until when to pause, or undefined when the answer is not a 429.
 */
export function throttledUntil(
  outcome: SubmitOutcome,
  now: number,
  baseMs: number,
): number | undefined {
  if (outcome.kind === "created" || outcome.error.status !== 429) return undefined;
  return now + (outcome.error.retryAfterMs ?? baseMs);
}

/**
 * What comes after a submit's answer (called once the answer is journaled).
 *
 * @param outcome The answer.
 * @param context The send count, bounds, time and timing.
 * @returns What the submission does next.
 */
export function afterSubmit(outcome: SubmitOutcome, context: SubmitContext): SubmitNext {
  if (outcome.kind === "created") {
    // The task is young from whichever is later: the service's clock or ours.
    const createdAtMs = Math.max(context.now, (outcome.task.createdAt ?? 0) * 1000);
    return { kind: "track", taskId: outcome.task.id, createdAtMs };
  }
  const error = outcome.error;
  if (outcome.kind === "unknown") return { kind: "uncertain", message: error.message };
  if (outcome.kind === "rejected") return { kind: "rejected", error: rejectionError(error) };
  if (error.status === 401) return { kind: "stop_run" };
  const { send } = context;
  if (send >= context.maxSends || context.once && error.status !== 429 && send >= 3) {
    return {
      kind: "defer",
      message: `${send} sends created nothing (last: ${error.message}); the next run tries again`,
    };
  }
  const delayMs = backoff(send, context.timing, error.retryAfterMs);
  return {
    kind: "retry",
    delayMs,
    attempt: send,
    reason: error.message,
    ...(error.status === 429 ? { pauseSubmitsUntil: context.now + delayMs } : {}),
  };
}

function rejectionError(error: ApiError): JobError {
  return { code: error.serviceCode ?? `http_${error.status}`, message: error.message };
}
