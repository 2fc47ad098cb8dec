/**
 * What a run should do for each job, decided from the validated jobs and the
 * journal's states. Pure: no I/O, keys come from an injected generator.
 *
 * @module
 */
import type { Job } from "./manifest/job.ts";
import type { JobError, JobState } from "./journal/events.ts";

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
  }
  | { kind: "download"; job: Job; task: string }
  | { kind: "skip"; job: Job; reason: SkipReason; error?: JobError };

/** Choices the user made on the command line. */
export interface PlanOptions {
  /** `--retry-failed`: failed (and changed) jobs get a new attempt. */
  retryFailed: boolean;
  /** `--resubmit-uncertain`: uncertain jobs are resubmitted once with their key. */
  resubmitUncertain: boolean;
  /** Makes a fresh idempotency key. */
  newKey: () => string;
}

/**
 * Decide what to do with every job.
 *
 * A job whose journal fingerprint differs from its current one was edited
 * after it was submitted: its old task or video is never used for it, and it
 * is not submitted again unless the user asks (`--retry-failed`), because a
 * new submission is a new bill.
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

function planJob(job: Job, state: JobState | undefined, options: PlanOptions): JobAction {
  const fresh = (reason: SubmitReason): JobAction => ({
    kind: "submit",
    job,
    key: options.newKey(),
    newSubmission: true,
    reason,
  });
  if (state === undefined || (state.phase === "pending" && state.openKey === undefined)) {
    return fresh("new");
  }
  if (state.fingerprint !== undefined && state.fingerprint !== job.fingerprint) {
    // Edited since submission: a pending submission that created nothing can
    // simply be replaced; anything else needs the user's explicit choice.
    if (state.phase === "pending") return fresh("new");
    if (options.retryFailed) return fresh("changed");
    return { kind: "skip", job, reason: "changed", error: changedError(job, state) };
  }
  switch (state.phase) {
    case "pending":
      return {
        kind: "submit",
        job,
        key: state.openKey ?? options.newKey(),
        newSubmission: state.openKey === undefined,
        reason: "not_created",
      };
    case "uncertain":
      if (options.resubmitUncertain && state.openKey !== undefined) {
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
        task: state.task!,
        createdAt: state.createdAt ?? state.submittedAt,
      };
    case "succeeded":
      return { kind: "download", job, task: state.task! };
    case "done":
      return { kind: "skip", job, reason: "done" };
    case "failed":
      if (!options.retryFailed) return { kind: "skip", job, reason: "failed", error: state.error };
      // A download that failed keeps its task: fetch a fresh URL rather than paying again.
      if (state.failure === "download" && state.task !== undefined) {
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
      `its old result is not used. Run with --retry-failed to render the new version`,
  };
}
