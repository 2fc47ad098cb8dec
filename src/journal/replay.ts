/**
 * Replays the checkpoint journal into the state of each job. Everything here
 * is pure except {@linkcode readJournal}, which only streams the file's lines
 * through the same replay.
 *
 * Each event moves a job by one of the transitions at the end of this file;
 * each builds the next {@linkcode JobState} from the fields that still hold,
 * so a state never keeps a field of a phase it left (a failed job keeps no
 * video, an uncertain one no task). Rules worth knowing:
 * - `failure` is set exactly while a job's phase is `failed`; `error` too,
 *   and also while it is `pending` after a `not_created` (why nothing was
 *   created). A send clears it.
 * - A `submitting` with a new key starts a fresh state: only `attempts`
 *   carries over; the previous submission's task, status, failure and video
 *   (`output`, `bytes`, `sha256`, `downloadedAt`) no longer describe the job.
 *   A resend with the same key makes the job uncertain again with the same
 *   attempt and the first send's time.
 * - An event about a task that is not the job's current task is stale and
 *   ignored; so is a submission outcome whose key is not the key of the job's
 *   latest submission.
 * - A local problem never fails a job whose task succeeded: `download_held`
 *   keeps it `succeeded` (running) with the reason in `held`. So does a
 *   `download_failed` whose code is a local one (`download_write`, written
 *   by versions before `download_held` existed): that task succeeded and is
 *   paid, so the next run downloads it instead of leaving it failed.
 * - A submission outcome for a job without any `submitting` event is adopted
 *   as a submission of its own (never dropped: dropping a `submitted` would
 *   lose a task that exists and is billed).
 * - An event read twice reads as once, wherever the second copy lands (a
 *   journal append that failed and was kept again, a recovery file folded
 *   again after a crash): once a submission has its final outcome (a task,
 *   or a rejection), a later outcome for the same key is a copy and ignored,
 *   until a new send; a `status` counts only while the task is running; a
 *   `task_succeeded` does not undo a download.
 *
 * @module
 */

import { BatchError, ExitCode, messageOf } from "../errors.ts";
import { decodeLine, unknownTypeOf } from "./codec.ts";
import type { JobError } from "../domain/job_error.ts";
import type {
  DoneState,
  DownloadedEvent,
  DownloadFailedEvent,
  DownloadFailedState,
  JobState,
  JobStateEvent,
  JournalEntry,
  NotCreatedEvent,
  PendingState,
  RejectedEvent,
  RejectedState,
  RunningState,
  StateBase,
  StatusEvent,
  SubmittedEvent,
  SubmittingEvent,
  SucceededState,
  TaskFacts,
  TaskFailedEvent,
  TaskFailedState,
  TaskState,
  TaskSucceededEvent,
  UncertainState,
  UnknownOutcomeEvent,
} from "./events.ts";

/** What replaying a journal's text found. */
export interface ReplayResult {
  /** The state of every job the journal mentions, by job id. */
  states: Map<string, JobState>;
  /**
   * The last non-blank line could not be decoded (a write cut short by a
   * crash) and was dropped. It is not counted in `skipped`.
   */
  tornTail: boolean;
  /** Lines before the last that could not be decoded and were skipped. */
  skipped: number;
}

/**
 * An incremental replay: feed it events (or lines) in journal order and read
 * the states at any point. {@linkcode replayEvents} and
 * {@linkcode replayText} are built on it; a runner can use it to keep its
 * in-memory view in step with what it appends.
 */
export class JournalReplay {
  readonly #states = new Map<string, JobState>();
  /** The key of each job's latest submission, known or not. */
  readonly #lastKeys = new Map<string, string>();
  /** A line that failed to decode; skipped unless it turns out to be the last. */
  #undecoded = false;
  #skipped = 0;
  #lines = 0;
  #unknownType: string | undefined;

  /** The states so far, by job id (the live map, not a copy). */
  get states(): Map<string, JobState> {
    return this.#states;
  }

  /** The replay result so far. */
  get result(): ReplayResult {
    return { states: this.#states, tornTail: this.#undecoded, skipped: this.#skipped };
  }

  /** The non-blank lines applied so far, the torn and skipped ones included. */
  get lines(): number {
    return this.#lines;
  }

  /**
   * The first event type this version does not know, when a line that could
   * not be decoded held one (a journal written by a newer version).
   */
  get unknownType(): string | undefined {
    return this.#unknownType;
  }

  /**
   * Applies one line of the journal.
   *
   * @param line The line, with or without its line ending.
   */
  applyLine(line: string): void {
    const event = decodeLine(line);
    if (event === undefined && line.trim() === "") return;
    this.#lines += 1;
    if (this.#undecoded) this.#skipped += 1;
    this.#undecoded = event === undefined;
    if (event) this.apply(event);
    else this.#unknownType ??= unknownTypeOf(line);
  }

  /**
   * The journal's live state as one `job_state` event per job, in the order
   * the jobs first appeared: replaying them gives exactly the states (and
   * the submission keys) this replay holds, and any event appended after
   * them applies as it would have after the whole journal.
   *
   * @returns One event per job.
   */
  *compacted(): Generator<JobStateEvent> {
    for (const [job, state] of this.#states) {
      const key = this.#lastKeys.get(job);
      // Every state came from a submission or its outcome, which set its key.
      if (key !== undefined) yield { type: "job_state", key, state };
    }
  }

  /**
   * Applies one event.
   *
   * @param event The next event of the journal.
   */
  apply(event: JournalEntry): void {
    switch (event.type) {
      case "run_started":
        return;
      case "job_state":
        this.#lastKeys.set(event.state.job, event.key);
        this.#states.set(event.state.job, event.state);
        return;
      case "submitting": {
        const previous = this.#states.get(event.job);
        const resend = this.#lastKeys.get(event.job) === event.key ? previous : undefined;
        this.#lastKeys.set(event.job, event.key);
        this.#states.set(event.job, sending(event, previous, resend));
        return;
      }
      case "not_created":
        return this.#applyOutcome(event, (base) => notCreated(base, event));
      case "submitted":
        return this.#applyOutcome(event, (base) => taskCreated(base, event));
      case "rejected":
        return this.#applyOutcome(event, (base) => rejected(base, event));
      case "outcome_unknown":
        return this.#applyOutcome(event, (base) => outcomeUnknown(base, event));
      case "status":
        return this.#applyToTask(
          event,
          (state) => state.phase === "running" ? polled(state, event) : state,
        );
      case "task_failed":
        return this.#applyToTask(event, (state) => taskFailed(state, event));
      case "task_succeeded":
        // A copy read after the download does not undo it.
        return this.#applyToTask(
          event,
          (state) => state.phase === "done" ? state : taskSucceeded(state, event),
        );
      case "downloaded":
        return this.#applyToTask(event, (state) => downloaded(state, event));
      case "download_held":
        return this.#applyToTask(event, (state) => {
          // A task that succeeded (even one whose download failed before) is paid.
          const paid = state.phase === "succeeded" ||
            (state.phase === "failed" && state.failure === "download");
          return paid ? held(state, event.error) : state;
        });
      case "video_lost":
        return this.#applyToTask(
          event,
          (state) => state.phase === "done" ? loseVideo(state, event.error) : state,
        );
      case "download_failed":
        return this.#applyToTask(
          event,
          (state) =>
            LOCAL_DOWNLOAD_CODES.has(event.error.code)
              ? held(state, event.error)
              : downloadFailed(state, event),
        );
    }
  }

  /**
   * Applies the outcome of a submission, unless a later submission
   * superseded it or it is a copy of an outcome already applied.
   */
  #applyOutcome(
    event: { job: string; key: string; at: string },
    change: (base: StateBase) => JobState,
  ): void {
    const lastKey = this.#lastKeys.get(event.job);
    if (lastKey !== undefined && lastKey !== event.key) return;
    const state = this.#states.get(event.job);
    // Settled: the submission has its final outcome (a task, or a rejection),
    // which is exactly while the job is neither pending nor uncertain.
    if (lastKey !== undefined && state !== undefined && isSettled(state)) return;
    if (lastKey === undefined || state === undefined) {
      // No `submitting` for this outcome: adopt it as a submission.
      this.#lastKeys.set(event.job, event.key);
      const adopted = {
        job: event.job,
        attempts: (state?.attempts ?? 0) + 1,
        submittedAt: event.at,
      };
      this.#states.set(event.job, change(adopted));
      return;
    }
    this.#states.set(event.job, change(state));
  }

  /** Applies an event about a task, if that task is the job's current one. */
  #applyToTask(event: { job: string; task: string }, change: (state: TaskState) => JobState): void {
    const current = this.#states.get(event.job);
    if (current === undefined || !hasTask(current) || current.task !== event.task) return;
    this.#states.set(event.job, change(current));
  }
}

// ---- the transitions: each builds the next state from the fields that still hold ----

/**
 * Whether the job's latest submission has its final outcome: `submitted`
 * (any phase with a task) or `rejected`. Only a send makes a job pending or
 * uncertain again.
 */
function isSettled(state: JobState): boolean {
  return state.phase !== "pending" && state.phase !== "uncertain";
}

/**
 * Whether a state has a task.
 *
 * @param state A job's state.
 * @returns `true` for the phases that hold a task id.
 */
export function hasTask(state: JobState): state is TaskState {
  return state.task !== undefined;
}

/**
 * A send: a new key is a new submission (nothing of the previous one's task,
 * result or failure describes it, only `attempts` carries over); a resend
 * with the key of the latest submission keeps its attempt and first time.
 */
function sending(
  event: SubmittingEvent,
  previous: JobState | undefined,
  resend: JobState | undefined,
): UncertainState {
  return {
    job: event.job,
    phase: "uncertain",
    attempts: resend?.attempts ?? (previous?.attempts ?? 0) + 1,
    fingerprint: event.fingerprint,
    openKey: event.key,
    submittedAt: resend?.submittedAt ?? event.at,
  };
}

/**
 * The submission's fields: what every phase keeps of the state before. A
 * field the state lacks is left out, never set to `undefined` (and never
 * deleted, which would make V8 keep the object as a slow dictionary).
 */
function submission(state: StateBase): StateBase {
  const base: StateBase = { job: state.job, attempts: state.attempts };
  if (state.fingerprint !== undefined) base.fingerprint = state.fingerprint;
  if (state.submittedAt !== undefined) base.submittedAt = state.submittedAt;
  return base;
}

/** The task's fields: what every phase with a task keeps of the state before. */
function taskOf(state: TaskState): StateBase & TaskFacts & { completedAt?: string } {
  const facts: StateBase & TaskFacts & { completedAt?: string } = {
    ...submission(state),
    task: state.task,
    createdAt: state.createdAt,
  };
  if (state.status !== undefined) facts.status = state.status;
  if (state.progress !== undefined) facts.progress = state.progress;
  if (state.completedAt !== undefined) facts.completedAt = state.completedAt;
  return facts;
}

/** Nothing was created: pending, with the key to send again and why. */
function notCreated(state: StateBase, event: NotCreatedEvent): PendingState {
  return {
    ...submission(state),
    phase: "pending",
    openKey: event.key,
    error: {
      code: event.status > 0 ? `http_${event.status}` : "not_created",
      message: event.message,
    },
  };
}

/** The service created a task: running, and the key is closed. */
function taskCreated(state: StateBase, event: SubmittedEvent): RunningState {
  return { ...submission(state), phase: "running", task: event.task, createdAt: event.at };
}

/** The service rejected the submission: failed, and the key is closed. */
function rejected(state: StateBase, event: RejectedEvent): RejectedState {
  return { ...submission(state), phase: "failed", failure: "rejected", error: event.error };
}

/** Nobody knows whether the send created a task: uncertain, with its key open. */
function outcomeUnknown(state: StateBase, event: UnknownOutcomeEvent): UncertainState {
  return {
    ...submission(state),
    phase: "uncertain",
    openKey: event.key,
    submittedAt: state.submittedAt ?? event.at,
  };
}

/** A poll saw a status (and maybe progress) of a running task. */
function polled(state: RunningState, event: StatusEvent): RunningState {
  const progress = event.progress ?? state.progress;
  return { ...state, status: event.status, ...(progress === undefined ? {} : { progress }) };
}

/** The task ended FAILED or ERROR. */
function taskFailed(state: TaskState, event: TaskFailedEvent): TaskFailedState {
  return {
    ...taskOf(state),
    phase: "failed",
    failure: "task",
    error: event.error,
    completedAt: event.at,
  };
}

/** The task succeeded: its video is to be downloaded. */
function taskSucceeded(state: TaskState, event: TaskSucceededEvent): SucceededState {
  return { ...taskOf(state), phase: "succeeded", completedAt: event.at };
}

/** The video is on disk. */
function downloaded(state: TaskState, event: DownloadedEvent): DoneState {
  return {
    ...taskOf(state),
    phase: "done",
    output: event.output,
    bytes: event.bytes,
    sha256: event.sha256,
    downloadedAt: event.at,
    ...(event.video === undefined ? {} : { video: event.video }),
  };
}

/** The service's verdict on the download (no URL after renewal): failed, the task kept. */
function downloadFailed(state: TaskState, event: DownloadFailedEvent): DownloadFailedState {
  return { ...taskOf(state), phase: "failed", failure: "download", error: event.error };
}

/**
 * The task succeeded and is paid, but its video is not on disk for a reason
 * that is not the job's: running (`succeeded`), with the reason in `held`.
 */
function held(state: TaskState, reason: JobError): SucceededState {
  return { ...taskOf(state), phase: "succeeded", held: reason };
}

/**
 * A done job whose video is missing or altered on disk: running again (its
 * task succeeded), with the reason in `held` and no video on record.
 * {@linkcode JournalReplay} applies it for a `video_lost` event, and a reader
 * that only looks (status, report) applies it to the states it shows.
 *
 * @param state A done job's state (left as it is).
 * @param reason What was found on disk.
 * @returns The job's state without its video.
 */
export function loseVideo(state: DoneState, reason: JobError): SucceededState {
  return held(state, reason);
}

/**
 * Download error codes that name a local problem (the disk, the folder), not
 * the service's verdict: a job with such an error is kept running.
 */
export const LOCAL_DOWNLOAD_CODES: ReadonlySet<string> = new Set(["download_write", "disk_space"]);

/**
 * Replays events in journal order.
 *
 * @param events The journal's events, oldest first.
 * @returns The state of every job the events mention, by job id.
 */
export function replayEvents(events: Iterable<JournalEntry>): Map<string, JobState> {
  const replay = new JournalReplay();
  for (const event of events) replay.apply(event);
  return replay.states;
}

/**
 * Replays the text of a journal. A torn last line (cut short by a crash,
 * with or without a line ending) is dropped and reported; an undecodable line
 * before it is skipped and counted. An unterminated last line that decodes is
 * applied: its write completed even if its newline did not.
 *
 * @param text The journal's content.
 * @returns The states, whether the tail was torn, and how many lines were skipped.
 */
export function replayText(text: string): ReplayResult {
  const replay = new JournalReplay();
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    if (end === -1) {
      replay.applyLine(text.slice(start));
      break;
    }
    replay.applyLine(text.slice(start, end));
    start = end + 1;
  }
  return replay.result;
}

/**
 * Reads and replays a journal file, streaming it line by line so memory
 * stays proportional to the number of jobs, not the file's size.
 *
 * @param path The journal file (`<out>/state.jsonl`).
 * @param replay The replay to feed, so a caller can keep applying the events
 *   it appends afterwards.
 * @returns What {@linkcode replayText} returns; empty states when the file
 * does not exist.
 * @throws {BatchError} (code `journal_read`) when the file exists but cannot be read.
 */
export async function readJournal(
  path: string | URL,
  replay: JournalReplay = new JournalReplay(),
): Promise<ReplayResult> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return replay.result;
    throw readError(path, error);
  }
  let carry = "";
  try {
    // The stream closes the file when it ends or fails.
    for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
      const lines = (carry + chunk).split("\n");
      carry = lines.pop() ?? "";
      for (const line of lines) replay.applyLine(line);
    }
  } catch (error) {
    throw readError(path, error);
  }
  if (carry !== "") replay.applyLine(carry);
  return replay.result;
}

function readError(path: string | URL, cause: unknown): BatchError {
  return new BatchError(`Cannot read journal ${path}: ${messageOf(cause)}`, {
    code: "journal_read",
    exitCode: ExitCode.Failed,
    cause,
  });
}

/**
 * Reads and replays a journal file.
 *
 * @param path The journal file (`<out>/state.jsonl`).
 * @returns The state of every job the journal mentions, by job id; an empty
 * map when the file does not exist.
 */
export async function readJournalStates(path: string | URL): Promise<Map<string, JobState>> {
  return (await readJournal(path)).states;
}
