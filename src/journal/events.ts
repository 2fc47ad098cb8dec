/**
 * The checkpoint journal's events (`<out>/state.jsonl`, one JSON object a
 * line) and the per-job state replay derives from them. The journal is the
 * truth: every event is durable before the tool acts on it.
 *
 * @module
 */

/** An error as kept in the journal and the report. */
export interface JobError {
  /** Stable machine-readable code, e.g. `content_policy`. */
  code: string;
  /** What happened, in words a user can act on. */
  message: string;
}

/** A task status normalised from either of the service's dialects. */
export type TaskStatus = "queued" | "in_progress" | "succeeded" | "failed" | "error" | "unknown";

/** A run started (informational; helps reading the journal). */
export interface RunStartedEvent {
  /** The event's kind. */
  type: "run_started";
  /** When it happened (ISO 8601). */
  at: string;
  /** The process id of the run. */
  pid: number;
  /** The host the run is on. */
  host: string;
  /** The tool's version. */
  version: string;
}

/** Written (and made durable) before every POST of a submission. */
export interface SubmittingEvent {
  /** The event's kind. */
  type: "submitting";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** Fingerprint of what is sent. */
  fingerprint: string;
  /** The `Idempotency-Key` of this submission; the same for every send until its outcome is known. */
  key: string;
}

/**
 * No task was created: the service answered 408, 409, 425, 429 or 503, or
 * 401 (the key, not the job, is at fault), or the connection was refused
 * before anything was sent (status 0).
 */
export interface NotCreatedEvent {
  /** The event's kind. */
  type: "not_created";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The submission's `Idempotency-Key`. */
  key: string;
  /** The HTTP status of the answer; 0 when nothing was sent. */
  status: number;
  /** What happened, in words a user can act on. */
  message: string;
}

/** The service created task `task` for the submission. */
export interface SubmittedEvent {
  /** The event's kind. */
  type: "submitted";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The submission's `Idempotency-Key`. */
  key: string;
  /** The service's task id. */
  task: string;
}

/** The service rejected the submission (4xx, or 500 with `invalid_request`). */
export interface RejectedEvent {
  /** The event's kind. */
  type: "rejected";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The submission's `Idempotency-Key`. */
  key: string;
  /** The HTTP status of the answer. */
  status: number;
  /** What went wrong. */
  error: JobError;
}

/** The submission's outcome is unknown: a task may exist and be billed. */
export interface UnknownOutcomeEvent {
  /** The event's kind. */
  type: "outcome_unknown";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The submission's `Idempotency-Key`. */
  key: string;
  /** What happened, in words a user can act on. */
  message: string;
}

/** A poll saw a new status for the task. */
export interface StatusEvent {
  /** The event's kind. */
  type: "status";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** The status the poll saw. */
  status: TaskStatus;
  /** The progress the service reported, 0..100. */
  progress?: number;
}

/** The task ended FAILED or ERROR. */
export interface TaskFailedEvent {
  /** The event's kind. */
  type: "task_failed";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** What went wrong. */
  error: JobError;
}

/** The task succeeded; its video is not downloaded yet. */
export interface TaskSucceededEvent {
  /** The event's kind. */
  type: "task_succeeded";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
}

/** The video is complete under its final name. */
export interface DownloadedEvent {
  /** The event's kind. */
  type: "downloaded";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** Path relative to the output folder. */
  output: string;
  /** The video's size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the video file. */
  sha256: string;
}

/** The video could not be downloaded and its URL could not be renewed. */
export interface DownloadFailedEvent {
  /** The event's kind. */
  type: "download_failed";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** What went wrong. */
  error: JobError;
}

/**
 * The video of a succeeded task could not be saved for a local reason (disk
 * full, folder not writable, not enough free space): the service did its
 * part, so the job is not failed. It stays running (`succeeded`, not yet
 * downloaded) with this reason, and the next run downloads it.
 */
export interface DownloadHeldEvent {
  /** The event's kind. */
  type: "download_held";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** The local problem, e.g. code `download_write` or `disk_space`. */
  error: JobError;
}

/**
 * A video recorded as done was found missing or altered on disk when a run
 * started: the job is running again (its task succeeded and is paid) and the
 * run fetches the video again from the task, with a fresh URL.
 */
export interface VideoLostEvent {
  /** The event's kind. */
  type: "video_lost";
  /** When it happened (ISO 8601). */
  at: string;
  /** The job's id. */
  job: string;
  /** The service's task id. */
  task: string;
  /** The video's path relative to the output folder, as recorded. */
  output: string;
  /** What was found: code `video_missing` or `video_altered`. */
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
  | DownloadFailedEvent
  | DownloadHeldEvent
  | VideoLostEvent;

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
  /** The job's id. */
  job: string;
  /** Where the job stands. */
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
  /** The service's task id, once a task exists. */
  task?: string;
  /** Last normalised status seen by a poll. */
  status?: TaskStatus;
  /** The progress the latest poll saw, 0..100. */
  progress?: number;
  /** When the latest submission was (first) sent. */
  submittedAt?: string;
  /**
   * When the service answered with the task (the `submitted` event's time):
   * the start of the first minute in which `task_not_exist` is transient.
   */
  createdAt?: string;
  /** When the task reached a terminal status. */
  completedAt?: string;
  /** When the video was downloaded. */
  downloadedAt?: string;
  /** The video's path relative to the output folder, once downloaded. */
  output?: string;
  /** The video's size in bytes, once downloaded. */
  bytes?: number;
  /** Hex SHA-256 of the video, once downloaded. */
  sha256?: string;
  /**
   * Why the job failed, or, while it is pending after a `not_created`, why
   * its last send created nothing (code `http_<status>`, or `not_created`
   * when nothing was sent).
   */
  error?: JobError;
  /**
   * Why a succeeded task's video is not on disk although the service did its
   * part: a local problem (disk full, folder not writable), or a video that
   * was done and is now missing or altered. Set only while the phase is
   * `succeeded` (the job counts as running and its video is fetched again).
   */
  held?: JobError;
  /** Why the job failed: the submission was rejected, the task failed, or its download. */
  failure?: "rejected" | "task" | "download";
}
