/**
 * What a run of a manifest would do, counted (pure): jobs by model and
 * resolution, seconds of video, image uploads, and where the jobs stand
 * according to the journal.
 *
 * @module
 */
import type { JobState } from "./journal/events.ts";
import type { Job } from "./manifest/job.ts";
import { standingOf } from "./plan.ts";

/** Jobs of one model at one resolution. */
export interface ModelCount {
  /** The model. */
  model: string;
  /** The resolution. */
  resolution: string;
  /** Jobs of that model and resolution. */
  jobs: number;
  /** Seconds of video these jobs render. */
  seconds: number;
}

/** Where the manifest's jobs stand according to the journal. */
export interface JournalCounts {
  /** Video downloaded. */
  done: number;
  /** A task exists and is not terminal, or succeeded and is not downloaded yet. */
  running: number;
  /** A submission whose outcome is unknown. */
  uncertain: number;
  /** The service rejected it, or its task ended FAILED or ERROR. */
  failed: number;
  /** Never submitted (or known not to have created a task). */
  pending: number;
  /** The journal's fingerprint differs from the job's current one: the job was edited. */
  changed: number;
  /** Job ids in the journal that the manifest no longer has. */
  notInManifest: number;
}

/** The plan's numbers. */
export interface PlanSummary {
  /** The valid jobs. */
  jobs: number;
  /** Total seconds of video to render. */
  seconds: number;
  /** Sorted by model, then resolution. */
  byModel: ModelCount[];
  /** The reference images the jobs upload. */
  images: {
    /** `input_reference` parts sent, one per image per job. */
    uploads: number;
    /** Bytes those parts carry. */
    bytes: number;
    /** Distinct image files. */
    files: number;
  };
  /** Undefined when there is no journal yet. */
  journal?: JournalCounts;
}

/**
 * Count what a run would do.
 *
 * @param jobs The valid jobs.
 * @param states The journal's state per job id; undefined when there is no journal.
 * @returns The plan's numbers.
 */
export function summarizePlan(
  jobs: readonly Job[],
  states?: ReadonlyMap<string, JobState>,
): PlanSummary {
  const groups = new Map<string, ModelCount>();
  const files = new Set<string>();
  let seconds = 0;
  let uploads = 0;
  let bytes = 0;
  for (const job of jobs) {
    const key = `${job.model}\u0000${job.resolution}`;
    const group = groups.get(key) ??
      { model: job.model, resolution: job.resolution, jobs: 0, seconds: 0 };
    group.jobs += 1;
    group.seconds += job.seconds;
    groups.set(key, group);
    seconds += job.seconds;
    for (const image of job.images) {
      uploads += 1;
      bytes += image.bytes;
      files.add(image.resolved);
    }
  }
  const byModel = [...groups.values()].sort((a, b) =>
    a.model.localeCompare(b.model) ||
    a.resolution.localeCompare(b.resolution, "en", { numeric: true })
  );
  return {
    jobs: jobs.length,
    seconds,
    byModel,
    images: { uploads, bytes, files: files.size },
    journal: states ? countStates(jobs, states) : undefined,
  };
}

function countStates(jobs: readonly Job[], states: ReadonlyMap<string, JobState>): JournalCounts {
  const counts: JournalCounts = {
    done: 0,
    running: 0,
    uncertain: 0,
    failed: 0,
    pending: 0,
    changed: 0,
    notInManifest: 0,
  };
  const ids = new Set<string>();
  for (const job of jobs) {
    ids.add(job.id);
    counts[standingOf(job, states.get(job.id)).standing] += 1;
  }
  for (const id of states.keys()) if (!ids.has(id)) counts.notInManifest += 1;
  return counts;
}
