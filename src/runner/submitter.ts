/**
 * The submit loop of one job: take a slot under the in-flight bound, build
 * the request, journal the send before the POST, journal the answer, and do
 * what the submit policy says (poll the task, retry with the same key, pause
 * every submission after a 429, stop the run, or leave the job pending).
 *
 * @module
 */
import { basename } from "node:path";
import { messageOf } from "../errors.ts";
import type { JobAction } from "../plan.ts";
import type { Job } from "../manifest/job.ts";
import type { SubmitImage, SubmitRequest } from "../api/client.ts";
import type { RunContext } from "./context.ts";
import type { ImageCache, ImageRead } from "./images.ts";
import type { Poller } from "./poller.ts";
import { afterSubmit, notSentEvent, submitEvent, throttledUntil } from "./policy/submit.ts";

/** Submits jobs for one run. */
export class Submitter {
  readonly #run: RunContext;
  readonly #images: ImageCache;
  readonly #poller: Poller;
  /** Submissions wait until this time after a 429 (shared backoff). */
  #pausedUntil = 0;

  /**
   * @param run The run's shared state.
   * @param images The run's image reads.
   * @param poller Polls the tasks this submitter creates.
   */
  constructor(run: RunContext, images: ImageCache, poller: Poller) {
    this.#run = run;
    this.#images = images;
    this.#poller = poller;
  }

  /**
   * Submit one job and, once its task exists, poll it. Resolves when the job
   * is terminal, left for the next run, or the run halted.
   *
   * @param action The plan's submit action.
   */
  async submit(action: Extract<JobAction, { kind: "submit" }>): Promise<void> {
    const run = this.#run;
    if (!(await run.bound.acquire())) return; // closed: stays pending
    let slotKept = false;
    try {
      // Near the end of a bounded pass nothing new starts: the job stays
      // where it stands for the next pass (a send already under way goes on).
      if (!run.submitting) return;
      const { job, key } = action;
      const request = await this.#request(job, key);
      if (request === undefined) return;
      const maxSends = run.options.maxSubmitSends ?? 10;
      for (let send = 1;; send++) {
        if (run.halted) return;
        if (!(await this.#waitForPause(job))) return;
        // Nothing is sent under this key unless the submitting event is
        // durable; if it is not (or the run halts before the POST), the key's
        // send is known not to have happened. A resend of an uncertain
        // submission keeps its uncertainty: a task may exist from before.
        await run.journal.record(
          job,
          { type: "submitting", fingerprint: job.fingerprint, key },
          notSentEvent(key, send, action.reason, "the journal could not record the submission"),
        );
        // A 429 to another submission may have paused the run while this
        // one was being recorded: no POST goes out inside a Retry-After.
        if (run.halted || !(await this.#waitForPause(job))) {
          const instead = notSentEvent(key, send, action.reason, "the run stopped before the POST");
          if (instead !== null) await run.journal.record(job, instead);
          return;
        }
        // The POST is not aborted by a stop: its outcome must be journaled.
        const outcome = await run.options.client.submit(request);
        // Every other submission holds off from now, not from when this
        // answer is journaled; and a task's age counts from now too.
        const answeredAt = run.clock.now();
        const throttled = throttledUntil(outcome, answeredAt, run.retryTiming.backoff.baseMs);
        if (throttled !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, throttled);
        await run.journal.record(job, submitEvent(outcome, key));
        const next = afterSubmit(outcome, {
          send,
          maxSends,
          once: run.options.once ?? false,
          now: answeredAt,
          timing: run.retryTiming,
        });
        switch (next.kind) {
          case "track":
            run.emit({ type: "job_submitted", job: job.id, task: next.taskId });
            slotKept = true;
            await this.#poller.track(job, next.taskId, next.createdAtMs, true);
            return;
          case "uncertain":
            run.emit({ type: "job_uncertain", job: job.id, message: next.message });
            return;
          case "rejected":
            run.emit({ type: "job_failed", job: job.id, error: next.error });
            return;
          case "stop_run":
            if (outcome.kind !== "created") run.rejectKey(outcome.error);
            return;
          case "defer":
            run.emit({ type: "job_deferred", job: job.id, message: next.message });
            return;
          case "retry": {
            if (next.pauseSubmitsUntil !== undefined) {
              this.#pausedUntil = Math.max(this.#pausedUntil, next.pauseSubmitsUntil);
            }
            run.emit({
              type: "retry_scheduled",
              job: job.id,
              operation: "submit",
              reason: next.reason,
              delayMs: next.delayMs,
              attempt: next.attempt,
            });
            if (!(await run.sleep(next.delayMs, { job: job.id, until: run.waitEnd() }))) return;
          }
        }
      }
    } finally {
      if (!slotKept) run.bound.release();
    }
  }

  /**
   * What a job sends, or `undefined` (the job deferred, nothing sent) when an
   * image cannot be read or no longer has the bytes that were validated.
   */
  async #request(job: Job, key: string): Promise<SubmitRequest | undefined> {
    const images: SubmitImage[] = [];
    const defer = (message: string): undefined => {
      this.#run.emit({ type: "job_deferred", job: job.id, message });
      return undefined;
    };
    try {
      for (const image of job.images) {
        let read: ImageRead;
        try {
          read = await this.#images.read(image);
        } catch (error) {
          return defer(`Cannot read image ${image.path}: ${messageOf(error)}; nothing was sent`);
        }
        if (read.sha256 !== image.sha256) {
          return defer(
            `Cannot send image ${image.path}: it changed after validation (SHA-256 ` +
              `${read.sha256.slice(0, 12)}…, validated ${image.sha256.slice(0, 12)}…); ` +
              `nothing was sent`,
          );
        }
        images.push({
          filename: basename(image.path),
          contentType: image.contentType,
          bytes: read.bytes,
        });
      }
    } finally {
      for (const image of job.images) this.#images.done(image.resolved);
    }
    return {
      model: job.model,
      prompt: job.prompt,
      seconds: job.seconds,
      size: job.size,
      resolution: job.resolution,
      images,
      idempotencyKey: key,
    };
  }

  /**
   * Wait out the shared 429 pause; `false` (nothing sent, the job stays
   * pending) when the run halted or the pause outlasts what this run may wait.
   */
  async #waitForPause(job: Job): Promise<boolean> {
    const run = this.#run;
    while (!run.halted) {
      const wait = this.#pausedUntil - run.clock.now();
      if (wait <= 0) return true;
      if (!(await run.sleep(wait, { job: job.id, until: run.waitEnd() }))) return false;
    }
    return false;
  }
}
