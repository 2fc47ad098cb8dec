/**
 * Is each done video still the one the journal recorded? The rules, pure:
 * which videos to look at, what a look at the disk means, and the states
 * that follow. The looking itself is {@linkcode ./runner/verify_videos.ts}.
 *
 * The size is always compared. The SHA-256 costs a full read of every file
 * (at 100,000 done jobs of real clips, hundreds of gigabytes), so it is
 * compared only for a file whose modification time is later than the
 * recorded download: an edit in place moves the time, a file left alone
 * does not (the same trade git's index makes). See bench/RESULTS.md.
 *
 * @module
 */
import type { JobError } from "./domain/job_error.ts";
import type { DoneState, JobState, VideoLostEvent } from "./journal/events.ts";
import { loseVideo } from "./journal/replay.ts";

/** A video the journal records as done. */
export interface RecordedVideo {
  /** The job's id. */
  job: string;
  /** The task the video came from. */
  task: string;
  /** The path relative to the output folder. */
  output: string;
  /** The recorded size. */
  bytes: number;
  /** The recorded hex SHA-256. */
  sha256: string;
  /** When the download was recorded, in epoch milliseconds (NaN when the record is unreadable). */
  downloadedAtMs: number;
}

/** What a look at the disk found for one video. */
export type DiskLook =
  | { kind: "missing" }
  | { kind: "not_a_file" }
  | { kind: "file"; size: number; mtimeMs: number | null };

/** A done video that is no longer what was recorded. */
export interface VideoFinding {
  /** The job's id. */
  job: string;
  /** The task to fetch the video from again. */
  task: string;
  /** The recorded path relative to the output folder. */
  output: string;
  /** What was found (`video_missing` or `video_altered`), in words. */
  error: JobError;
}

/**
 * The video a done job's state records.
 *
 * @param state A state in the `done` phase.
 * @returns What was recorded.
 */
export function recordedVideo(state: DoneState): RecordedVideo {
  return {
    job: state.job,
    task: state.task,
    output: state.output,
    bytes: state.bytes,
    sha256: state.sha256,
    downloadedAtMs: Date.parse(state.downloadedAt),
  };
}

/** How much of a file's content is compared. */
export type HashPolicy = "changed" | "always" | "never";

/**
 * Judge a look at the disk.
 *
 * @param video What was recorded.
 * @param look What the disk shows.
 * @param policy When the hash is compared: `changed` (the file's time is
 *   later than the download, or unknown), `always`, or `never`.
 * @returns A finding, `hash` when the file's hash must be compared to decide,
 *   or `ok`.
 */
export function judgeLook(
  video: RecordedVideo,
  look: DiskLook,
  policy: HashPolicy = "changed",
): VideoFinding | "hash" | "ok" {
  if (look.kind !== "file") {
    const what = look.kind === "missing" ? "missing on disk" : "not a file";
    return finding(video, "video_missing", `video ${what}: ${video.output}`);
  }
  if (look.size !== video.bytes) {
    return finding(
      video,
      "video_altered",
      `video altered on disk: ${video.output} has ${look.size} bytes, ${video.bytes} recorded`,
    );
  }
  if (policy === "never") return "ok";
  if (policy === "always") return "hash";
  const untouched = look.mtimeMs !== null && Number.isFinite(video.downloadedAtMs) &&
    look.mtimeMs <= video.downloadedAtMs;
  return untouched ? "ok" : "hash";
}

/**
 * Judge a file's hash once {@linkcode judgeLook} asked for it.
 *
 * @param video What was recorded.
 * @param sha256 The file's hex SHA-256 now.
 * @returns A finding, or `ok`.
 */
export function judgeHash(video: RecordedVideo, sha256: string): VideoFinding | "ok" {
  if (sha256 === video.sha256) return "ok";
  return finding(
    video,
    "video_altered",
    `video altered on disk: ${video.output} (SHA-256 ${sha256.slice(0, 12)}…, ` +
      `${video.sha256.slice(0, 12)}… recorded)`,
  );
}

/**
 * The states once the findings are applied: each job whose video is gone or
 * altered is running again (its task succeeded), with the reason in `held`.
 * The input map and its states are left as they were; with no findings it
 * is returned itself.
 *
 * @param states The journal's states by job id.
 * @param findings What the disk check found.
 * @returns The states a plan, status or report should use.
 */
export function withVideoFindings(
  states: ReadonlyMap<string, JobState>,
  findings: readonly VideoFinding[],
): ReadonlyMap<string, JobState> {
  // Nothing found (the usual case): the same states, not a copy of a million.
  if (findings.length === 0) return states;
  const result = new Map(states);
  for (const found of findings) {
    const state = result.get(found.job);
    if (state?.phase !== "done" || state.task !== found.task) continue;
    result.set(found.job, loseVideo(state, found.error));
  }
  return result;
}

/**
 * The journal events that record findings (`video_lost`), for a run to
 * append before it acts on them.
 *
 * @param findings What the disk check found.
 * @param at The events' time (ISO 8601).
 * @returns One event per finding.
 */
export function lostVideoEvents(findings: readonly VideoFinding[], at: string): VideoLostEvent[] {
  return findings.map((found) => ({
    type: "video_lost",
    at,
    job: found.job,
    task: found.task,
    output: found.output,
    error: found.error,
  }));
}

/**
 * The states of the jobs whose done video a run checks at its start: those
 * in the manifest whose journal state is for their current content (an
 * edited job's old video is not its result anyway, and a job no longer in
 * the manifest is not run).
 *
 * @param jobs The manifest's jobs (id and fingerprint).
 * @param states The journal's states by job id.
 * @returns The states to check, one at a time (no map of them is made).
 */
export function* currentStatesOf(
  jobs: Iterable<{ id: string; fingerprint: string }>,
  states: ReadonlyMap<string, JobState>,
): Generator<JobState> {
  for (const job of jobs) {
    const state = states.get(job.id);
    if (state !== undefined && state.fingerprint === job.fingerprint) yield state;
  }
}

function finding(video: RecordedVideo, code: string, message: string): VideoFinding {
  return { job: video.job, task: video.task, output: video.output, error: { code, message } };
}
