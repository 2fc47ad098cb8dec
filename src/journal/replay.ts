/**
 * Replays the checkpoint journal into the state of each job. Everything here
 * is pure except {@linkcode readJournal}, which only streams the file's lines
 * through the same replay.
 *
 * Rules worth knowing:
 * - `failure` is set exactly while a job's phase is `failed`; `error` too,
 *   and also while it is `pending` after a `not_created` (why nothing was
 *   created). A send clears it.
 * - A `submitting` with a new key starts a fresh state: only `attempts`
 *   carries over; the previous submission's task, status, failure and video
 *   (`output`, `bytes`, `sha256`, `downloadedAt`) no longer describe the job.
 *   A resend with the same key keeps everything and the first send's time.
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
import { decodeLine } from "./codec.ts";
import type { JobError, JobState, JournalEvent } from "./events.ts";

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
  /** Jobs whose latest submission has its final outcome (`submitted` or `rejected`). */
  readonly #settled = new Set<string>();
  /** A line that failed to decode; skipped unless it turns out to be the last. */
  #undecoded = false;
  #skipped = 0;

  /** The states so far, by job id (the live map, not a copy). */
  get states(): Map<string, JobState> {
    return this.#states;
  }

  /** The replay result so far. */
  get result(): ReplayResult {
    return { states: this.#states, tornTail: this.#undecoded, skipped: this.#skipped };
  }

  /**
   * Applies one line of the journal.
   *
   * @param line The line, with or without its line ending.
   */
  applyLine(line: string): void {
    if (line.trim() === "") return;
    if (this.#undecoded) this.#skipped += 1;
    const event = decodeLine(line);
    this.#undecoded = event === undefined;
    if (event) this.apply(event);
  }

  /**
   * Applies one event.
   *
   * @param event The next event of the journal.
   */
  apply(event: JournalEvent): void {
    switch (event.type) {
      case "run_started":
        return;
      case "submitting": {
        const previous = this.#states.get(event.job);
        const sameKey = this.#lastKeys.get(event.job) === event.key;
        this.#lastKeys.set(event.job, event.key);
        this.#settled.delete(event.job);
        // A new key is a new submission: nothing of the previous one's task,
        // result or failure describes it. A resend keeps the first send's time.
        const state: JobState = sameKey && previous ? { ...previous } : {
          job: event.job,
          phase: "uncertain",
          attempts: (previous?.attempts ?? 0) + 1,
          submittedAt: event.at,
        };
        state.phase = "uncertain";
        state.fingerprint = event.fingerprint;
        state.openKey = event.key;
        delete state.error;
        this.#states.set(event.job, state);
        return;
      }
      case "not_created":
        return this.#applyOutcome(event, (state) => {
          state.phase = "pending";
          state.openKey = event.key;
          state.error = {
            code: event.status > 0 ? `http_${event.status}` : "not_created",
            message: event.message,
          };
        });
      case "submitted":
        return this.#applyOutcome(event, (state) => {
          this.#settled.add(event.job);
          state.phase = "running";
          state.task = event.task;
          state.createdAt = event.at;
          delete state.openKey;
          clearFailure(state);
        });
      case "rejected":
        return this.#applyOutcome(event, (state) => {
          this.#settled.add(event.job);
          state.phase = "failed";
          state.failure = "rejected";
          state.error = event.error;
          delete state.openKey;
        });
      case "outcome_unknown":
        return this.#applyOutcome(event, (state) => {
          state.phase = "uncertain";
          state.openKey = event.key;
        });
      case "status":
        if (this.#states.get(event.job)?.phase !== "running") return;
        return this.#applyToTask(event, (state) => {
          state.status = event.status;
          if (event.progress !== undefined) state.progress = event.progress;
        });
      case "task_failed":
        return this.#applyToTask(event, (state) => {
          state.phase = "failed";
          delete state.held;
          state.failure = "task";
          state.error = event.error;
          state.completedAt = event.at;
        });
      case "task_succeeded":
        if (this.#states.get(event.job)?.phase === "done") return;
        return this.#applyToTask(event, (state) => {
          state.phase = "succeeded";
          state.completedAt = event.at;
          clearFailure(state);
        });
      case "downloaded":
        return this.#applyToTask(event, (state) => {
          state.phase = "done";
          state.output = event.output;
          state.bytes = event.bytes;
          state.sha256 = event.sha256;
          state.downloadedAt = event.at;
          clearFailure(state);
        });
      case "download_held":
        return this.#applyToTask(event, (state) => {
          // A task that succeeded (even one whose download failed before) is paid.
          if (state.phase === "failed" && state.failure === "download") {
            state.phase = "succeeded";
            clearFailure(state);
          }
          if (state.phase === "succeeded") state.held = event.error;
        });
      case "video_lost":
        return this.#applyToTask(event, (state) => {
          if (state.phase === "done") loseVideo(state, event.error);
        });
      case "download_failed":
        return this.#applyToTask(event, (state) => {
          if (LOCAL_DOWNLOAD_CODES.has(event.error.code)) {
            state.phase = "succeeded";
            clearFailure(state);
            state.held = event.error;
            return;
          }
          state.phase = "failed";
          delete state.held;
          state.failure = "download";
          state.error = event.error;
        });
    }
  }

  /** Applies the outcome of a submission, unless a later submission superseded it. */
  #applyOutcome(
    event: { job: string; key: string; at: string },
    change: (state: JobState) => void,
  ): void {
    const lastKey = this.#lastKeys.get(event.job);
    if (lastKey !== undefined && lastKey !== event.key) return;
    if (lastKey !== undefined && this.#settled.has(event.job)) return;
    let state = this.#states.get(event.job);
    if (lastKey === undefined || state === undefined) {
      // No `submitting` for this outcome: adopt it as a submission.
      this.#lastKeys.set(event.job, event.key);
      state = {
        job: event.job,
        phase: "pending",
        attempts: (state?.attempts ?? 0) + 1,
        submittedAt: event.at,
      };
    } else {
      state = { ...state };
    }
    change(state);
    this.#states.set(event.job, state);
  }

  /** Applies an event about a task, if that task is the job's current one. */
  #applyToTask(event: { job: string; task: string }, change: (state: JobState) => void): void {
    const current = this.#states.get(event.job);
    if (current?.task !== event.task) return;
    const state = { ...current };
    change(state);
    this.#states.set(event.job, state);
  }
}

/**
 * A done job whose video is missing or altered on disk: running again (its
 * task succeeded), with the reason in `held` and no video on record. Mutates
 * `state`; {@linkcode JournalReplay} applies it for a `video_lost` event, and
 * a reader that only looks (status, report) applies it to a copy.
 *
 * @param state A done job's state (changed in place).
 * @param reason What was found on disk.
 */
export function loseVideo(state: JobState, reason: JobError): void {
  state.phase = "succeeded";
  delete state.output;
  delete state.bytes;
  delete state.sha256;
  delete state.downloadedAt;
  clearFailure(state);
  state.held = reason;
}

/**
 * Download error codes that name a local problem (the disk, the folder), not
 * the service's verdict: a job with such an error is kept running.
 */
export const LOCAL_DOWNLOAD_CODES: ReadonlySet<string> = new Set(["download_write", "disk_space"]);

function clearFailure(state: JobState): void {
  delete state.failure;
  delete state.error;
  delete state.held;
}

/**
 * Replays events in journal order.
 *
 * @param events The journal's events, oldest first.
 * @returns The state of every job the events mention, by job id.
 */
export function replayEvents(events: Iterable<JournalEvent>): Map<string, JobState> {
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
