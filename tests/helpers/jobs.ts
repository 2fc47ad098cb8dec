/**
 * Builders for values the tests need: jobs and journal states.
 *
 * @module
 */
import type { Job } from "../../src/manifest/job.ts";
import type { JobState } from "../../src/journal/events.ts";

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

/** A journal state with defaults. */
export function makeState(overrides: Partial<JobState> & { job: string }): JobState {
  return { phase: "pending", attempts: 0, ...overrides };
}
