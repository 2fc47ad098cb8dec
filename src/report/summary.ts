/**
 * The report model: the validated jobs (and the invalid ones) joined with the
 * journal's states, in the shape of CONTRACT.md's report.json. Pure.
 *
 * @module
 */
import type { Job } from "../manifest/job.ts";
import type { JobError, JobState } from "../journal/events.ts";
import { changedError } from "../plan.ts";

/** A job's status in the report. */
export type ReportStatus = "done" | "failed" | "invalid" | "pending" | "running" | "uncertain";

/** One row of the report. */
export interface ReportJob {
  id: string;
  line: number;
  status: ReportStatus;
  task_id: string | null;
  model: string | null;
  seconds: number | null;
  size: string | null;
  resolution: string | null;
  images: string[];
  output: string | null;
  bytes: number | null;
  sha256: string | null;
  attempts: number;
  submitted_at: string | null;
  completed_at: string | null;
  downloaded_at: string | null;
  error: JobError | null;
}

/** Counts per status. */
export interface ReportTotals {
  jobs: number;
  done: number;
  failed: number;
  invalid: number;
  pending: number;
  running: number;
  uncertain: number;
}

/** The whole report (report.json). */
export interface ReportModel {
  manifest: string;
  generated_at: string;
  totals: ReportTotals;
  jobs: ReportJob[];
}

/** A job that failed validation, as the report needs it. */
export interface InvalidJobRow {
  index: number;
  line: number;
  id: string;
  model?: string;
  seconds?: number;
  size?: string;
  resolution?: string;
  images: string[];
  issues: { field: string | null; message: string; code?: string }[];
}

/**
 * Build the report.
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
  const rows: Array<{ index: number; row: ReportJob }> = [];
  for (const job of input.jobs) {
    rows.push({ index: job.index, row: jobRow(job, input.states.get(job.id)) });
  }
  for (const job of input.invalid ?? []) rows.push({ index: job.index, row: invalidRow(job) });
  rows.sort((a, b) => a.index - b.index);
  const jobs = rows.map((r) => r.row);
  const totals: ReportTotals = {
    jobs: jobs.length,
    done: 0,
    failed: 0,
    invalid: 0,
    pending: 0,
    running: 0,
    uncertain: 0,
  };
  for (const job of jobs) totals[job.status]++;
  return { manifest: input.manifest, generated_at: input.generatedAt.toISOString(), totals, jobs };
}

function jobRow(job: Job, state: JobState | undefined): ReportJob {
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
    attempts: state?.attempts ?? 0,
    submitted_at: null,
    completed_at: null,
    downloaded_at: null,
    error: null,
  };
  if (state === undefined) return base;
  const submitted = { ...base, submitted_at: state.submittedAt ?? null };
  if (state.fingerprint !== undefined && state.fingerprint !== job.fingerprint) {
    if (state.phase === "pending") return base;
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
        task_id: state.task ?? null,
        completed_at: state.completedAt ?? null,
      };
    case "done":
      return {
        ...submitted,
        status: "done",
        task_id: state.task ?? null,
        output: state.output ?? job.output,
        bytes: state.bytes ?? null,
        sha256: state.sha256 ?? null,
        completed_at: state.completedAt ?? null,
        downloaded_at: state.downloadedAt ?? null,
      };
    case "failed":
      return {
        ...submitted,
        status: "failed",
        task_id: state.task ?? null,
        completed_at: state.completedAt ?? null,
        error: state.error ?? { code: "failed", message: "The job failed" },
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
  };
}
