/**
 * The download loop of one run: each finished task's video is fetched under
 * the download bound (the transfer itself is in download.ts), journaled once
 * complete, and after a failure the download policy says what comes next
 * (a fresh URL, a retry, hold, defer, fail, or stop the run).
 *
 * @module
 */
import { join } from "node:path";
import pLimit from "p-limit";
import { ApiError } from "../errors.ts";
import type { Job } from "../manifest/job.ts";
import type { Task } from "../api/wire.ts";
import type { RunContext } from "./context.ts";
import { downloadVideo } from "./download.ts";
import { FolderSyncs } from "../fs.ts";
import { SpaceGauge } from "./space.ts";
import { readVideoMetadata } from "./video_metadata.ts";
import { downloadDeadline } from "./policy/bounds.ts";
import {
  afterDownloadError,
  type DownloadTries,
  NO_TRIES,
  UrlNotRenewable,
  urlRenewed,
} from "./policy/download.ts";

/** The longest one download may take when neither --max-wait nor the pass bounds it. */
const DEFAULT_DOWNLOAD_DEADLINE_MS = 2 * 60 * 60_000;

/** Downloads the videos of one run, a few at once. */
export class Downloader {
  readonly #run: RunContext;
  readonly #limit: ReturnType<typeof pLimit>;
  readonly #pending = new Set<Promise<void>>();
  /** Free space, measured now and then for all of the run's videos. */
  readonly #space: SpaceGauge;
  /** Folder syncs after renames, shared by downloads that finish together. */
  readonly #folderSyncs = new FolderSyncs();
  /** The first unexpected error of a download, rethrown by {@linkcode settle}. */
  #bug?: unknown;

  /** @param run The run's shared state. */
  constructor(run: RunContext) {
    this.#run = run;
    this.#limit = pLimit(run.options.downloadConcurrency ?? 3);
    const limits = run.options.downloadLimits ?? {};
    this.#space = new SpaceGauge({
      diskSpace: limits.diskSpace,
      reserveBytes: limits.reserveBytes,
    });
  }

  /**
   * Queue the download of a task's video.
   *
   * @param job The task's job.
   * @param taskId The succeeded task.
   * @param url Its signed video URL, when known.
   */
  start(job: Job, taskId: string, url?: string): void {
    const done: Promise<void> = this.#limit(() =>
      this.#run.guard(() => this.#download(job, taskId, url))
    )
      // A bug or a journal that cannot write ends the run once the others settle.
      .catch((error) => void (this.#bug ??= error))
      .finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  /** Wait for every download, those started meanwhile too; rethrow the first bug. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    if (this.#bug !== undefined) throw this.#bug;
  }

  /** Download one task's video; the job fails only when the policy says so. */
  async #download(job: Job, taskId: string, firstUrl?: string): Promise<void> {
    const run = this.#run;
    const o = run.options;
    let url = firstUrl;
    let tries: DownloadTries = NO_TRIES;
    const limits = o.downloadLimits ?? {};
    const deadline = downloadDeadline(
      run.clock.now(),
      run.passEnd,
      o.maxWaitMs,
      limits.deadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS,
    );
    while (!run.halted) {
      let error: unknown;
      try {
        if (url === undefined) {
          url = await this.#freshUrl(taskId);
          tries = urlRenewed(tries);
        }
        const videoUrl = url;
        const destination = join(o.outDir, job.output);
        const result = await downloadVideo({
          open: (offset, signal) => o.client.openVideo(videoUrl, { offset, signal }),
          destination,
          signal: run.signal,
          maxBytes: o.maxVideoBytes,
          // Transfers are timed by the real clock: the injected one may be a test's fake.
          deadline: Date.now() + Math.max(0, deadline - run.clock.now()),
          space: this.#space,
          syncFolder: (folder) => this.#folderSyncs.sync(folder),
          idleTimeoutMs: limits.idleTimeoutMs,
          minRate: limits.minRate,
          maxResumes: limits.maxResumes,
        });
        const { bytes, sha256 } = result;
        // What the file really is: a warning when it differs from the request, never a failure.
        // A small video is read from the bytes just written, not from the disk again.
        const seen = await readVideoMetadata(destination, job, result.content);
        await run.journal.record(job, {
          type: "downloaded",
          task: taskId,
          output: job.output,
          bytes,
          sha256,
          ...(seen.video === undefined ? {} : { video: seen.video }),
        });
        run.emit({
          type: "download_finished",
          job: job.id,
          output: job.output,
          bytes,
          sha256,
          ...seen,
        });
        return;
      } catch (caught) {
        error = caught;
      }
      if (run.halted) {
        if (run.passOver) {
          const message = "the transfer did not finish in the time this pass had for it";
          run.emit({ type: "download_deferred", job: job.id, task: taskId, message });
        }
        return;
      }
      const decided = afterDownloadError(error, tries, {
        maxAttempts: o.maxDownloadAttempts ?? 8,
        timing: run.retryTiming,
      });
      tries = decided.tries;
      const next = decided.next;
      switch (next.kind) {
        case "stop_run":
          return run.rejectKey(next.error);
        case "fail":
          if (run.halted) return;
          await run.journal.record(job, {
            type: "download_failed",
            task: taskId,
            error: next.error,
          });
          run.emit({ type: "job_failed", job: job.id, task: taskId, error: next.error });
          return;
        case "hold":
          // Our disk, not the service: the job stays running and the next run downloads it.
          await run.journal.record(job, { type: "download_held", task: taskId, error: next.error });
          run.emit({ type: "download_held", job: job.id, task: taskId, error: next.error });
          return;
        case "defer":
          run.emit({ type: "download_deferred", job: job.id, task: taskId, message: next.message });
          return;
        case "renew":
          url = undefined;
          continue;
        case "retry": {
          if (next.renewUrl) url = undefined;
          run.emit({
            type: "retry_scheduled",
            job: job.id,
            operation: "download",
            reason: next.reason,
            delayMs: next.delayMs,
            attempt: next.attempt,
          });
          if (
            next.delayMs > 0 && !(await run.sleep(next.delayMs, { until: deadline, job: job.id }))
          ) {
            if (!run.halted) {
              run.emit({
                type: "download_deferred",
                job: job.id,
                task: taskId,
                message: `the next try would come after the time this run has for it ` +
                  `(${tries.lastError.message})`,
              });
            }
            return;
          }
        }
      }
    }
  }

  /** GET the task again for a fresh signed URL. */
  async #freshUrl(taskId: string): Promise<string> {
    let task: Task;
    try {
      task = await this.#run.options.client.getTask(taskId, this.#run.signal);
    } catch (error) {
      if (error instanceof ApiError && error.serviceCode === "task_not_exist") {
        throw new UrlNotRenewable(
          "url_not_renewable",
          `Cannot renew the video URL of task ${taskId}: ${error.message}`,
        );
      }
      throw error;
    }
    if (task.status !== "succeeded" || task.videoUrl === undefined) {
      // A gateway may lag behind its task store: retried, and only after the
      // download attempts run out does the job fail.
      throw new Error(
        `Cannot renew the video URL of task ${taskId}: the service answered status ` +
          `${task.rawStatus || "(none)"} without a video_url`,
      );
    }
    return task.videoUrl;
  }
}
