/**
 * The journal lines a finished run leaves, for the benchmarks that start
 * from a batch already done (resume, compaction, replay): `run_started`,
 * then for each job the five events a real run writes (submitting,
 * submitted, status, task_succeeded, downloaded).
 *
 * @module
 */
import type { DownloadedEvent, JournalEvent } from "../src/journal/events.ts";

/** What a done job's events say about it. */
export interface DoneJob {
  /** The job's id. */
  id: string;
  /** Its content fingerprint. */
  fingerprint: string;
  /** Its task id. */
  task: string;
  /** Its video, relative to the output folder. */
  output: string;
  /** The video's size. */
  bytes: number;
  /** The video's SHA-256. */
  sha256: string;
  /** The video's facts, when the run read them. */
  video?: DownloadedEvent["video"];
}

/**
 * The run's first line.
 *
 * @param startMs When the run started.
 * @returns The event.
 */
export function benchRunStarted(startMs: number): JournalEvent {
  return {
    type: "run_started",
    at: new Date(startMs).toISOString(),
    pid: 1,
    host: "bench",
    version: "bench",
  };
}

/**
 * The five events of job `index` of a finished run, 1 ms apart, 10 ms after
 * the previous job's.
 *
 * @param job The job.
 * @param index Its place in the run.
 * @param startMs When the run started.
 * @returns The events, in the order a run writes them.
 */
export function doneJobEvents(job: DoneJob, index: number, startMs: number): JournalEvent[] {
  const at = (offset: number): string => new Date(startMs + index * 10 + offset).toISOString();
  const { id, task } = job;
  const key = crypto.randomUUID();
  return [
    { type: "submitting", at: at(0), job: id, fingerprint: job.fingerprint, key },
    { type: "submitted", at: at(1), job: id, key, task },
    { type: "status", at: at(2), job: id, task, status: "in_progress", progress: 50 },
    { type: "task_succeeded", at: at(3), job: id, task },
    {
      type: "downloaded",
      at: at(4),
      job: id,
      task,
      output: job.output,
      bytes: job.bytes,
      sha256: job.sha256,
      ...(job.video === undefined ? {} : { video: job.video }),
    },
  ];
}
