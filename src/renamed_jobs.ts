/**
 * Jobs that look renamed: a job the journal has never seen that sends exactly
 * the request of a job the journal paid for (or may have paid for) under an
 * id no longer in the manifest. Running it renders and bills that request
 * again; that may be meant (more takes of a shot) or not (an id edited, or a
 * YAML id such as `007` that older versions read as `7`), so the run says so
 * before anything is sent. Pure.
 *
 * @module
 */
import type { JobPhase, JobState } from "./journal/events.ts";
import type { Job } from "./manifest/job.ts";

/** A new job that sends what an earlier, vanished job sent. */
export interface RenamedJob {
  /** The job in the manifest. */
  job: Job;
  /** The id the journal knows that request by. */
  journalId: string;
  /** Where that earlier job stands. */
  phase: JobPhase;
  /** Its task, if one exists. */
  task?: string;
}

/** Phases in which a request was (or may have been) paid for. */
const PAID: ReadonlySet<JobPhase> = new Set<JobPhase>([
  "done",
  "succeeded",
  "running",
  "uncertain",
]);

/**
 * Find the jobs that look renamed.
 *
 * @param jobs The manifest's valid jobs.
 * @param states The journal's states, by job id.
 * @returns One entry per new job whose fingerprint a vanished, paid job had.
 */
export function findRenamedJobs(
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
): RenamedJob[] {
  const inManifest = new Set(jobs.map((job) => job.id));
  const vanished = new Map<string, JobState>();
  for (const [id, state] of states) {
    if (inManifest.has(id) || state.fingerprint === undefined || !PAID.has(state.phase)) continue;
    if (!vanished.has(state.fingerprint)) vanished.set(state.fingerprint, state);
  }
  if (vanished.size === 0) return [];
  const renamed: RenamedJob[] = [];
  for (const job of jobs) {
    if (states.has(job.id)) continue;
    const earlier = vanished.get(job.fingerprint);
    if (earlier === undefined) continue;
    renamed.push({
      job,
      journalId: earlier.job,
      phase: earlier.phase,
      ...(earlier.task !== undefined ? { task: earlier.task } : {}),
    });
  }
  return renamed;
}

/**
 * The notice for a renamed-looking job.
 *
 * @param renamed From {@linkcode findRenamedJobs}.
 * @param manifest The manifest's path, for `file:line`.
 * @returns One line.
 */
export function renamedJobNotice(renamed: RenamedJob, manifest: string): string {
  const { job, journalId, phase, task } = renamed;
  const where = task === undefined ? phase : `${phase}, task ${task}`;
  return `warning: job "${job.id}" at ${manifest}:${job.line} sends the same request as job ` +
    `"${journalId}" in the journal (${where}), which is no longer in the manifest; it will be ` +
    `rendered and billed again. If it is the same job, give it id "${journalId}" to keep that result`;
}
