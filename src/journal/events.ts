/**
 * The checkpoint journal's events (`<out>/state.jsonl`, one JSON object a
 * line) and the per-job state replay derives from them. The journal is the
 * truth: every event is durable before the tool acts on it.
 *
 * @module
 */
import type { JobError } from "../domain/job_error.ts";
import type { TaskStatus } from "../domain/task_status.ts";

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
  /**
   * Added field: what the file's MP4 boxes say it is; absent when they could
   * not be read (and in journals written before it existed).
   */
  video?: VideoMetadata;
}

/** What a downloaded video's MP4 boxes say it is, as the journal records it. */
export interface VideoMetadata {
  /** Its length in seconds. */
  duration: number;
  /** Its display width in pixels. */
  width: number;
  /** Its display height in pixels. */
  height: number;
  /** The video track's four-character codec, e.g. `avc1`. */
  codec: string;
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

/**
 * A job's whole state, as a compaction of the journal wrote it: replay takes
 * the state to be exactly this, whatever it was before. A compacted journal
 * holds one such line per job (see compact.ts); events appended after it
 * apply on top as usual.
 */
export interface JobStateEvent {
  /** The event's kind. */
  type: "job_state";
  /**
   * The idempotency key of the job's latest submission (known or not): an
   * outcome with another key is stale, and one with this key is a copy once
   * the submission is settled (the phase is neither `pending` nor `uncertain`).
   */
  key: string;
  /** The job's state, exactly as replay derived it. */
  state: JobState;
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
 * What one journal line holds: an event, or (in a compacted journal) a job's
 * whole state.
 */
export type JournalEntry = JournalEvent | JobStateEvent;

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

/** Why a job failed: the submission was rejected, the task failed, or its download. */
export type FailureKind = "rejected" | "task" | "download";

/**
 * Fields a phase never has: writing one is a type error, reading one gives
 * `undefined`, so code can still ask any state for its `task`.
 */
export type AbsentFields<K extends string> = { [P in K]?: undefined };

/** The fields about a task. */
export type TaskFieldName = "task" | "createdAt" | "status" | "progress" | "completedAt";
/** The fields about a downloaded video. */
export type VideoFieldName = "output" | "bytes" | "sha256" | "downloadedAt" | "video";

/** What every job's state has, whatever its phase. */
export interface StateBase {
  /** The job's id. */
  job: string;
  /** Distinct submissions (idempotency keys) made for this job. */
  attempts: number;
  /**
   * Fingerprint of the latest submission (what was sent); absent when the
   * journal holds only the submission's outcome.
   */
  fingerprint?: string;
  /** When the latest submission was (first) sent. */
  submittedAt?: string;
}

/** What the journal knows about the task of a job that has one. */
export interface TaskFacts {
  /** The service's task id. */
  task: string;
  /**
   * When the service answered with the task (the `submitted` event's time):
   * the start of the first minute in which `task_not_exist` is transient.
   */
  createdAt: string;
  /** Last normalised status seen by a poll. */
  status?: TaskStatus;
  /** The progress the latest poll saw, 0..100. */
  progress?: number;
}

/** What the journal records about a downloaded video. */
export interface VideoFacts {
  /** The video's path relative to the output folder. */
  output: string;
  /** The video's size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the video. */
  sha256: string;
  /** When the video was downloaded. */
  downloadedAt: string;
  /** What its MP4 boxes say it is, when they could be read. */
  video?: VideoMetadata;
}

/**
 * No task exists: never submitted, or the last send is known to have created
 * nothing (`not_created`).
 */
export interface PendingState
  extends StateBase, AbsentFields<TaskFieldName | VideoFieldName | "held" | "failure"> {
  /** Where the job stands. */
  phase: "pending";
  /** The idempotency key of a send that created nothing, to send again with. */
  openKey?: string;
  /**
   * Why the last send created nothing (code `http_<status>`, or
   * `not_created` when nothing was sent).
   */
  error?: JobError;
}

/** A submission was sent (or may have been) and its outcome is unknown: a task may exist. */
export interface UncertainState
  extends StateBase, AbsentFields<"error" | TaskFieldName | VideoFieldName | "held" | "failure"> {
  /** Where the job stands. */
  phase: "uncertain";
  /** The submission's idempotency key: the one to send again with. */
  openKey: string;
  /** When the submission was first sent. */
  submittedAt: string;
}

/** A task exists and no poll has seen it end. */
export interface RunningState
  extends
    StateBase,
    TaskFacts,
    AbsentFields<"openKey" | "error" | "completedAt" | VideoFieldName | "held" | "failure"> {
  /** Where the job stands. */
  phase: "running";
}

/** The task succeeded and its video is not on disk (yet, or any more): the job counts as running. */
export interface SucceededState
  extends StateBase, TaskFacts, AbsentFields<"openKey" | "error" | VideoFieldName | "failure"> {
  /** Where the job stands. */
  phase: "succeeded";
  /** When the task reached its terminal status, when a poll saw it. */
  completedAt?: string;
  /**
   * Why the video is not on disk although the service did its part: a local
   * problem (disk full, folder not writable), or a video that was done and
   * is now missing or altered. The next run fetches it again.
   */
  held?: JobError;
}

/** The video is downloaded. */
export interface DoneState
  extends StateBase, TaskFacts, VideoFacts, AbsentFields<"openKey" | "error" | "held" | "failure"> {
  /** Where the job stands. */
  phase: "done";
  /** When the task reached its terminal status, when a poll saw it. */
  completedAt?: string;
}

/** What every failed job has. */
export interface FailedStateBase
  extends StateBase, AbsentFields<"openKey" | VideoFieldName | "held"> {
  /** Where the job stands. */
  phase: "failed";
  /** Why the job failed. */
  error: JobError;
}

/** The service rejected the submission: no task exists. */
export interface RejectedState extends FailedStateBase, AbsentFields<TaskFieldName> {
  /** Why the job failed. */
  failure: "rejected";
}

/** The task ended FAILED or ERROR. */
export interface TaskFailedState extends FailedStateBase, TaskFacts {
  /** Why the job failed. */
  failure: "task";
  /** When the task reached its terminal status. */
  completedAt: string;
}

/** The task's video could not be downloaded and its URL could not be renewed. */
export interface DownloadFailedState extends FailedStateBase, TaskFacts {
  /** Why the job failed. */
  failure: "download";
  /** When the task reached its terminal status, when a poll saw it. */
  completedAt?: string;
}

/** A failed job, by what failed. */
export type FailedState = RejectedState | TaskFailedState | DownloadFailedState;

/** The state of a job that has a task. */
export type TaskState =
  | RunningState
  | SucceededState
  | DoneState
  | TaskFailedState
  | DownloadFailedState;

/**
 * The replayed state of one job id: each phase holds exactly the fields it
 * has (a running job its task, a done job its video, a failed job its error).
 * Narrow by `phase` (and a failed job by `failure`) to read them.
 */
export type JobState =
  | PendingState
  | UncertainState
  | RunningState
  | SucceededState
  | DoneState
  | FailedState;
