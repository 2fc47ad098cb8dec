/**
 * Builders for values the tests need: jobs and journal states.
 *
 * @module
 */
import type { Job } from "../../src/manifest/job.ts";
import type { JobPhase, JobState } from "../../src/journal/events.ts";

/** A valid job with sensible defaults. */
export function makeJob(overrides: Partial<Job> & { id: string }): Job {
  return {
    index: 0,
    line: 1,
    safeId: overrides.id,
    prompt: `prompt of ${overrides.id}`,
    model: "doubao-seedance-1-0-pro",
    seconds: 5,
    size: "16:9",
    resolution: "720p",
    images: [],
    output: `videos/${overrides.id}.mp4`,
    fingerprint: `fp-${overrides.id}`,
    ...overrides,
  };
}

/** The state of a job in one phase. */
type StateOf<P extends JobPhase> = Extract<JobState, { phase: P }>;

/** What a test gives for a state: its id and phase, and any fields that phase has. */
export type StateFields = {
  [P in JobPhase]: { job: string; phase: P } & Partial<Omit<StateOf<P>, "job" | "phase">>;
}[JobPhase];

/** The time the defaults carry. */
const T0 = "2026-01-01T00:00:00.000Z";

/**
 * A journal state as replay builds it: the fields its phase requires get
 * defaults (a task `task-<job>`, a video `videos/<job>.mp4`, a failure:
 * `task` when a task is given, else `rejected`), and `fields` override them.
 */
export function makeState(fields: StateFields): JobState {
  const { job } = fields;
  const task = { task: `task-${job}`, createdAt: T0 };
  const failure = fields.failure ?? (fields.task === undefined ? "rejected" : "task");
  const defaults = {
    pending: {},
    uncertain: { openKey: `key-${job}`, submittedAt: T0 },
    running: task,
    succeeded: task,
    done: { ...task, output: `videos/${job}.mp4`, bytes: 0, sha256: "", downloadedAt: T0 },
    failed: {
      ...(failure === "rejected" ? {} : task),
      ...(failure === "task" ? { completedAt: T0 } : {}),
      failure,
      error: { code: "failed", message: "The job failed" },
    },
  }[fields.phase];
  return { attempts: 0, ...defaults, ...fields } as JobState;
}
