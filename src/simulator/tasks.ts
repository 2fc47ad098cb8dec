/**
 * A simulated task and what the service says about it at a given time
 * (pure). A task is queued for the first fifth of its render time, then
 * renders with `progress` rising, then reaches the outcome drawn when it was
 * created.
 *
 * @module
 */
import type { ProgressMode, StatusDialect } from "./options.ts";

/** How a task ends. */
export type TaskOutcome = "success" | "failed" | "error";

/** Where a task is at some moment. */
export type TaskPhase = "submitted" | "in_progress" | TaskOutcome;

/** One task the simulator created. */
export interface Task {
  /** The task id (`task_...`). */
  id: string;
  /** The model it renders with. */
  model: string;
  /** Whole seconds. */
  seconds: number;
  /** Aspect ratio word. */
  size: string;
  /** Resolution word. */
  resolution: string;
  /** Label of the key that created it. */
  keyLabel: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Render time in ms; the task is terminal from `createdAt + renderMs`. */
  renderMs: number;
  /** The outcome it will reach. */
  outcome: TaskOutcome;
  /** Its video will not match the request (see `SimulatorOptions.mismatchRate`). */
  mismatched: boolean;
}

const WORDS: Record<StatusDialect, Record<TaskPhase, string>> = {
  upper: {
    submitted: "SUBMITTED",
    in_progress: "IN_PROGRESS",
    success: "SUCCESS",
    failed: "FAILED",
    error: "ERROR",
  },
  lower: {
    submitted: "queued",
    in_progress: "in_progress",
    success: "completed",
    failed: "failed",
    error: "error",
  },
};

/** The error a failed task reports, per outcome. */
const FAILURES: Record<"failed" | "error", { code: string; message: string }> = {
  failed: {
    code: "OutputVideoSensitiveContentDetected",
    message: "The request failed because the output video may contain sensitive information",
  },
  error: {
    code: "InternalServiceError",
    message: "The service encountered an unexpected internal error while rendering",
  },
};

/** The step of `coarse` progress, in percent. */
export const COARSE_PROGRESS_STEP = 25;

/**
 * The phase and progress of a task at `now`.
 *
 * Progress while rendering depends on `mode`: `linear` rises with the time
 * rendered (1..99), `coarse` is that value rounded down to a multiple of
 * {@linkcode COARSE_PROGRESS_STEP} (0, 25, 50, 75), `none` stays 0. Every
 * mode says 0 while queued and 100 once terminal.
 *
 * @param task The task.
 * @param now Milliseconds since the epoch.
 * @param mode How progress is reported. @default "linear"
 * @returns Phase and progress (0..100).
 */
export function taskPhase(
  task: Task,
  now: number,
  mode: ProgressMode = "linear",
): { phase: TaskPhase; progress: number } {
  const elapsed = now - task.createdAt;
  if (elapsed >= task.renderMs) return { phase: task.outcome, progress: 100 };
  if (elapsed < task.renderMs / 5) return { phase: "submitted", progress: 0 };
  const linear = Math.min(99, Math.max(1, Math.floor((100 * elapsed) / task.renderMs)));
  const progress = mode === "linear"
    ? linear
    : mode === "coarse"
    ? linear - (linear % COARSE_PROGRESS_STEP)
    : 0;
  return { phase: "in_progress", progress };
}

/**
 * Whether a phase is terminal (the task will not change again).
 *
 * @param phase The phase.
 * @returns True for `success`, `failed` and `error`.
 */
export function isTerminalPhase(phase: TaskPhase): boolean {
  return phase === "success" || phase === "failed" || phase === "error";
}

/**
 * Whether a task is in flight (created and not yet terminal) at `now`.
 *
 * @param task The task.
 * @param now Milliseconds since the epoch.
 * @returns True while it renders.
 */
export function inFlight(task: Task, now: number): boolean {
  return now < task.createdAt + task.renderMs;
}

/** The word the service sends for a phase in a dialect. */
function statusWord(phase: TaskPhase, dialect: StatusDialect): string {
  return WORDS[dialect][phase];
}

/**
 * The answer to a successful submit.
 *
 * @param task The task created (or replayed).
 * @param now Milliseconds since the epoch.
 * @param dialect The dialect.
 * @param mode How progress is reported. @default "linear"
 * @returns The JSON body.
 */
export function createdBody(
  task: Task,
  now: number,
  dialect: StatusDialect,
  mode: ProgressMode = "linear",
): object {
  const { phase, progress } = taskPhase(task, now, mode);
  return {
    id: task.id,
    task_id: task.id,
    object: "video",
    model: task.model,
    status: statusWord(phase, dialect),
    progress,
    created_at: Math.floor(task.createdAt / 1000),
  };
}

/**
 * The answer to `GET /v1/videos/{id}`.
 *
 * @param task The task.
 * @param now Milliseconds since the epoch.
 * @param dialect The dialect.
 * @param videoUrl The signed URL, for a succeeded task.
 * @param mode How progress is reported. @default "linear"
 * @returns The JSON body: `video_url` only on success, `error` only on failure.
 */
export function taskBody(
  task: Task,
  now: number,
  dialect: StatusDialect,
  videoUrl?: string,
  mode: ProgressMode = "linear",
): object {
  const { phase, progress } = taskPhase(task, now, mode);
  const terminal = isTerminalPhase(phase);
  return {
    id: task.id,
    model: task.model,
    object: "video",
    status: statusWord(phase, dialect),
    progress,
    created_at: Math.floor(task.createdAt / 1000),
    completed_at: terminal ? Math.floor((task.createdAt + task.renderMs) / 1000) : null,
    seconds: String(task.seconds),
    size: task.size,
    resolution: task.resolution,
    ...(phase === "success" && videoUrl !== undefined ? { video_url: videoUrl } : {}),
    ...(phase === "failed" || phase === "error" ? { error: FAILURES[phase] } : {}),
  };
}
