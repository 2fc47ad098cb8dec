/**
 * Seeded random journal event sequences for property tests: every event type,
 * over a few jobs, with keys and tasks mostly the job's current ones (so jobs
 * move through their phases) and sometimes stale ones, copies and jobs never
 * sent (so the rules for late, repeated and adopted events are exercised).
 *
 * @module
 */
import { createRandom, pick, type Random } from "../../src/simulator/random.ts";
import type { JobError } from "../../src/domain/job_error.ts";
import type { JournalEvent, VideoMetadata } from "../../src/journal/events.ts";
import type { TaskStatus } from "../../src/domain/task_status.ts";

const ERRORS: JobError[] = [
  { code: "FAILED", message: "content policy" },
  { code: "download_failed", message: "URL expired" },
  { code: "download_write", message: "disk full" },
  { code: "disk_space", message: "not enough room" },
  { code: "video_missing", message: "gone" },
];
const STATUSES: TaskStatus[] = ["queued", "in_progress", "succeeded", "failed", "unknown"];
const VIDEO: VideoMetadata = { duration: 5, width: 1280, height: 720, codec: "avc1" };

/**
 * A seeded sequence of journal events.
 *
 * @param seed The seed.
 * @param count How many events.
 * @param jobs How many job ids (`j0`, `j1`, ...).
 * @returns The events, in journal order.
 */
export function randomEvents(seed: number, count: number, jobs = 3): JournalEvent[] {
  const random = createRandom(seed);
  const current = new Map<string, { key: string; task: string }>();
  const events: JournalEvent[] = [];
  for (let i = 0; i < count; i++) {
    const job = `j${Math.floor(random() * jobs)}`;
    const mine = current.get(job) ?? { key: `${job}-k0`, task: `${job}-t0` };
    current.set(job, mine);
    // Mostly the job's current key and task; sometimes an old or a new one.
    const key = random() < 0.75 ? mine.key : `${job}-k${Math.floor(random() * 4)}`;
    const task = random() < 0.75 ? mine.task : `${job}-t${Math.floor(random() * 4)}`;
    const at = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
    events.push(randomEvent(random, { at, job, key, task }));
    const last = events[events.length - 1];
    if (last.type === "submitting") mine.key = last.key;
    if (last.type === "submitted") mine.task = last.task;
    // Now and then the same event again (a recovery file folded twice).
    if (random() < 0.05) events.push(structuredClone(last));
  }
  return events;
}

function randomEvent(
  random: Random,
  { at, job, key, task }: { at: string; job: string; key: string; task: string },
): JournalEvent {
  const error = pick(random, ERRORS);
  switch (Math.floor(random() * 14)) {
    case 0:
      return { type: "run_started", at, pid: 1, host: "h", version: "0" };
    case 1:
    case 2:
      return { type: "submitting", at, job, fingerprint: pick(random, ["f1", "f2"]), key };
    case 3:
      return { type: "not_created", at, job, key, status: pick(random, [0, 429]), message: "no" };
    case 4:
      return { type: "submitted", at, job, key, task };
    case 5:
      return { type: "rejected", at, job, key, status: 400, error };
    case 6:
      return { type: "outcome_unknown", at, job, key, message: "hang up" };
    case 7: {
      const progress = random() < 0.5 ? {} : { progress: Math.floor(random() * 100) };
      return { type: "status", at, job, task, status: pick(random, STATUSES), ...progress };
    }
    case 8:
      return { type: "task_failed", at, job, task, error };
    case 9:
      return { type: "task_succeeded", at, job, task };
    case 10:
      return {
        type: "downloaded",
        at,
        job,
        task,
        output: `videos/${job}.mp4`,
        bytes: 1000 + Math.floor(random() * 1000),
        sha256: "ab".repeat(32),
        ...(random() < 0.5 ? { video: VIDEO } : {}),
      };
    case 11:
      return { type: "download_failed", at, job, task, error };
    case 12:
      return { type: "download_held", at, job, task, error };
    default:
      return { type: "video_lost", at, job, task, output: `videos/${job}.mp4`, error };
  }
}
