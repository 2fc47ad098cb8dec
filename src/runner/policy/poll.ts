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

/** A progress value a poll saw first, and when. */
export interface ProgressSighting {
  /** When the poll saw it, in clock milliseconds. */
  at: number;
  /** The progress, 0..100. */
  progress: number;
}

/** What this run has seen of one task so far. */
export interface PollHistory {
  /** When this run began waiting for the task, in clock milliseconds. */
  startedAt: number;
  /** Answers received (successful polls). */
  polls: number;
  /** Failed polls in a row. */
  failures: number;
  /** The last status journaled (by this run, or by an earlier one for a task it created). */
  lastStatus?: TaskStatus;
  /** Whether a status word this program does not know was reported already. */
  unknownWordReported?: boolean;
  /** When the task was created, in clock milliseconds (its age's origin; adaptive polling). */
  createdAt?: number;
  /**
   * The shortest render this batch has seen for the task's kind, ms
   * (adaptive polling); absent without evidence.
   */
  shortestRenderMs?: number;
  /**
   * How much the renders of the task's kind vary, ms (the 10th to the 90th
   * percentile of the recent ones; adaptive polling); absent with too few seen.
   */
  renderSpreadMs?: number;
  /**
   * The share of the kind's recent tasks whose first poll already saw them
   * ended (adaptive polling); absent with too few.
   */
  endedAtFirstPollShare?: number;
  /**
   * Whether the service reported a moving progress for any task of this run
   * (adaptive polling): then the first answer for a task gives its ETA.
   */
  progressReported?: boolean;
  /**
   * The first and the last progress value seen to move (each when first
   * seen), oldest first (adaptive polling): the ETA is read from their slope.
   */
  progress?: ProgressSighting[];
}

/** `run --polling`: on a fixed jittered interval, or when a task is likely done. */
export type PollingMode = "fixed" | "adaptive";

/** Poll timing: the mean interval and the jitter source. */
export interface PollTiming {
  /** Mean time between polls of one task. */
  pollIntervalMs: number;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** How polls are timed. @default "fixed" */
  polling?: PollingMode;
}

/**
 * The shortest wait between two polls of a task that adaptive polling
 * chooses, as a share of the interval: an ETA never makes it poll faster.
 */
export const MIN_POLL_GAP_SHARE = 0.1;

/**
 * Renders of a kind vary when their spread (10th to 90th percentile) is
 * more than this many intervals; below, their differences may be the
 * detection lag of a loaded machine rather than the renders'.
 */
export const VARIED_RENDERS_INTERVALS = 2;

/**
 * When more than this share of a kind's recent tasks were seen ended at
 * their first poll, the first poll comes before the shortest render seen
 * again (up to a quarter interval early), so the shorter renders are seen.
 */
export const ENDED_AT_FIRST_POLL_SHARE = 0.2;

/**
 * An ETA that passed less than this share of the interval ago still times
 * the next poll (at {@linkcode MIN_POLL_GAP_SHARE}); one overdue longer is
 * as no ETA.
 */
export const OVERDUE_SHARE = 0.25;

/**
 * The wait before the next poll of a task.
 *
 * Fixed polling (and adaptive polling with no evidence: no render of the
 * task's kind seen, no progress that moved): the interval jittered to
 * 75..125 % so polls never line up.
 *
 * Adaptive polling, with evidence. The guarantee: once the task is older than
 * the shortest render seen for its kind (`history.shortestRenderMs`; without
 * one, from its creation), it is polled at least every interval; so its first
 * poll comes by the time it is that shortest render plus an interval old.
 * - When its progress moved, its slope gives an ETA: the poll lands on it when
 *   the guarantee allows; otherwise the polls up to it are spread evenly from
 *   the shortest render seen on, at most an interval apart, the last on it.
 *   An ETA passed less than {@linkcode OVERDUE_SHARE} of an interval ago is
 *   polled at once (at the floor below); one overdue longer counts as none.
 * - Without an ETA, a task younger than the shortest render seen is first
 *   polled when it reaches that age, up to a quarter interval early (so a
 *   render shorter than any seen yet can be seen, and the shortest learnt);
 *   when the kind's renders vary by more than
 *   {@linkcode VARIED_RENDERS_INTERVALS} intervals (`history.renderSpreadMs`)
 *   and the service reports progress, from a quarter interval before that
 *   age to half an interval after it (the answer gives the ETA, from which
 *   the next polls are spread: a later first poll spares a poll the ETA does
 *   not need; a poll after that age sees the tasks that ended before it late,
 *   and does not teach a shorter render) unless more than
 *   {@linkcode ENDED_AT_FIRST_POLL_SHARE} of the kind's recent tasks were
 *   seen ended at their first poll (`history.endedAtFirstPollShare`): then
 *   the shortest render seen is too long, and the first poll comes before it.
 * - Without an ETA past that: every 75..100 % of an interval when the
 *   service reports progress, every 70..90 % when it does not (no ETA will
 *   come: the end is seen within 0.9 interval).
 * - Never sooner than {@linkcode MIN_POLL_GAP_SHARE} of the interval.
 *
 * @param history What the run has seen of the task.
 * @param now The current time, in clock milliseconds.
 * @param options The interval, the jitter source and the polling mode.
 * @returns The delay in milliseconds.
 */
export function nextPollDelay(history: PollHistory, now: number, options: PollTiming): number {
  const interval = options.pollIntervalMs;
  const random = options.random();
  const fixed = interval * (0.75 + random * 0.5);
  if (options.polling !== "adaptive" || history.createdAt === undefined) return fixed;
  const shortest = history.shortestRenderMs;
  // An ETA passed a moment ago (while the answer was being journaled, or a
  // render a little slower than its slope) is polled again at once; one long
  // overdue (a task at 99 % that is not done) is as no ETA.
  const progressDone = progressEta(history);
  const eta = progressDone !== undefined && now - progressDone < interval * OVERDUE_SHARE
    ? progressDone
    : undefined;
  if (shortest === undefined && eta === undefined) return fixed;
  const floor = interval * MIN_POLL_GAP_SHARE;
  const age = now - history.createdAt;
  // Until the task is as old as the shortest render seen: the guarantee starts then.
  const untilShortest = shortest === undefined ? 0 : Math.max(0, shortest - age);
  if (eta === undefined) {
    const varied = (history.renderSpreadMs ?? 0) > interval * VARIED_RENDERS_INTERVALS;
    const seenLate = (history.endedAtFirstPollShare ?? 0) > ENDED_AT_FIRST_POLL_SHARE;
    if (untilShortest > 0 && varied && history.progressReported && !seenLate) {
      return Math.max(floor, untilShortest + interval * (-0.25 + random * 0.75));
    }
    if (untilShortest > interval) return untilShortest - random * interval * 0.25;
    return history.progressReported
      ? interval * (0.75 + random * 0.25)
      : interval * (0.7 + random * 0.2);
  }
  const target = eta - now;
  // The latest the next poll may come: the guarantee.
  if (target <= untilShortest + interval) return Math.max(floor, target);
  // Polls evenly spread from the shortest render seen up to the ETA, at most an interval apart.
  const rest = target - untilShortest;
  return Math.max(floor, untilShortest + rest / Math.ceil(rest / interval));
}

/**
 * When the task's progress reaches 100 at the slope it moved at: from the
 * task's creation (progress 0) to the last value seen to move, and between
 * the first and the last value seen, whichever ETA is later. `undefined`
 * without a moving progress (or one at 100 % while the task is not done).
 */
function progressEta(history: PollHistory): number | undefined {
  const seen = history.progress ?? [];
  const last = seen.at(-1);
  if (last === undefined || last.progress <= 0 || last.progress >= 100) return undefined;
  const etaFrom = (first: ProgressSighting): number | undefined => {
    if (last.at <= first.at || last.progress <= first.progress) return undefined;
    const rate = (last.progress - first.progress) / (last.at - first.at);
    return last.at + (100 - last.progress) / rate;
  };
  // Progress is reported rounded down, so from creation the ETA errs late (by
  // less than one percent of the render), and between two sightings either
  // way: the later of the two, since a poll too early is a GET wasted.
  const fromCreation = history.createdAt === undefined
    ? undefined
    : etaFrom({ at: history.createdAt, progress: 0 });
  const fromSightings = seen.length > 1 ? etaFrom(seen[0]) : undefined;
  const etas = [fromCreation, fromSightings].filter((eta) => eta !== undefined);
  if (etas.length === 0) return undefined;
  return Math.max(...etas);
}

/**
 * The history after an answer's progress: the first value seen to move is
 * kept, and the latest one higher than every earlier one (each with the time
 * it was first seen).
 *
 * @param seen The sightings so far, oldest first.
 * @param progress The answer's progress, if any.
 * @param at When the answer came, in clock milliseconds.
 * @returns The first and the last sighting.
 */
export function sightProgress(
  seen: readonly ProgressSighting[] | undefined,
  progress: number | undefined,
  at: number,
): ProgressSighting[] {
  const kept = [...(seen ?? [])];
  if (progress === undefined || !Number.isFinite(progress) || progress <= 0) return kept;
  const last = kept.at(-1);
  if (last !== undefined && progress <= last.progress) return kept;
  return kept.length === 0 ? [{ at, progress }] : [kept[0], { at, progress }];
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
 * @param lastStatus The status journaled last for the task.
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
