/**
 * What polling a task does after each answer or error, and when it polls
 * next. Pure: time and jitter come in as inputs. {@linkcode nextPollDelay}
 * is the one place poll timing is chosen, so adaptive polling can replace it.
 *
 * @module
 */
import type { JobError } from "../../domain/job_error.ts";
import type { TaskStatus } from "../../domain/task_status.ts";
import { isTerminal, type Task } from "../../api/wire.ts";
import type { ApiError } from "../../errors.ts";
import type { JournalEventBody } from "../journal_guard.ts";
import { backoff, type RetryTiming } from "./timing.ts";

/** What this run has seen of one task so far. */
export interface PollHistory {
  /** When this run began waiting for the task, in clock milliseconds. */
  startedAt: number;
  /** Answers received (successful polls). */
  polls: number;
  /** Failed polls in a row. */
  failures: number;
  /** The last status journaled by this run. */
  lastStatus?: TaskStatus;
  /** Whether a status word this program does not know was reported already. */
  unknownWordReported?: boolean;
}

/** Poll timing: the mean interval and the jitter source. */
export interface PollTiming {
  /** Mean time between polls of one task. */
  pollIntervalMs: number;
  /** Jitter source in [0, 1). */
  random: () => number;
}

/**
 * The wait before the next poll of a task: the interval jittered to
 * 75..125 % so polls never line up.
 *
 * @param _history What the run has seen of the task (unused today; adaptive
 *   polling will read it).
 * @param _now The current time, in clock milliseconds (unused today).
 * @param options The interval and the jitter source.
 * @returns The delay in milliseconds.
 */
export function nextPollDelay(_history: PollHistory, _now: number, options: PollTiming): number {
  return options.pollIntervalMs * (0.75 + options.random() * 0.5);
}

/** Whether and when a task is first polled. */
export type FirstPoll = { kind: "leave" } | { kind: "wait"; delayMs: number };

/**
 * The first poll of a task. A task this run just created is left alone by a
 * one-pass run (`--once`) and otherwise polled after one jittered interval; a
 * resumed task's first poll is spread over one interval so a restart is no
 * burst, and a one-pass run polls it at once.
 *
 * @param fresh Whether this run created the task.
 * @param once One pass only (`--once`).
 * @param history The task's (empty) history.
 * @param timing The interval and the jitter source.
 * @returns Leave the task alive, or poll it after `delayMs`.
 */
export function firstPoll(
  fresh: boolean,
  once: boolean,
  history: PollHistory,
  timing: PollTiming,
): FirstPoll {
  if (fresh && once) return { kind: "leave" };
  const delayMs = fresh
    ? nextPollDelay(history, history.startedAt, timing)
    : once
    ? 0
    : timing.random() * timing.pollIntervalMs;
  return { kind: "wait", delayMs };
}

/**
 * The `status` event a poll's answer journals: only when the status changed.
 *
 * @param taskId The polled task.
 * @param task The answer.
 * @param lastStatus The status journaled last by this run.
 * @returns The event, or `undefined` when the status is unchanged.
 */
export function statusEvent(
  taskId: string,
  task: Task,
  lastStatus?: TaskStatus,
): JournalEventBody | undefined {
  if (task.status === lastStatus) return undefined;
  return {
    type: "status",
    task: taskId,
    status: task.status,
    ...(task.progress === undefined ? {} : { progress: task.progress }),
  };
}

/**
 * Whether an answer's status word is one this program does not know and has
 * not reported for this task yet (it is reported once; the task is polled on).
 *
 * @param task The answer.
 * @param history What the run has seen of the task.
 * @returns `true` when the word is to be reported now.
 */
export function reportUnknownWord(task: Task, history: PollHistory): boolean {
  return task.status === "unknown" && !history.unknownWordReported;
}

/** Stop waiting for a task that is still alive: one pass only, or `--max-wait` reached. */
export type StopWaiting = { kind: "leave" } | { kind: "timed_out"; waitedMs: number };

/** What polling does after an answer. */
export type PollNext =
  /** The task succeeded: journal it and start the download. */
  | { kind: "succeeded"; videoUrl?: string }
  /** The task ended without a video: the job failed. */
  | { kind: "failed"; error: JobError }
  /** Poll again after `delayMs`. */
  | { kind: "wait"; delayMs: number }
  | StopWaiting;

/** What polling weighs beside the answer. */
export interface PollContext {
  /** One pass only (`--once`). */
  once: boolean;
  /** The current time, in clock milliseconds. */
  now: number;
  /** When this run stops waiting for the task (`--max-wait`; `Infinity` without). */
  deadline: number;
  /** What the run has seen of the task, this answer included. */
  history: PollHistory;
  /** The interval and the jitter source. */
  timing: PollTiming;
}

/**
 * What comes after a poll's answer (called once its status is journaled).
 *
 * @param task The answer.
 * @param context Bounds, time, history and timing.
 * @returns What polling does next.
 */
export function afterPollAnswer(task: Task, context: PollContext): PollNext {
  if (isTerminal(task.status)) {
    if (task.status === "succeeded") return { kind: "succeeded", videoUrl: task.videoUrl };
    return {
      kind: "failed",
      error: task.error ?? {
        code: `task_${task.status}`,
        message: `The task ended ${task.rawStatus} without a message`,
      },
    };
  }
  const stop = stopWaiting(context);
  if (stop !== undefined) return stop;
  const interval = nextPollDelay(context.history, context.now, context.timing);
  return { kind: "wait", delayMs: Math.min(interval, Math.max(1, context.deadline - context.now)) };
}

/** What polling does after a failed GET of the task. */
export type PollErrorNext =
  /** The key was refused: the whole run stops. */
  | { kind: "stop_run" }
  /** The service no longer knows the task (past the grace): the job failed. */
  | { kind: "failed"; error: JobError }
  /**
   * Poll again after `delayMs` (retry number `attempt`), unless `stop` says
   * the run stops waiting for the task now.
   */
  | { kind: "retry"; delayMs: number; attempt: number; reason: string; stop?: StopWaiting };

/** What polling weighs beside the error. */
export interface PollErrorContext extends PollContext {
  /** The task's id, for the message. */
  taskId: string;
  /** When the task was created, in clock milliseconds. */
  createdAtMs: number;
  /** While a task is this young, `task_not_exist` is transient. */
  taskNotExistGraceMs: number;
  /** Backoff of retries (the jitter source is `timing.random`). */
  backoff: RetryTiming["backoff"];
}

/**
 * What comes after a failed poll. `history.failures` counts the earlier
 * failures in a row, not this one.
 *
 * @param error The service's error.
 * @param context Bounds, time, history, timing and the task's age.
 * @returns What polling does next.
 */
export function afterPollError(
  error: Pick<ApiError, "status" | "serviceCode" | "message" | "retryAfterMs">,
  context: PollErrorContext,
): PollErrorNext {
  if (error.status === 401) return { kind: "stop_run" };
  const young = context.now - context.createdAtMs < context.taskNotExistGraceMs;
  if (error.serviceCode === "task_not_exist" && !young) {
    return {
      kind: "failed",
      error: {
        code: "task_not_exist",
        message: `The service does not know task ${context.taskId}: ${error.message}`,
      },
    };
  }
  const attempt = context.history.failures + 1;
  const interval = nextPollDelay(context.history, context.now, context.timing);
  const retry = backoff(
    attempt,
    { backoff: context.backoff, random: context.timing.random },
    error.retryAfterMs,
  );
  const stop = stopWaiting(context);
  return {
    kind: "retry",
    delayMs: Math.max(interval, retry),
    attempt,
    reason: error.message,
    ...(stop === undefined ? {} : { stop }),
  };
}

/** One pass only (`--once`), or waited `--max-wait` already: leave the task alive. */
function stopWaiting(context: PollContext): StopWaiting | undefined {
  if (context.once) return { kind: "leave" };
  if (context.now < context.deadline) return undefined;
  return { kind: "timed_out", waitedMs: context.now - context.history.startedAt };
}
