/**
 * What the executor reports while it works. The CLI renders these as text or
 * JSON lines; the executor itself never prints.
 *
 * @module
 */
import type { JobError } from "../domain/job_error.ts";
import type { TaskStatus } from "../domain/task_status.ts";
import type { JournalEvent, VideoMetadata } from "../journal/events.ts";

/** Every event the executor emits. */
export type RunEvent =
  | {
    type: "run_started";
    jobs: number;
    toSubmit: number;
    toPoll: number;
    toDownload: number;
    skipped: number;
  }
  | { type: "job_submitted"; job: string; task: string }
  | { type: "status_changed"; job: string; task: string; status: TaskStatus; progress?: number }
  | { type: "unknown_status"; job: string; task: string; word: string }
  | {
    type: "retry_scheduled";
    job: string;
    operation: "submit" | "poll" | "download";
    reason: string;
    delayMs: number;
    attempt: number;
  }
  | { type: "job_uncertain"; job: string; message: string }
  /** Nothing was created for the job in this run; it stays pending for the next. */
  | { type: "job_deferred"; job: string; message: string }
  | { type: "job_failed"; job: string; task?: string; error: JobError }
  | { type: "task_timed_out"; job: string; task: string; waitedMs: number }
  | {
    type: "download_finished";
    job: string;
    output: string;
    bytes: number;
    sha256: string;
    /** What the file's MP4 boxes say it is, when they could be read. */
    video?: VideoMetadata;
    /** How it differs from the request (empty when it matches); absent when unknown. */
    mismatch?: string[];
    /** Why the video's facts are unknown, when they are. */
    note?: string;
  }
  /** A local problem kept a succeeded task's video off the disk; the job stays running. */
  | { type: "download_held"; job: string; task: string; error: JobError }
  /**
   * The job was edited after a submission was made for it (its manifest
   * entry's fingerprint differs from the journal's). `rerender`: this run
   * submits its new version (`--rerender-changed` or `--retry-failed`);
   * otherwise it is left as it is. `previous`: where its old video is kept
   * (relative to the output folder), when it had one.
   */
  | { type: "job_changed"; job: string; task?: string; rerender: boolean; previous?: string }
  /** A done video is missing or altered on disk; it is fetched again from its task. */
  | { type: "video_lost"; job: string; task: string; error: JobError }
  /** A download did not finish in the time this run has for it; the next run tries again. */
  | { type: "download_deferred"; job: string; task: string; message: string }
  /** A wait would outlast the pass or --max-wait: not taken, the work is kept for the next run. */
  | { type: "wait_refused"; job?: string; delayMs: number; leftMs: number }
  | {
    type: "run_stopping";
    reason: "interrupted" | "unauthorized" | "pass_over" | "journal_failed";
  }
  /** An append to the journal failed: the run stops submitting and ends early. */
  | { type: "journal_failed"; message: string }
  /**
   * An event that is not in the journal after that failure: kept in a
   * recovery file (`keptIn`) or nowhere but in what the run prints.
   */
  | { type: "unjournaled"; event: JournalEvent; keptIn?: string }
  | { type: "run_finished" };

/** Receives run events. */
export type RunEventSink = (event: RunEvent) => void;
