/**
 * The report model: the validated jobs (and the invalid ones) joined with the
 * journal's states, in the shape of CONTRACT.md's report.json. Pure.
 *
 * @module
 */
import type { Job } from "../manifest/job.ts";
import type { InvalidJob, Issue } from "../manifest/issues.ts";
import type { JobError } from "../domain/job_error.ts";
import type { JobState, VideoMetadata } from "../journal/events.ts";
import { videoMismatches } from "../video_check.ts";
import { changedError, standingOf } from "../plan.ts";
import type { EstimateJson } from "../estimate.ts";

/** Every status a job can have in the report, in the order the reports list them. */
export const REPORT_STATUSES = [
  "done",
  "failed",
  "invalid",
  "pending",
  "running",
  "uncertain",
] as const;

/** A job's status in the report. */
export type ReportStatus = typeof REPORT_STATUSES[number];

/** One row of the report. */
export interface ReportJob {
  /** The job's id. */
  id: string;
  /**
   * The old videos kept for this job after it was edited and re-rendered
   * (`videos/previous/...`, relative to the output folder); absent when none.
   */
  previous_videos?: string[];
  /** 1-based line of the job in the manifest. */
  line: number;
  /** Where the job stands. */
  status: ReportStatus;
  /** The service's task id, when a task exists. */
  task_id: string | null;
  /** The model, when known. */
  model: string | null;
  /** The video's length in seconds, when known. */
  seconds: number | null;
  /** The aspect ratio, when known. */
  size: string | null;
  /** The resolution, when known. */
  resolution: string | null;
  /** The reference images' paths as written. */
  images: string[];
  /** The video's path relative to the output folder, once downloaded. */
  output: string | null;
  /** The video's size in bytes, once downloaded. */
  bytes: number | null;
  /** Hex SHA-256 of the video, once downloaded. */
  sha256: string | null;
  /** How many submissions were made. */
  attempts: number;
  /** When the latest submission was sent. */
  submitted_at: string | null;
  /** When the task reached a terminal status. */
  completed_at: string | null;
  /** When the video was downloaded. */
  downloaded_at: string | null;
  /** Why the job failed or is invalid. */
  error: JobError | null;
  /** Added field: the job's prompt as sent (trimmed); null for an invalid job. */
  prompt: string | null;
  /** Added field: the downloaded video's length in seconds, as its MP4 boxes say; null when unknown. */
  video_duration: number | null;
  /** Added field: the downloaded video's width in pixels; null when unknown. */
  video_width: number | null;
  /** Added field: the downloaded video's height in pixels; null when unknown. */
  video_height: number | null;
  /** Added field: the video track's codec (e.g. `avc1`); null when unknown. */
  video_codec: string | null;
  /**
   * Added field: how the video differs from what was asked for (duration,
   * aspect ratio), one sentence each; `[]` when it matches, null when unknown.
   * A mismatch is a warning: the job is still done.
   */
  video_mismatch: string[] | null;
  /**
   * Added with `--prices`: the job's estimated cost as decimal text in the
   * estimate's currency; null when it has no price. Absent without `--prices`.
   */
  estimated_cost?: string | null;
  /**
   * Added in a merged report (`report --merge`, or the `shard-*-of-*` folders):
   * the shard the job's row comes from, `K/N` for a shard's folder, else the
   * folder's path; null for a job no merged folder holds. Absent otherwise.
   */
  shard?: string | null;
}

/** Counts per status. */
export interface ReportTotals {
  /** All jobs of the manifest. */
  jobs: number;
  /** Jobs whose video is downloaded. */
  done: number;
  /** Jobs that failed. */
  failed: number;
  /** Jobs that failed validation. */
  invalid: number;
  /** Jobs not submitted yet. */
  pending: number;
  /** Jobs whose task is not finished or not downloaded. */
  running: number;
  /** Jobs whose submission has an unknown outcome. */
  uncertain: number;
  /**
   * Added field: done jobs whose video does not match what was asked for (a
   * warning, counted among `done` too). Always set by {@linkcode buildReport}.
   */
  mismatched?: number;
  /**
   * Jobs edited after they were submitted (error code `job_changed`): counted
   * in `failed` too, as their status says; `run --rerender-changed` renders
   * their new version. Always set by {@linkcode buildReport}; optional so
   * that totals made elsewhere (a merged report, a test) may leave it out.
   */
  changed?: number;
}

/** The whole report (report.json). */
export interface ReportModel {
  /** The manifest's path. */
  manifest: string;
  /** When the report was built (ISO 8601). */
  generated_at: string;
  /** Counts per status. */
  totals: ReportTotals;
  /** One row per job, in manifest order. */
  jobs: ReportJob[];
  /** Added with `--prices`: the spend estimate (see src/report/estimate.ts). */
  estimate?: EstimateJson;
  /** Added in a merged report: the folders merged, relative to the report's folder. */
  merged?: string[];
  /**
   * Added by `run`, as report.json's last field: the digest of what the
   * reports show (see src/report/current.ts); a later run that would write
   * the same digest leaves the reports as they are.
   */
  report_digest?: string;
}

/**
 * A job that failed validation, as the report needs it: an
 * {@linkcode InvalidJob} whose errors need only their field, message and
 * code (the first one's code becomes the row's).
 */
export type InvalidJobRow =
  & Pick<
    InvalidJob,
    "index" | "line" | "id" | "model" | "seconds" | "size" | "resolution" | "images"
  >
  & { issues: Array<Pick<Issue, "field" | "message"> & Partial<Pick<Issue, "code">>> };

/**
 * Build the report. The totals are counted at once; the rows (`jobs`) are
 * made when first read, so a run whose reports are already current never
 * holds a million of them.
 *
 * @param input The manifest path, the jobs (valid and invalid), the journal's states and the time.
 * @returns The report model.
 */
export function buildReport(input: {
  manifest: string;
  jobs: readonly Job[];
  invalid?: readonly InvalidJobRow[];
  states: ReadonlyMap<string, JobState>;
  generatedAt: Date;
}): ReportModel {
  const valid = inOrder(input.jobs);
  const invalid = inOrder(input.invalid ?? []);
  // The rows in manifest order: the valid and the invalid jobs merged by
  // position (each list is in that order already, as validation gives them).
  function* rows(): Generator<ReportJob> {
    let v = 0;
    let i = 0;
    while (v < valid.length || i < invalid.length) {
      if (i >= invalid.length || (v < valid.length && valid[v].index < invalid[i].index)) {
        const job = valid[v++];
        yield jobRow(job, input.states.get(job.id));
      } else {
        yield invalidRow(invalid[i++]);
      }
    }
  }
  const totals: ReportTotals = {
    jobs: valid.length + invalid.length,
    done: 0,
    failed: 0,
    invalid: 0,
    pending: 0,
    running: 0,
    uncertain: 0,
    mismatched: 0,
    changed: 0,
  };
  // Counted from rows made one at a time and let go: the list of a million
  // rows is made only when something reads it (a report being written).
  for (const job of rows()) {
    totals[job.status]++;
    if (isMismatched(job)) totals.mismatched = (totals.mismatched ?? 0) + 1;
    if (job.error?.code === "job_changed") totals.changed = (totals.changed ?? 0) + 1;
  }
  const report = {
    manifest: input.manifest,
    generated_at: input.generatedAt.toISOString(),
    totals,
  } as ReportModel;
  let made: ReportJob[] | undefined;
  Object.defineProperty(report, "jobs", {
    enumerable: true,
    configurable: true,
    get: () => made ??= Array.from(rows()),
    set: (jobs: ReportJob[]) => {
      made = jobs;
    },
  });
  return report;
}

/** The list itself when it is in manifest order, else a sorted copy. */
function inOrder<T extends { index: number }>(list: readonly T[]): readonly T[] {
  for (let at = 1; at < list.length; at++) {
    if (list[at - 1].index > list[at].index) return [...list].sort((a, b) => a.index - b.index);
  }
  return list;
}

/**
 * Whether a job's video is known not to match what was asked for.
 *
 * @param job A report row.
 * @returns True when its video has at least one mismatch.
 */
export function isMismatched(job: Pick<ReportJob, "video_mismatch">): boolean {
  return job.video_mismatch !== null && job.video_mismatch.length > 0;
}

/** The report's video fields of a job with no known video. */
const NO_VIDEO = {
  video_duration: null,
  video_width: null,
  video_height: null,
  video_codec: null,
  video_mismatch: null,
} as const;

/** The report's video fields of a done job: what its boxes say, compared with its request. */
function videoFields(job: Job, video: VideoMetadata | undefined): Pick<
  ReportJob,
  "video_duration" | "video_width" | "video_height" | "video_codec" | "video_mismatch"
> {
  if (video === undefined) return NO_VIDEO;
  const facts = {
    durationSeconds: video.duration,
    width: video.width,
    height: video.height,
    codec: video.codec,
  };
  return {
    video_duration: video.duration,
    video_width: video.width,
    video_height: video.height,
    video_codec: video.codec,
    video_mismatch: videoMismatches(facts, job),
  };
}

function jobRow(job: Job, journalState: JobState | undefined): ReportJob {
  const base: ReportJob = {
    id: job.id,
    line: job.line,
    status: "pending",
    task_id: null,
    model: job.model,
    seconds: job.seconds,
    size: job.size,
    resolution: job.resolution,
    images: job.images.map((image) => image.path),
    output: null,
    bytes: null,
    sha256: null,
    attempts: journalState?.attempts ?? 0,
    submitted_at: null,
    completed_at: null,
    downloaded_at: null,
    error: null,
    prompt: job.prompt,
    ...NO_VIDEO,
  };
  const { standing, state } = standingOf(job, journalState);
  if (state === undefined) return base;
  const submitted = { ...base, submitted_at: state.submittedAt ?? null };
  if (standing === "changed") {
    return {
      ...submitted,
      status: "failed",
      task_id: state.task ?? null,
      error: changedError(job, state),
    };
  }
  switch (state.phase) {
    case "pending":
      return { ...submitted, error: state.error ?? null };
    case "uncertain":
      return { ...submitted, status: "uncertain" };
    case "running":
    case "succeeded":
      return {
        ...submitted,
        status: "running",
        task_id: state.task,
        completed_at: state.completedAt ?? null,
        // Why a succeeded task's video is not on disk yet (a local problem, a lost video).
        error: state.held ?? null,
      };
    case "done":
      return {
        ...submitted,
        status: "done",
        task_id: state.task,
        output: state.output,
        bytes: state.bytes,
        sha256: state.sha256,
        completed_at: state.completedAt ?? null,
        downloaded_at: state.downloadedAt,
        ...videoFields(job, state.video),
      };
    case "failed":
      return {
        ...submitted,
        status: "failed",
        task_id: state.task ?? null,
        completed_at: state.completedAt ?? null,
        error: state.error,
      };
  }
}

function invalidRow(job: InvalidJobRow): ReportJob {
  const first = job.issues[0];
  return {
    id: job.id,
    line: job.line,
    status: "invalid",
    task_id: null,
    model: job.model ?? null,
    seconds: job.seconds ?? null,
    size: job.size ?? null,
    resolution: job.resolution ?? null,
    images: job.images,
    output: null,
    bytes: null,
    sha256: null,
    attempts: 0,
    submitted_at: null,
    completed_at: null,
    downloaded_at: null,
    error: {
      code: first?.code ?? "invalid",
      message: job.issues.map((issue) => issue.message).join("; "),
    },
    prompt: null,
    ...NO_VIDEO,
  };
}
