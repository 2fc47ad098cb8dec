/**
 * The poll loop of one task: GET it on its own jittered timer, journal each
 * new status, and do what the poll policy says (start the download, fail the
 * job, retry after an error, or stop waiting with the task kept alive).
 *
 * @module
 */
import type { TaskStatus } from "../domain/task_status.ts";
import { ApiError } from "../errors.ts";
import type { JobError } from "../domain/job_error.ts";
import type { Job } from "../manifest/job.ts";
import { isTerminal, type Task } from "../api/wire.ts";
import type { RunContext } from "./context.ts";
import type { Downloader } from "./downloader.ts";
import {
  endedAtFirstPollShare,
  type RenderEvidence,
  renderKindKey,
  renderSpreadMs,
  withRender,
} from "./policy/render_evidence.ts";
import {
  afterPollAnswer,
  afterPollError,
  firstPoll,
  type PollContext,
  type PollHistory,
  type PollTiming,
  reportUnknownWord,
  sightProgress,
  statusEvent,
  type StopWaiting,
} from "./policy/poll.ts";

/** Polls the tasks of one run. */
export class Poller {
  readonly #run: RunContext;
  readonly #downloader: Downloader;
  readonly #timing: PollTiming;
  readonly #adaptive: boolean;
  /** Render times seen so far: the journal's, then this run's. */
  #evidence: RenderEvidence;
  /** Whether the service reported a moving progress for any task of this run. */
  #progressReported = false;

  /**
   * @param run The run's shared state.
   * @param downloader Downloads the videos of the tasks that succeed.
   */
  constructor(run: RunContext, downloader: Downloader) {
    this.#run = run;
    this.#downloader = downloader;
    const polling = run.options.polling ?? "fixed";
    this.#adaptive = polling === "adaptive";
    this.#timing = { ...run.pollTiming, polling };
    this.#evidence = run.options.renderEvidence ?? new Map();
  }

  /** The render times seen so far, per kind: the journal's and this run's. */
  get renderEvidence(): RenderEvidence {
    return this.#evidence;
  }

  /** What adaptive polling knows of the task's kind, brought up to date. */
  #withEvidence(job: Job, history: PollHistory): PollHistory {
    if (!this.#adaptive) return history;
    const kind = this.#evidence.get(renderKindKey(job));
    if (kind === undefined) delete history.shortestRenderMs;
    else history.shortestRenderMs = kind.shortestMs;
    const spread = renderSpreadMs(kind);
    if (spread === undefined) delete history.renderSpreadMs;
    else history.renderSpreadMs = spread;
    const endedFirst = endedAtFirstPollShare(kind);
    if (endedFirst === undefined) delete history.endedAtFirstPollShare;
    else history.endedAtFirstPollShare = endedFirst;
    history.progressReported = this.#progressReported;
    return history;
  }

  /**
   * A task of `job` created at `createdAtMs` ended now: one more render seen.
   * `firstPoll`: whether the first answer for a task this run created said so.
   */
  #rendered(job: Job, createdAtMs: number, firstPoll: boolean | undefined): void {
    this.#evidence = withRender(
      this.#evidence,
      job,
      this.#run.clock.now() - createdAtMs,
      firstPoll,
    );
  }

  /**
   * Poll one task (whose slot the caller holds) until it is terminal, then
   * give the slot back; or keep the slot (`--once`, `--max-wait`, stop).
   *
   * @param job The task's job.
   * @param taskId The task.
   * @param createdAtMs When the task was created, in clock milliseconds.
   * @param fresh Whether this run created it.
   * @param journaledStatus The task's status as the journal last recorded it
   *   (an earlier run's poll): an answer that says the same adds no line.
   */
  async track(
    job: Job,
    taskId: string,
    createdAtMs: number,
    fresh: boolean,
    journaledStatus?: TaskStatus,
  ): Promise<void> {
    let freed = false;
    // The slot is given back as soon as an answer says the task ended (it no
    // longer counts at the service), before its end is journaled: the next
    // POST still waits for its own submission to be durable.
    const free = (): void => {
      if (freed) return;
      freed = true;
      this.#run.bound.release();
    };
    if (await this.#pollUntilTerminal(job, taskId, createdAtMs, fresh, free, journaledStatus)) {
      free();
    } else if (!freed) await this.#run.bound.hold();
  }

  /**
   * Poll one task until it is terminal (journaled, its download started) or
   * this run stops waiting for it. `free` is called once an answer says the
   * task ended, before its end is journaled.
   *
   * @returns `true` when the task ended, `false` when it is left alive at the
   *   service (`--once`, `--max-wait`, a stop, a refused key).
   */
  async #pollUntilTerminal(
    job: Job,
    taskId: string,
    createdAtMs: number,
    fresh: boolean,
    free: () => void,
    journaledStatus?: TaskStatus,
  ): Promise<boolean> {
    const run = this.#run;
    const o = run.options;
    const once = o.once ?? false;
    const history: PollHistory = {
      startedAt: run.clock.now(),
      polls: 0,
      failures: 0,
      ...(this.#adaptive ? { createdAt: createdAtMs } : {}),
      ...(journaledStatus === undefined ? {} : { lastStatus: journaledStatus }),
    };
    const first = firstPoll(fresh, once, this.#withEvidence(job, history), this.#timing);
    if (first.kind === "leave") return false;
    const deadline = o.maxWaitMs === undefined ? Infinity : history.startedAt + o.maxWaitMs;
    let delayMs = first.delayMs;
    /** Stop waiting: `false`, the task left alive (timed out: said so). */
    const leave = (stop: StopWaiting): false => {
      if (stop.kind === "timed_out") {
        run.emit({ type: "task_timed_out", job: job.id, task: taskId, waitedMs: stop.waitedMs });
      }
      return false;
    };
    for (;;) {
      if (delayMs > 0) {
        // A wait past --max-wait or the end of the pass ends the wait for this task now.
        const slept = await run.sleep(delayMs, {
          until: Math.min(deadline, run.passEnd),
          job: job.id,
        });
        if (run.halted) return false;
        if (!slept) {
          return leave({ kind: "timed_out", waitedMs: run.clock.now() - history.startedAt });
        }
      }
      if (run.halted) return false;
      let task: Task;
      try {
        task = await o.client.getTask(taskId, run.signal);
        history.failures = 0;
      } catch (error) {
        if (run.halted) return false;
        if (!(error instanceof ApiError)) throw error;
        const next = afterPollError(error, {
          taskId,
          createdAtMs,
          taskNotExistGraceMs: o.taskNotExistGraceMs ?? 60_000,
          once,
          now: run.clock.now(),
          deadline,
          history: this.#withEvidence(job, history),
          timing: this.#timing,
          backoff: run.retryTiming.backoff,
        });
        if (next.kind === "stop_run") {
          run.rejectKey(error);
          return false;
        }
        if (next.kind === "failed") {
          await this.#failTask(job, taskId, next.error);
          return true;
        }
        history.failures = next.attempt;
        delayMs = next.delayMs;
        run.emit({
          type: "retry_scheduled",
          job: job.id,
          operation: "poll",
          reason: next.reason,
          delayMs,
          attempt: next.attempt,
        });
        if (next.stop !== undefined) return leave(next.stop);
        continue;
      }
      history.polls++;
      if (this.#adaptive) {
        history.progress = sightProgress(history.progress, task.progress, run.clock.now());
        if ((history.progress.at(-1)?.progress ?? 100) < 100) this.#progressReported = true;
      }
      const changed = statusEvent(taskId, task, history.lastStatus);
      const pollContext = (): PollContext => ({
        once,
        now: run.clock.now(),
        deadline,
        history: this.#withEvidence(job, history),
        timing: this.#timing,
      });
      // An ended task: its slot is free now, its end decided before any write.
      const ending = isTerminal(task.status) ? afterPollAnswer(task, pollContext()) : undefined;
      if (ending !== undefined) {
        this.#rendered(job, createdAtMs, fresh ? history.polls === 1 : undefined);
        free();
      }
      // The status and the task's end go to the journal together (one group
      // commit, in this order); nothing is acted on before both are durable.
      const writes: Promise<void>[] = [];
      if (changed !== undefined) {
        history.lastStatus = task.status;
        writes.push(run.journal.record(job, changed));
      }
      if (ending?.kind === "succeeded") {
        writes.push(run.journal.record(job, { type: "task_succeeded", task: taskId }));
      } else if (ending?.kind === "failed") {
        writes.push(
          run.journal.record(job, { type: "task_failed", task: taskId, error: ending.error }),
        );
      }
      await allDurable(writes);
      if (changed !== undefined) {
        run.emit({
          type: "status_changed",
          job: job.id,
          task: taskId,
          status: task.status,
          progress: task.progress,
        });
      }
      if (reportUnknownWord(task, history)) {
        history.unknownWordReported = true;
        run.emit({ type: "unknown_status", job: job.id, task: taskId, word: task.rawStatus });
      }
      // A task still alive: the next poll is timed from now, once its status is durable.
      const next = ending ?? afterPollAnswer(task, pollContext());
      switch (next.kind) {
        case "succeeded":
          this.#downloader.start(job, taskId, next.videoUrl);
          return true;
        case "failed":
          run.emit({ type: "job_failed", job: job.id, task: taskId, error: next.error });
          return true;
        case "leave":
        case "timed_out":
          return leave(next);
        case "wait":
          delayMs = next.delayMs;
      }
    }
  }

  async #failTask(job: Job, taskId: string, error: JobError): Promise<void> {
    await this.#run.journal.record(job, { type: "task_failed", task: taskId, error });
    this.#run.emit({ type: "job_failed", job: job.id, task: taskId, error });
  }
}

/** Wait for every journal write; the first that failed is rethrown once all settled. */
async function allDurable(writes: Promise<void>[]): Promise<void> {
  if (writes.length === 1) return await writes[0];
  for (const result of await Promise.allSettled(writes)) {
    if (result.status === "rejected") throw result.reason;
  }
}
