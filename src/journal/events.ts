/**
 * The checkpoint journal's events (`<out>/state.jsonl`, one JSON object a
 * line) and the per-job state replay derives from them. The journal is the
 * truth: every event is durable before the tool acts on it.
 *
 * @module
 */

/** An error as kept in the journal and the report. */
export interface JobError {
  code: string;
  message: string;
}

/** A task status normalised from either of the service's dialects. */
export type TaskStatus = "queued" | "in_progress" | "succeeded" | "failed" | "error" | "unknown";

/** A run started (informational; helps reading the journal). */
export interface RunStartedEvent {
  type: "run_started";
  at: string;
  pid: number;
  host: string;
  version: string;
}

/** Written (and made durable) before every POST of a submission. */
export interface SubmittingEvent {
  type: "submitting";
  at: string;
  job: string;
  fingerprint: string;
  /** The `Idempotency-Key` of this submission; the same for every send until its outcome is known. */
  key: string;
}

/** The service answered that no task was created (408/409/425/429/503, or refused before sending). */
export interface NotCreatedEvent {
  type: "not_created";
  at: string;
  job: string;
  key: string;
  status: number;
  message: string;
}

/** The service created task `task` for the submission. */
export interface SubmittedEvent {
  type: "submitted";
  at: string;
  job: string;
  key: string;
  task: string;
}

/** The service rejected the submission (4xx, or 500 with `invalid_request`). */
export interface RejectedEvent {
  type: "rejected";
  at: string;
  job: string;
  key: string;
  status: number;
  error: JobError;
}

/** The submission's outcome is unknown: a task may exist and be billed. */
export interface UnknownOutcomeEvent {
  type: "outcome_unknown";
  at: string;
  job: string;
  key: string;
  message: string;
}

/** A poll saw a new status for the task. */
export interface StatusEvent {
  type: "status";
  at: string;
  job: string;
  task: string;
  status: TaskStatus;
  progress?: number;
}

/** The task ended FAILED or ERROR. */
export interface TaskFailedEvent {
  type: "task_failed";
  at: string;
  job: string;
  task: string;
  error: JobError;
}

/** The task succeeded; its video is not downloaded yet. */
export interface TaskSucceededEvent {
  type: "task_succeeded";
  at: string;
  job: string;
  task: string;
}

/** The video is complete under its final name. */
export interface DownloadedEvent {
  type: "downloaded";
  at: string;
  job: string;
  task: string;
  /** Path relative to the output folder. */
  output: string;
  bytes: number;
  sha256: string;
}

/** The video could not be downloaded and its URL could not be renewed. */
export interface DownloadFailedEvent {
  type: "download_failed";
  at: string;
  job: string;
  task: string;
  error: JobError;
}

/** Every event the journal holds. */
export type JournalEvent =
  | RunStartedEvent
  | SubmittingEvent
  | NotCreatedEvent
  | SubmittedEvent
  | RejectedEvent
  | UnknownOutcomeEvent
  | StatusEvent
  | TaskFailedEvent
  | TaskSucceededEvent
  | DownloadedEvent
  | DownloadFailedEvent;

/**
 * Where a job stands according to the journal.
 * - `pending`: never submitted, or the last submission was known not to create a task
 * - `uncertain`: a submission was sent (or may have been) and its outcome is unknown
 * - `running`: a task exists and is not terminal
 * - `succeeded`: the task succeeded and the video is not downloaded yet
 * - `done`: the video is downloaded
 * - `failed`: rejected, task FAILED/ERROR, or download failed
 */
export type JobPhase = "pending" | "uncertain" | "running" | "succeeded" | "done" | "failed";

/** The replayed state of one job id. */
export interface JobState {
  job: string;
  phase: JobPhase;
  /** Fingerprint of the latest submission (what was sent). */
  fingerprint?: string;
  /**
   * Idempotency key to use for the next send: set while the latest
   * submission's outcome is not known (pending after `not_created`, or
   * uncertain), cleared once a task exists or the job is rejected.
   */
  openKey?: string;
  /** Distinct submissions (idempotency keys) made for this job. */
  attempts: number;
  task?: string;
  /** Last normalised status seen by a poll. */
  status?: TaskStatus;
  progress?: number;
  /** When the latest submission was (first) sent. */
  submittedAt?: string;
  /** When the task reached a terminal status. */
  completedAt?: string;
  downloadedAt?: string;
  output?: string;
  bytes?: number;
  sha256?: string;
  error?: JobError;
  /** Why the job failed: the submission was rejected, the task failed, or its download. */
  failure?: "rejected" | "task" | "download";
}
