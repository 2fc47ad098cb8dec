/**
 * The run as the live view sees it: a small state fed by the run's events
 * ({@linkcode reduceLive}), and the status block drawn from it
 * ({@linkcode renderStatusBlock}, {@linkcode renderStatusLine}). Pure: the
 * time is an argument, nothing here prints.
 *
 * The counts are this run's: jobs with nothing to do (done, failed or
 * uncertain in an earlier run) are counted as `skipped`.
 *
 * @module
 */
import type { RunEvent } from "../runner/events.ts";
import { escapeControls } from "../text.ts";

/** A task this run knows is alive at the service (or being downloaded). */
export interface LiveTask {
  job: string;
  task: string;
  /** When this run first saw it (submitted, or first polled), in ms. */
  since: number;
  /** When this run submitted it; unset for a task an earlier run made. */
  submittedAt?: number;
  status: "queued" | "in_progress" | "unknown" | "downloading";
  progress?: number;
}

/** What the live view knows of the run. */
export interface LiveState {
  /** When `run_started` arrived, in ms; unset before. */
  startedAt?: number;
  /** All jobs of the run. */
  jobs: number;
  /** Jobs the run had nothing to do for. */
  skipped: number;
  /** Jobs still to submit in this run. */
  toSubmit: number;
  /** Tasks an earlier run left rendering that this run has not heard of yet. */
  unseenRunning: number;
  /** Finished tasks an earlier run left to download that this run has not heard of yet. */
  unseenDownloads: number;
  /** Tasks alive (or downloading), by job, oldest first. */
  live: Map<string, LiveTask>;
  done: number;
  failed: number;
  /** Failed because the job was edited after its submission. */
  changed: number;
  uncertain: number;
  /** Not submitted in this run; pending for the next. */
  deferred: number;
  /** Left rendering at the service for the next run (`--max-wait`). */
  timedOut: number;
  /** Rendered, with the download left for the next run (a local problem, the pass's end). */
  held: number;
  /** Render times (submit to success) of the tasks this run submitted. */
  renderMs: number[];
  /** Set once the run stops submitting. */
  stopping: boolean;
  finished: boolean;
}

/** The state before any event. */
export function initialLiveState(): LiveState {
  return {
    jobs: 0,
    skipped: 0,
    toSubmit: 0,
    unseenRunning: 0,
    unseenDownloads: 0,
    live: new Map(),
    done: 0,
    failed: 0,
    changed: 0,
    uncertain: 0,
    deferred: 0,
    timedOut: 0,
    held: 0,
    renderMs: [],
    stopping: false,
    finished: false,
  };
}

/**
 * The state after one event. The state given is not changed.
 *
 * @param state The state so far.
 * @param event The run's next event.
 * @param now The time the event arrived, in ms.
 * @returns The new state.
 */
export function reduceLive(state: LiveState, event: RunEvent, now: number): LiveState {
  const next: LiveState = { ...state, live: new Map(state.live), renderMs: state.renderMs };
  const leave = (job: string): LiveTask | undefined => {
    const task = next.live.get(job);
    if (task !== undefined) next.live.delete(job);
    return task;
  };
  /** The job's task, seen now for the first time when an earlier run made it. */
  const see = (job: string, task: string): LiveTask => {
    const known = next.live.get(job);
    if (known !== undefined) return known;
    next.unseenRunning = Math.max(0, next.unseenRunning - 1);
    const fresh: LiveTask = { job, task, since: now, status: "queued" };
    next.live.set(job, fresh);
    return fresh;
  };
  switch (event.type) {
    case "run_started":
      next.startedAt = now;
      next.jobs = event.jobs;
      next.skipped = event.skipped;
      next.toSubmit = event.toSubmit;
      next.unseenRunning = event.toPoll;
      next.unseenDownloads = event.toDownload;
      break;
    case "job_submitted":
      next.toSubmit = Math.max(0, next.toSubmit - 1);
      next.live.set(event.job, {
        job: event.job,
        task: event.task,
        since: now,
        submittedAt: now,
        status: "queued",
      });
      break;
    case "status_changed": {
      const task = see(event.job, event.task);
      if (event.status === "succeeded") {
        if (task.submittedAt !== undefined) {
          next.renderMs = [...next.renderMs, now - task.submittedAt];
        }
        next.live.set(event.job, { ...task, status: "downloading", progress: 100 });
      } else if (event.status === "queued" || event.status === "in_progress") {
        next.live.set(event.job, {
          ...task,
          status: event.status,
          ...(event.progress === undefined ? {} : { progress: event.progress }),
        });
      }
      break;
    }
    case "unknown_status":
      next.live.set(event.job, { ...see(event.job, event.task), status: "unknown" });
      break;
    case "download_finished":
      if (leave(event.job) === undefined) {
        next.unseenDownloads = Math.max(0, next.unseenDownloads - 1);
      }
      next.done++;
      break;
    case "job_failed":
      if (leave(event.job) === undefined) {
        // A job never heard of: a submission refused, else a task of an earlier
        // run whose download (or, failing that, whose render) failed.
        if (event.task === undefined) next.toSubmit = Math.max(0, next.toSubmit - 1);
        else if (next.unseenDownloads > 0) next.unseenDownloads--;
        else next.unseenRunning = Math.max(0, next.unseenRunning - 1);
      }
      next.failed++;
      if (event.error.code === "job_changed") next.changed++;
      break;
    case "job_changed":
      // Left as it is: shown as changed. Re-rendered: a submission like any other.
      if (!event.rerender) next.changed++;
      break;
    case "job_uncertain":
      next.toSubmit = Math.max(0, next.toSubmit - 1);
      next.uncertain++;
      break;
    case "job_deferred":
      next.toSubmit = Math.max(0, next.toSubmit - 1);
      next.deferred++;
      break;
    case "task_timed_out":
      if (leave(event.job) === undefined) next.unseenRunning = Math.max(0, next.unseenRunning - 1);
      next.timedOut++;
      break;
    case "download_held":
    case "download_deferred":
      if (leave(event.job) === undefined) {
        next.unseenDownloads = Math.max(0, next.unseenDownloads - 1);
      }
      next.held++;
      break;
    case "video_lost":
      // Its new download was planned before the run started: counted already.
      break;
    case "run_stopping":
      next.stopping = true;
      break;
    case "run_finished":
      next.finished = true;
      break;
    default:
      return state;
  }
  return next;
}

/** Tasks alive at the service (not counting those being downloaded). */
export function inFlight(state: LiveState): number {
  let count = state.unseenRunning;
  for (const task of state.live.values()) if (task.status !== "downloading") count++;
  return count;
}

/** Jobs this run still has to carry to the end: to submit, rendering or downloading. */
function jobsLeft(state: LiveState): number {
  return (state.stopping ? 0 : state.toSubmit) + state.unseenRunning + state.unseenDownloads +
    state.live.size;
}

/** Mean render time of the tasks this run saw finish, or undefined before the first. */
export function meanRenderMs(state: LiveState): number | undefined {
  if (state.renderMs.length === 0) return undefined;
  return state.renderMs.reduce((a, b) => a + b, 0) / state.renderMs.length;
}

/**
 * Time until the run ends, from the mean render time: the render time the
 * tasks in flight still need (the mean less their age) plus a whole mean for
 * each job still to submit, shared among `concurrency` slots, and never less
 * than the longest single job's remainder. Undefined before a task finished.
 *
 * @param state The run's state.
 * @param now The time, in ms.
 * @param concurrency The bound on tasks in flight.
 * @returns Milliseconds, or undefined when unknown.
 */
export function etaMs(state: LiveState, now: number, concurrency: number): number | undefined {
  if (jobsLeft(state) === 0) return 0;
  const mean = meanRenderMs(state);
  if (mean === undefined) return undefined;
  let work = 0;
  let longest = 0;
  for (const task of state.live.values()) {
    const left = task.status === "downloading" ? 0 : Math.max(0, mean - (now - task.since));
    work += left;
    longest = Math.max(longest, left);
  }
  const toSubmit = state.stopping ? 0 : state.toSubmit;
  work += (toSubmit + state.unseenRunning) * mean;
  if (toSubmit + state.unseenRunning > 0) longest = Math.max(longest, mean);
  return Math.max(work / Math.max(1, concurrency), longest);
}

/**
 * A duration for people: `45s`, `3m05s`, `1h02m`.
 *
 * @param ms Milliseconds (0 or more).
 * @returns The duration.
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** How the block is drawn. */
export interface RenderOptions {
  /** The time, in ms. */
  now: number;
  /** Columns: each line is cut to fit. */
  width: number;
  /** The bound on tasks in flight. */
  concurrency: number;
  /** Oldest live tasks listed. @default 3 */
  oldest?: number;
}

/** The jobs-by-state part of the block. */
function countsText(state: LiveState): string {
  const active = state.jobs - state.skipped;
  const running = state.unseenRunning + state.unseenDownloads + state.live.size;
  const parts = [
    `${state.done}/${active} done`,
    `${running} running`,
    `${state.toSubmit + state.deferred} pending`,
    `${state.failed} failed`,
    `${state.uncertain} uncertain`,
  ];
  if (state.changed > 0) parts.push(`${state.changed} changed`);
  if (state.timedOut > 0) parts.push(`${state.timedOut} left rendering`);
  if (state.held > 0) parts.push(`${state.held} left to download`);
  if (state.skipped > 0) parts.push(`${state.skipped} with nothing to do`);
  return parts.join(" · ");
}

/** In flight, elapsed, throughput and ETA. */
function pace(state: LiveState, options: RenderOptions): string {
  const elapsed = options.now - (state.startedAt ?? options.now);
  const perMinute = elapsed > 0 ? state.done / (elapsed / 60_000) : 0;
  const eta = etaMs(state, options.now, options.concurrency);
  return [
    `in flight ${inFlight(state)}/${options.concurrency}`,
    `elapsed ${formatDuration(elapsed)}`,
    `${perMinute.toFixed(1)} jobs/min`,
    state.stopping ? "stopping" : eta === undefined ? "ETA unknown" : `ETA ${formatDuration(eta)}`,
  ].join(" · ");
}

/** A progress bar of `size` cells. */
function bar(state: LiveState, size: number): string {
  const active = Math.max(1, state.jobs - state.skipped);
  const ended = Math.min(active, state.done + state.failed + state.uncertain);
  const full = Math.round((ended / active) * size);
  return `[${"#".repeat(full)}${".".repeat(size - full)}]`;
}

/** A line cut to `width` columns (an ellipsis marks the cut). */
function fit(line: string, width: number): string {
  const chars = [...line];
  if (chars.length <= width) return line;
  return width <= 1 ? chars.slice(0, width).join("") : chars.slice(0, width - 1).join("") + "…";
}

/**
 * The status block: the jobs by state with a bar, the pace (tasks in flight
 * against the bound, elapsed, jobs done a minute, ETA), and the oldest live
 * tasks with their service progress. Ids from the manifest and the service
 * have their control characters escaped; no line is wider than `width`.
 *
 * @param state The run's state.
 * @param options Time, width and the bound.
 * @returns The block's lines (empty before the run started).
 */
export function renderStatusBlock(state: LiveState, options: RenderOptions): string[] {
  if (state.startedAt === undefined) return [];
  const lines = [`${bar(state, 20)} ${countsText(state)}`, pace(state, options)];
  const oldest = [...state.live.values()]
    .sort((a, b) => a.since - b.since)
    .slice(0, options.oldest ?? 3);
  for (const task of oldest) {
    const what = task.status === "downloading"
      ? "downloading"
      : task.status === "in_progress"
      ? `rendering${task.progress === undefined ? "" : ` ${task.progress}%`}`
      : task.status === "unknown"
      ? "unknown status"
      : `queued${task.progress === undefined ? "" : ` ${task.progress}%`}`;
    lines.push(
      `  ${escapeControls(task.job)}: ${what}, ${formatDuration(options.now - task.since)} ` +
        `(task ${escapeControls(task.task)})`,
    );
  }
  return lines.map((line) => fit(line, Math.max(1, options.width)));
}

/**
 * The one-line status printed off a terminal at a steady interval.
 *
 * @param state The run's state.
 * @param options Time and the bound (`width` is ignored).
 * @returns E.g. `status: 3/16 done · ... | in flight 4/5 · elapsed 2m00s · ...`.
 */
export function renderStatusLine(state: LiveState, options: Omit<RenderOptions, "width">): string {
  return `status: ${countsText(state)} | ${pace(state, { ...options, width: 0 })}`;
}
