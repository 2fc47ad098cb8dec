/**
 * What a run should do for each job, decided from the validated jobs and the
 * journal's states. Pure: no I/O, keys come from an injected generator.
 *
 * @module
 */
import type { TaskStatus } from "./domain/task_status.ts";
import type { Job } from "./manifest/job.ts";
import type { JobError } from "./domain/job_error.ts";
import type { JobState } from "./journal/events.ts";

/** Why a job is submitted. */
export type SubmitReason =
  | "new"
  | "not_created"
  | "retry_failed"
  | "resubmit_uncertain"
  | "changed";

/** Why a job gets no work in this run. */
export type SkipReason = "done" | "failed" | "uncertain" | "changed";

/** One job's action. */
export type JobAction =
  | {
    kind: "submit";
    job: Job;
    /** The `Idempotency-Key` to send. */
    key: string;
    /** Whether `key` is a new submission (counts as an attempt) or continues one. */
    newSubmission: boolean;
    reason: SubmitReason;
  }
  | {
    kind: "poll";
    job: Job;
    task: string;
    /** When the task was created, as far as the journal knows. */
    createdAt?: string;
    /** The task's status as last journaled, if a poll saw one. */
    status?: TaskStatus;
  }
  | { kind: "download"; job: Job; task: string }
  | { kind: "skip"; job: Job; reason: SkipReason; error?: JobError };

/**
 * Where a job stands by the journal, as `plan`, `status` and the report count
 * it: a journal phase (a succeeded task not yet downloaded counts as
 * `running`), or `changed` when the job was edited after a submission was
 * made for it.
 */
export type Standing = "pending" | "running" | "uncertain" | "done" | "failed" | "changed";

/** A job's standing, and the journal state that applies to its current content. */
export interface JobStanding {
  /** Where the job stands. */
  standing: Standing;
  /**
   * The journal's state for the job, undefined when none applies: the job was
   * never submitted, or only a submission of its earlier content that created
   * nothing is on record.
   */
  state?: JobState;
}

/**
 * Where a job stands by the journal: the one place the "job was edited" rule lives.
 *
 * A job whose journal fingerprint differs from its current one was edited
 * after it was submitted, and is `changed`: its old task or video is never
 * its result. A pending submission of the old content created nothing, so it
 * is simply forgotten: the job is pending as if new.
 *
 * @param job The job as the manifest now says.
 * @param state The journal's state for its id, if any.
 * @returns Its standing, and the state that still applies.
 */
export function standingOf(job: Job, state: JobState | undefined): JobStanding {
  if (state === undefined) return { standing: "pending" };
  if (state.fingerprint !== undefined && state.fingerprint !== job.fingerprint) {
    return state.phase === "pending" ? { standing: "pending" } : { standing: "changed", state };
  }
  return { standing: state.phase === "succeeded" ? "running" : state.phase, state };
}

/** Choices the user made on the command line. */
export interface PlanOptions {
  /** `--retry-failed`: failed (and, for compatibility, changed) jobs get a new attempt. */
  retryFailed: boolean;
  /**
   * `--rerender-changed`: jobs edited after they were submitted get a new
   * attempt of their new version; genuinely failed jobs are left alone.
   * @default false
   */
  rerenderChanged?: boolean;
  /** `--resubmit-uncertain`: uncertain jobs are resubmitted once with their key. */
  resubmitUncertain: boolean;
  /** Makes a fresh idempotency key. */
  newKey: () => string;
}

/**
 * Decide what to do with every job.
 *
 * A job edited after it was submitted ({@linkcode standingOf}) is not
 * submitted again unless the user asks (`--rerender-changed`, or
 * `--retry-failed`, which also retries every failed job), because a new
 * submission is a new bill.
 *
 * @param jobs The valid jobs of the manifest.
 * @param states The journal's state per job id.
 * @param options The user's choices.
 * @returns One action per job, in manifest order.
 */
export function planRun(
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
  options: PlanOptions,
): JobAction[] {
  return jobs.map((job) => planJob(job, states.get(job.id), options));
}

function planJob(job: Job, journalState: JobState | undefined, options: PlanOptions): JobAction {
  const fresh = (reason: SubmitReason): JobAction => ({
    kind: "submit",
    job,
    key: options.newKey(),
    newSubmission: true,
    reason,
  });
  const { standing, state } = standingOf(job, journalState);
  if (state === undefined) return fresh("new");
  if (standing === "changed") {
    // A new submission is a new bill: only on the user's explicit choice.
    if (options.retryFailed || options.rerenderChanged === true) return fresh("changed");
    return { kind: "skip", job, reason: "changed", error: changedError(job, state) };
  }
  switch (state.phase) {
    case "pending":
      if (state.openKey === undefined) return fresh("new");
      // The send created nothing: send again under its key, as the same attempt.
      return {
        kind: "submit",
        job,
        key: state.openKey,
        newSubmission: false,
        reason: "not_created",
      };
    case "uncertain":
      if (options.resubmitUncertain) {
        return {
          kind: "submit",
          job,
          key: state.openKey,
          newSubmission: false,
          reason: "resubmit_uncertain",
        };
      }
      return { kind: "skip", job, reason: "uncertain" };
    case "running":
      return {
        kind: "poll",
        job,
        task: state.task,
        createdAt: state.createdAt,
        ...(state.status === undefined ? {} : { status: state.status }),
      };
    case "succeeded":
      return { kind: "download", job, task: state.task };
    case "done":
      return { kind: "skip", job, reason: "done" };
    case "failed":
      if (!options.retryFailed) return { kind: "skip", job, reason: "failed", error: state.error };
      // A download that failed keeps its task: fetch a fresh URL rather than paying again.
      if (state.failure === "download") {
        return { kind: "download", job, task: state.task };
      }
      return fresh("retry_failed");
  }
}

/**
 * The error a job carries while its manifest entry differs from what was submitted.
 *
 * @param job The job as the manifest now says.
 * @param state What the journal says was submitted.
 * @returns The error shown in status and the report.
 */
export function changedError(job: Job, state: JobState): JobError {
  const what = state.task ? `task ${state.task}` : "a submission";
  return {
    code: "job_changed",
    message: `Job "${job.id}" was edited after ${what} was made for it; ` +
      `its old result is not used. Run with --rerender-changed to render the new version`,
  };
}
