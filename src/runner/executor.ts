/**
 * Carries out a plan: submits under the in-flight bound, polls each live task
 * on its own jittered timer, downloads finished videos under their own bound,
 * and journals every step before acting on it.
 *
 * @module
 */
import { basename, join } from "node:path";
import pLimit from "p-limit";
import { ApiError, messageOf } from "../errors.ts";
import type { JobAction } from "../plan.ts";
import type { Job, JobImage } from "../manifest/job.ts";
import { sha256Hex } from "../hash.ts";
import type { JobError } from "../domain/job_error.ts";
import type { TaskStatus } from "../domain/task_status.ts";
import type { JournalEvent } from "../journal/events.ts";
import type { SubmitImage, SubmitOutcome, SubmitRequest } from "../api/client.ts";
import { isTerminal, type Task } from "../api/wire.ts";
import { retryDelay } from "../api/retry.ts";
import { DownloadError, type DownloadOptions, downloadVideo } from "./download.ts";
import { LOCAL_DOWNLOAD_CODES } from "../journal/replay.ts";
import { type Clock, realClock } from "./clock.ts";
import { InFlightBound } from "./in_flight.ts";
import type { RunEventSink } from "./events.ts";

/** An event as the executor writes it: `at` and `job` are filled in by `#record`. */
type JournalEventBody = JournalEvent extends infer E
  ? E extends JournalEvent ? Omit<E, "at" | "job"> : never
  : never;

/** What the executor needs of the service (CometClient implements it). */
export interface ServiceClient {
  /** One POST of a submission; never throws for HTTP or network outcomes. */
  submit(request: SubmitRequest, signal?: AbortSignal): Promise<SubmitOutcome>;
  /** One GET of a task; throws ApiError. */
  getTask(id: string, signal?: AbortSignal): Promise<Task>;
  /**
   * GET a signed video URL, without the key, from `offset` on: resolves with
   * the 2xx answer; throws ApiError for anything else (code `url_expired`
   * for 403 and 410).
   */
  openVideo(url: string, options?: { offset?: number; signal?: AbortSignal }): Promise<Response>;
}

/** Where events are made durable. */
export interface EventJournal {
  /** Resolves once the event is durable; rejects when it could not be made durable. */
  append(event: JournalEvent): Promise<void>;
}

/**
 * Where an event goes when the journal cannot take it (the recovery file the
 * next run folds into the journal).
 */
export interface RecoverySink {
  /**
   * Make the event durable outside the journal.
   *
   * @returns Where it is kept (a path shown to the user); rejects when it
   *   could not be kept.
   */
  keep(event: JournalEvent): Promise<string>;
}

/** An event that is not in the journal: where it is kept, if anywhere. */
export interface UnjournaledEvent {
  /** The event. */
  event: JournalEvent;
  /** The recovery file that holds it; absent when it is kept nowhere (only printed). */
  keptIn?: string;
}

/** Options of {@linkcode executeRun}. */
export interface ExecutorOptions {
  /** The service. */
  client: ServiceClient;
  /** Where every step is made durable before the run acts on it. */
  journal: EventJournal;
  /**
   * Where events go that the journal cannot take, once the appends retried
   * after a journal failure failed too. Without it they are only reported.
   */
  recovery?: RecoverySink;
  /**
   * After the journal failed: how often each event's append is tried again,
   * and the wait before the first retry (doubled for each next one).
   * @default {tries: 3, delayMs: 250}
   */
  journalRetry?: { tries: number; delayMs: number };
  /** The output folder; job outputs are relative to it. */
  outDir: string;
  /** Most tasks alive at the service at once. */
  concurrency: number;
  /** Most downloads at once. @default 3 */
  downloadConcurrency?: number;
  /** Mean time between polls of one task. */
  pollIntervalMs: number;
  /** How long this run waits for one task before leaving it running. */
  maxWaitMs?: number;
  /** One pass: submit what may be, poll once, download what is ready. */
  once?: boolean;
  /**
   * How long this run may work, from its start: no wait (Retry-After,
   * backoff, the shared 429 pause, a poll timer) may end later, and a
   * download still running then is stopped with its work kept. At the end,
   * the run stops as it does on `stop`, leaving every job where it stands
   * (exit 3 while work remains). @default no bound
   */
  passTimeMs?: number;
  /** The largest video accepted, in bytes (`--max-video-size`). @default 2 GiB */
  maxVideoBytes?: number;
  /**
   * Download limits beside the size cap, for tests: free space and the
   * reserve kept, the stall (idle) timeout, the minimum rate, and the
   * deadline of one download when the run has no other bound.
   */
  downloadLimits?:
    & Pick<
      DownloadOptions,
      "diskSpace" | "reserveBytes" | "idleTimeoutMs" | "minRate" | "maxResumes"
    >
    & {
      /** The longest one download may take when nothing else bounds it. @default 2 hours */
      deadlineMs?: number;
    };
  /** Backoff for retries. @default {baseMs: 1000, maxMs: 60000} */
  backoff?: { baseMs: number; maxMs: number };
  /** Sends of one submission that created nothing before this run gives up on it. @default 10 */
  maxSubmitSends?: number;
  /** Download tries (each with a fresh URL when needed) before the job fails. @default 8 */
  maxDownloadAttempts?: number;
  /** While a task is this young, `task_not_exist` is transient. @default 60000 */
  taskNotExistGraceMs?: number;
  /** Graceful stop (SIGINT): no new submission, waits and transfers end. */
  stop?: AbortSignal;
  /** Time. @default realClock */
  clock?: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Receives what happens, for the CLI to render. */
  onEvent?: RunEventSink;
  /**
   * Reads an image for upload; each image is read once per run, however
   * many jobs use it. @default Deno.readFile
   */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** How a run ended. */
export interface RunResult {
  /** Set when the service rejected the key (exit 4). */
  unauthorized?: ApiError;
  /** Whether the run was stopped by `options.stop`. */
  interrupted: boolean;
  /** Whether the run reached the end of its time (`passTimeMs`) with work left. */
  passOver?: boolean;
  /**
   * Set when an append to the journal failed: the run stopped submitting
   * at once and ended early. The first error.
   */
  journalFailure?: unknown;
  /** With `journalFailure`: the events the journal does not hold, in order. */
  unjournaled?: UnjournaledEvent[];
}

/** An image's bytes as read for upload, with their hash. */
interface ImageRead {
  bytes: Uint8Array;
  sha256: string;
}

/** One image file of the run: its read (once started) and how many uses are still to come. */
interface SharedImage {
  uses: number;
  read?: Promise<ImageRead>;
}

/**
 * Execute the actions of a plan until each job is terminal, held (`--once`,
 * `--max-wait`), uncertain, or the run is stopped.
 *
 * @param actions The plan.
 * @param options Service, journal, bounds and timings.
 * @returns Why the run ended; job outcomes are in the journal.
 */
export async function executeRun(
  actions: readonly JobAction[],
  options: ExecutorOptions,
): Promise<RunResult> {
  const run = new Run(options);
  return await run.execute(actions);
}

class Run {
  readonly #o: ExecutorOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #bound: InFlightBound;
  readonly #downloads: ReturnType<typeof pLimit>;
  readonly #pendingDownloads = new Set<Promise<void>>();
  /** Aborts waits, polls and downloads on stop or on a rejected key. */
  readonly #halt = new AbortController();
  /** Submissions wait until this time after a 429 (shared backoff). */
  #submitPausedUntil = 0;
  #unauthorized?: ApiError;
  #interrupted = false;
  #passOver = false;
  /** When this run's time is up (`passTimeMs`), in clock milliseconds. */
  readonly #passEnd: number;
  /** The first failed journal append; from then on nothing new is started. */
  #journalFailure?: { error: unknown };
  readonly #unjournaled: UnjournaledEvent[] = [];
  /** The first unexpected error of a download, rethrown when the run ends. */
  #downloadBug?: unknown;
  /** Image files by resolved path, kept while a job still to send uses them. */
  readonly #images = new Map<string, SharedImage>();

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#bound = new InFlightBound(options.concurrency);
    this.#downloads = pLimit(options.downloadConcurrency ?? 3);
    this.#passEnd = options.passTimeMs === undefined
      ? Infinity
      : this.#clock.now() + options.passTimeMs;
  }

  async execute(actions: readonly JobAction[]): Promise<RunResult> {
    const onStop = (): void => {
      this.#interrupted = true;
      this.#stopAll("interrupted");
    };
    // The end of the pass stops whatever is still under way, work kept.
    const passTimer = new AbortController();
    if (Number.isFinite(this.#passEnd)) {
      this.#clock.sleep(this.#passEnd - this.#clock.now(), passTimer.signal).then(() => {
        if (this.#halted) return;
        this.#passOver = true;
        this.#stopAll("pass_over");
      }, () => {});
    }
    try {
      const count = (kind: JobAction["kind"]): number =>
        actions.filter((a) => a.kind === kind).length;
      this.#emit({
        type: "run_started",
        jobs: actions.length,
        toSubmit: count("submit"),
        toPoll: count("poll"),
        toDownload: count("download"),
        skipped: count("skip"),
      });
      if (this.#o.stop?.aborted) onStop();
      this.#o.stop?.addEventListener("abort", onStop, { once: true });
      const work: Promise<void>[] = [];
      // Tasks already alive at the service take their slots first.
      for (const action of actions) {
        if (action.kind !== "poll") continue;
        this.#bound.acquireAlive();
        const createdAt = action.createdAt ? Date.parse(action.createdAt) : 0;
        work.push(this.#guard(() => this.#track(action.job, action.task, createdAt, false)));
      }
      for (const action of actions) {
        if (action.kind === "download") this.#startDownload(action.job, action.task);
      }
      for (const action of actions) {
        if (action.kind !== "submit") continue;
        for (const image of action.job.images) this.#useImage(image.resolved);
      }
      for (const action of actions) {
        if (action.kind === "submit") work.push(this.#guard(() => this.#submit(action)));
      }
      await Promise.all(work);
      this.#bound.close();
      while (this.#pendingDownloads.size > 0) await Promise.all([...this.#pendingDownloads]);
      if (this.#downloadBug !== undefined) throw this.#downloadBug;
      this.#emit({ type: "run_finished" });
      return {
        unauthorized: this.#unauthorized,
        interrupted: this.#interrupted,
        ...(this.#passOver ? { passOver: true } : {}),
        ...(this.#journalFailure === undefined
          ? {}
          : { journalFailure: this.#journalFailure.error, unjournaled: this.#unjournaled }),
      };
    } finally {
      passTimer.abort();
      this.#o.stop?.removeEventListener("abort", onStop);
    }
  }

  // ---- submission ---------------------------------------------------------

  async #submit(action: Extract<JobAction, { kind: "submit" }>): Promise<void> {
    if (!(await this.#bound.acquire())) return; // closed: stays pending
    let slotKept = false;
    try {
      const { job, key } = action;
      const request = await this.#request(job, key);
      if (request === undefined) return;
      const maxSends = this.#o.maxSubmitSends ?? 10;
      for (let send = 1;; send++) {
        if (this.#halted) return;
        if (!(await this.#waitForSubmitPause(job))) return;
        // Nothing is sent under this key unless the submitting event is
        // durable; if it is not (or the run halts before the POST), the key's
        // send is known not to have happened. A resend of an uncertain
        // submission keeps its uncertainty: a task may exist from before.
        const notSent = (why: string): JournalEventBody | null =>
          send === 1 && action.reason === "resubmit_uncertain"
            ? null
            : { type: "not_created", key, status: 0, message: `Nothing was sent: ${why}` };
        await this.#record(job, {
          type: "submitting",
          fingerprint: job.fingerprint,
          key,
        }, notSent("the journal could not record the submission"));
        if (this.#halted) {
          const instead = notSent("the run stopped before the POST");
          if (instead !== null) await this.#record(job, instead);
          return;
        }
        // The POST is not aborted by a stop: its outcome must be journaled.
        const outcome = await this.#o.client.submit(request);
        if (outcome.kind === "created") {
          const task = outcome.task;
          await this.#record(job, {
            type: "submitted",
            key,
            task: task.id,
          });
          this.#emit({ type: "job_submitted", job: job.id, task: task.id });
          slotKept = true;
          // The task is young from whichever is later: the service's clock or ours.
          const createdAt = Math.max(this.#clock.now(), (task.createdAt ?? 0) * 1000);
          await this.#track(job, task.id, createdAt, true);
          return;
        }
        const error = outcome.error;
        if (outcome.kind === "unknown") {
          await this.#record(job, {
            type: "outcome_unknown",
            key,
            message: error.message,
          });
          this.#emit({ type: "job_uncertain", job: job.id, message: error.message });
          return;
        }
        if (outcome.kind === "rejected") {
          const jobError = {
            code: error.serviceCode ?? `http_${error.status}`,
            message: error.message,
          };
          await this.#record(job, {
            type: "rejected",
            key,
            status: error.status,
            error: jobError,
          });
          this.#emit({ type: "job_failed", job: job.id, error: jobError });
          return;
        }
        // Nothing was created.
        await this.#record(job, {
          type: "not_created",
          key,
          status: error.status,
          message: error.message,
        });
        if (error.status === 401) return this.#rejectKey(error);
        if (send >= maxSends || this.#o.once && error.status !== 429 && send >= 3) {
          this.#emit({
            type: "job_deferred",
            job: job.id,
            message:
              `${send} sends created nothing (last: ${error.message}); the next run tries again`,
          });
          return;
        }
        const delayMs = this.#retryDelay(send, error.retryAfterMs);
        if (error.status === 429) {
          this.#submitPausedUntil = Math.max(this.#submitPausedUntil, this.#clock.now() + delayMs);
        }
        this.#emit({
          type: "retry_scheduled",
          job: job.id,
          operation: "submit",
          reason: error.message,
          delayMs,
          attempt: send,
        });
        if (!(await this.#sleep(delayMs, { job: job.id, until: this.#waitEnd() }))) return;
      }
    } finally {
      if (!slotKept) this.#bound.release();
    }
  }

  /**
   * What a job sends, or `undefined` (the job deferred, nothing sent) when an
   * image cannot be read or no longer has the bytes that were validated.
   */
  async #request(job: Job, key: string): Promise<SubmitRequest | undefined> {
    const images: SubmitImage[] = [];
    const defer = (message: string): undefined => {
      this.#emit({ type: "job_deferred", job: job.id, message });
      return undefined;
    };
    try {
      for (const image of job.images) {
        let read: ImageRead;
        try {
          read = await this.#readImage(image);
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
      for (const image of job.images) this.#doneWithImage(image.resolved);
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

  /** Count one more use of an image file by a job still to send. */
  #useImage(path: string): void {
    const image = this.#images.get(path);
    if (image === undefined) this.#images.set(path, { uses: 1 });
    else image.uses++;
  }

  /** An image file's bytes and hash, read once for every job that uses it. */
  #readImage(image: JobImage): Promise<ImageRead> {
    let shared = this.#images.get(image.resolved);
    if (shared === undefined) {
      shared = { uses: 1 };
      this.#images.set(image.resolved, shared);
    }
    const readFile = this.#o.readFile ?? Deno.readFile;
    shared.read ??= readFile(image.resolved).then((bytes) => ({ bytes, sha256: sha256Hex(bytes) }));
    return shared.read;
  }

  /** One use of an image file is over; forget its bytes after the last. */
  #doneWithImage(path: string): void {
    const image = this.#images.get(path);
    if (image !== undefined && --image.uses <= 0) this.#images.delete(path);
  }

  /**
   * Wait out the shared 429 pause; `false` (nothing sent, the job stays
   * pending) when the run halted or the pause outlasts what this run may wait.
   */
  async #waitForSubmitPause(job: Job): Promise<boolean> {
    while (!this.#halted) {
      const wait = this.#submitPausedUntil - this.#clock.now();
      if (wait <= 0) return true;
      if (!(await this.#sleep(wait, { job: job.id, until: this.#waitEnd() }))) return false;
    }
    return false;
  }

  // ---- polling ------------------------------------------------------------

  /**
   * Poll one task (whose slot the caller holds) until it is terminal, then
   * give the slot back; or keep the slot (`--once`, `--max-wait`, stop).
   */
  async #track(job: Job, taskId: string, createdAtMs: number, fresh: boolean): Promise<void> {
    if (await this.#pollUntilTerminal(job, taskId, createdAtMs, fresh)) this.#bound.release();
    else await this.#bound.hold();
  }

  /**
   * Poll one task until it is terminal (journaled, its download started) or
   * this run stops waiting for it.
   *
   * @returns `true` when the task ended, `false` when it is left alive at the
   *   service (`--once`, `--max-wait`, a stop, a refused key).
   */
  async #pollUntilTerminal(
    job: Job,
    taskId: string,
    createdAtMs: number,
    fresh: boolean,
  ): Promise<boolean> {
    if (fresh && this.#o.once) return false;
    const started = this.#clock.now();
    const deadline = this.#o.maxWaitMs === undefined ? Infinity : started + this.#o.maxWaitMs;
    let lastStatus: TaskStatus | undefined;
    let unknownWordLogged = false;
    let failures = 0;
    // A resumed task's first poll is spread over one interval so a restart is
    // no burst; a cron pass (`--once`) polls at once.
    let delayMs = fresh
      ? this.#pollDelay()
      : this.#o.once
      ? 0
      : this.#random() * this.#o.pollIntervalMs;
    /** One pass only (`--once`), or waited `--max-wait` already: leave the task alive. */
    const stopWaiting = (): boolean => {
      if (this.#o.once) return true;
      if (this.#clock.now() < deadline) return false;
      this.#emit({
        type: "task_timed_out",
        job: job.id,
        task: taskId,
        waitedMs: this.#clock.now() - started,
      });
      return true;
    };
    const timedOut = (): false => {
      this.#emit({
        type: "task_timed_out",
        job: job.id,
        task: taskId,
        waitedMs: this.#clock.now() - started,
      });
      return false;
    };
    for (;;) {
      if (delayMs > 0) {
        // A wait past --max-wait or the end of the pass ends the wait for this task now.
        const until = Math.min(deadline, this.#passEnd);
        const slept = await this.#sleep(delayMs, { until, job: job.id });
        if (!slept) return this.#halted ? false : timedOut();
      }
      if (this.#halted) return false;
      let task: Task;
      try {
        task = await this.#o.client.getTask(taskId, this.#halt.signal);
        failures = 0;
      } catch (error) {
        if (this.#halted) return false;
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 401) {
          this.#rejectKey(error);
          return false;
        }
        const young = this.#clock.now() - createdAtMs < (this.#o.taskNotExistGraceMs ?? 60_000);
        if (error.serviceCode === "task_not_exist" && !young) {
          await this.#failTask(job, taskId, {
            code: "task_not_exist",
            message: `The service does not know task ${taskId}: ${error.message}`,
          });
          return true;
        }
        failures++;
        delayMs = Math.max(this.#pollDelay(), this.#retryDelay(failures, error.retryAfterMs));
        this.#emit({
          type: "retry_scheduled",
          job: job.id,
          operation: "poll",
          reason: error.message,
          delayMs,
          attempt: failures,
        });
        if (stopWaiting()) return false;
        continue;
      }
      if (task.status !== lastStatus) {
        lastStatus = task.status;
        await this.#record(job, {
          type: "status",
          task: taskId,
          status: task.status,
          ...(task.progress === undefined ? {} : { progress: task.progress }),
        });
        this.#emit({
          type: "status_changed",
          job: job.id,
          task: taskId,
          status: task.status,
          progress: task.progress,
        });
      }
      if (task.status === "unknown" && !unknownWordLogged) {
        unknownWordLogged = true;
        this.#emit({ type: "unknown_status", job: job.id, task: taskId, word: task.rawStatus });
      }
      if (isTerminal(task.status)) {
        if (task.status === "succeeded") {
          await this.#record(job, {
            type: "task_succeeded",
            task: taskId,
          });
          this.#startDownload(job, taskId, task.videoUrl);
        } else {
          await this.#failTask(
            job,
            taskId,
            task.error ?? {
              code: `task_${task.status}`,
              message: `The task ended ${task.rawStatus} without a message`,
            },
          );
        }
        return true;
      }
      if (stopWaiting()) return false;
      delayMs = Math.min(this.#pollDelay(), Math.max(1, deadline - this.#clock.now()));
    }
  }

  async #failTask(job: Job, taskId: string, error: JobError): Promise<void> {
    await this.#record(job, { type: "task_failed", task: taskId, error });
    this.#emit({ type: "job_failed", job: job.id, task: taskId, error });
  }

  // ---- downloads ----------------------------------------------------------

  #startDownload(job: Job, taskId: string, url?: string): void {
    const done: Promise<void> = this.#downloads(() =>
      this.#guard(() => this.#download(job, taskId, url))
    )
      // A bug or a journal that cannot write ends the run once the others settle.
      .catch((error) => void (this.#downloadBug ??= error))
      .finally(() => this.#pendingDownloads.delete(done));
    this.#pendingDownloads.add(done);
  }

  /**
   * Download one task's video. Transfer failures and answers without a URL
   * count towards `maxDownloadAttempts`; a failing GET of the task (for a
   * fresh URL) is a polling failure and is retried for as long as the run
   * lasts. The job fails only when the URL cannot be renewed.
   */
  async #download(job: Job, taskId: string, firstUrl?: string): Promise<void> {
    const maxAttempts = this.#o.maxDownloadAttempts ?? 8;
    let url = firstUrl;
    let attempts = 0;
    let failuresOnUrl = 0;
    let getFailures = 0;
    let lastError: JobError = { code: "download_failed", message: "The video was not downloaded" };
    let tooLarge = 0;
    const limits = this.#o.downloadLimits ?? {};
    // --max-wait bounds the download as it bounds the wait for a task; the pass ends it too.
    const deadline = Math.min(
      this.#passEnd,
      this.#clock.now() + (this.#o.maxWaitMs ?? limits.deadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS),
    );
    while (!this.#halted) {
      let delayMs: number;
      let error: unknown;
      try {
        if (url === undefined) {
          url = await this.#freshUrl(taskId);
          failuresOnUrl = 0;
          getFailures = 0;
        }
        const videoUrl = url;
        const result = await downloadVideo({
          open: (offset, signal) => this.#o.client.openVideo(videoUrl, { offset, signal }),
          destination: join(this.#o.outDir, job.output),
          signal: this.#halt.signal,
          maxBytes: this.#o.maxVideoBytes,
          // Transfers are timed by the real clock: the injected one may be a test's fake.
          deadline: Date.now() + Math.max(0, deadline - this.#clock.now()),
          diskSpace: limits.diskSpace,
          reserveBytes: limits.reserveBytes,
          idleTimeoutMs: limits.idleTimeoutMs,
          minRate: limits.minRate,
          maxResumes: limits.maxResumes,
        });
        await this.#record(job, {
          type: "downloaded",
          task: taskId,
          output: job.output,
          bytes: result.bytes,
          sha256: result.sha256,
        });
        this.#emit({
          type: "download_finished",
          job: job.id,
          output: job.output,
          bytes: result.bytes,
          sha256: result.sha256,
        });
        return;
      } catch (caught) {
        error = caught;
      }
      if (this.#halted) {
        if (this.#passOver) {
          const message = "the transfer did not finish in the time this pass had for it";
          this.#emit({ type: "download_deferred", job: job.id, task: taskId, message });
        }
        return;
      }
      if (error instanceof ApiError && error.status === 401) return this.#rejectKey(error);
      if (error instanceof UrlNotRenewable) {
        lastError = { code: error.code, message: error.message };
        break;
      }
      if (error instanceof DownloadError && LOCAL_DOWNLOAD_CODES.has(error.code)) {
        // Our disk, not the service: the job stays running and the next run downloads it.
        const held = { code: error.code, message: error.message };
        await this.#record(job, { type: "download_held", task: taskId, error: held });
        this.#emit({ type: "download_held", job: job.id, task: taskId, error: held });
        return;
      }
      if (error instanceof DownloadError && error.code === "download_deadline") {
        this.#emit({
          type: "download_deferred",
          job: job.id,
          task: taskId,
          message: error.message,
        });
        return;
      }
      if (error instanceof DownloadError && error.code === "download_too_large") {
        // The service's file, not our disk: a fresh URL once, then the job fails.
        if (++tooLarge >= 2) {
          lastError = { code: "video_too_large", message: error.message };
          break;
        }
        url = undefined;
        continue;
      }
      lastError = {
        code: error instanceof DownloadError || error instanceof ApiError
          ? error.code
          : "download_failed",
        message: messageOf(error),
      };
      if (error instanceof ApiError) {
        // The GET for a fresh URL failed: like a poll, never the job's end.
        getFailures++;
        delayMs = this.#retryDelay(getFailures, error.retryAfterMs);
      } else {
        attempts++;
        failuresOnUrl++;
        if (attempts >= maxAttempts) break;
        const expired = error instanceof DownloadError && error.code === "url_expired";
        // A broken transfer is retried on the same URL once; anything else (an
        // expired or refused URL, a wrong body, no URL yet) asks for a fresh one.
        const transient = error instanceof DownloadError && BROKEN_TRANSFER.has(error.code);
        if (!transient || failuresOnUrl >= 2) url = undefined;
        delayMs = expired ? 0 : this.#retryDelay(attempts);
      }
      this.#emit({
        type: "retry_scheduled",
        job: job.id,
        operation: "download",
        reason: lastError.message,
        delayMs,
        attempt: attempts + getFailures,
      });
      if (delayMs > 0 && !(await this.#sleep(delayMs, { until: deadline, job: job.id }))) {
        if (!this.#halted) {
          this.#emit({
            type: "download_deferred",
            job: job.id,
            task: taskId,
            message:
              `the next try would come after the time this run has for it (${lastError.message})`,
          });
        }
        return;
      }
    }
    if (this.#halted) return;
    await this.#record(job, {
      type: "download_failed",
      task: taskId,
      error: lastError,
    });
    this.#emit({ type: "job_failed", job: job.id, task: taskId, error: lastError });
  }

  /** GET the task again for a fresh signed URL. */
  async #freshUrl(taskId: string): Promise<string> {
    let task: Task;
    try {
      task = await this.#o.client.getTask(taskId, this.#halt.signal);
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

  // ---- shared -------------------------------------------------------------

  get #halted(): boolean {
    return this.#halt.signal.aborted;
  }

  #rejectKey(error: ApiError): void {
    this.#unauthorized ??= error;
    this.#stopAll("unauthorized");
  }

  #stopAll(reason: "interrupted" | "unauthorized" | "pass_over" | "journal_failed"): void {
    if (this.#halted) return;
    this.#emit({ type: "run_stopping", reason });
    this.#halt.abort(new DOMException(reason, "AbortError"));
    this.#bound.close();
  }

  /** Run a job's work so that one job's bug cannot take the others down silently. */
  async #guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof JournalUnavailable) return;
      if (this.#halted && isAbort(error)) return;
      throw error;
    }
  }

  /**
   * Journal an event about `job`, stamped now; resolves once it is durable.
   * When the journal cannot take it, the run stops starting anything new,
   * the event (or `lost`, what stands for it when it is not recorded; `null`:
   * nothing) is kept as well as can be, and this throws
   * {@linkcode JournalUnavailable} so the caller does not act on it.
   */
  async #record(job: Job, body: JournalEventBody, lost?: JournalEventBody | null): Promise<void> {
    const stamp = (b: JournalEventBody): JournalEvent =>
      ({ ...b, at: this.#iso(), job: job.id }) as JournalEvent;
    const event = stamp(body);
    if (this.#journalFailure === undefined) {
      try {
        await this.#o.journal.append(event);
        return;
      } catch (error) {
        this.#journalFailed(error);
      }
    }
    const keep = lost === undefined ? event : lost === null ? undefined : stamp(lost);
    if (keep !== undefined) await this.#keepUnjournaled(keep);
    throw new JournalUnavailable();
  }

  /** The first failed append: stop submitting and end the run's work at once. */
  #journalFailed(error: unknown): void {
    if (this.#journalFailure !== undefined) return;
    this.#journalFailure = { error };
    this.#emit({ type: "journal_failed", message: messageOf(error) });
    this.#stopAll("journal_failed");
  }

  /**
   * Keep an event the journal refused: try the journal again a few times
   * with backoff, then the recovery sink, and report it either way.
   */
  async #keepUnjournaled(event: JournalEvent): Promise<void> {
    const retry = this.#o.journalRetry ?? { tries: 3, delayMs: 250 };
    for (let attempt = 0; attempt < retry.tries; attempt++) {
      // Not cut short by a stop: bounded, and what it keeps is a paid task.
      await this.#clock.sleep(retry.delayMs * 2 ** attempt);
      try {
        await this.#o.journal.append(event);
        return;
      } catch {
        // Tried again below, up to the bound.
      }
    }
    let keptIn: string | undefined;
    try {
      keptIn = await this.#o.recovery?.keep(event);
    } catch {
      // Kept nowhere: the report of it is the last resort.
    }
    this.#unjournaled.push(keptIn === undefined ? { event } : { event, keptIn });
    this.#emit({ type: "unjournaled", event, ...(keptIn === undefined ? {} : { keptIn }) });
  }

  #emit(event: Parameters<RunEventSink>[0]): void {
    this.#o.onEvent?.(event);
  }

  /**
   * The latest time a wait may end outside a task's or a download's own
   * deadline: the end of the pass, and no single wait longer than --max-wait.
   */
  #waitEnd(): number {
    const maxWait = this.#o.maxWaitMs ?? Infinity;
    return Math.min(this.#passEnd, this.#clock.now() + maxWait);
  }

  /**
   * Sleep unless halted; `false` when the run halted, or, without sleeping,
   * when the wait would end after `until` (the caller keeps its work for the
   * next run).
   */
  async #sleep(ms: number, bound: { until?: number; job?: string } = {}): Promise<boolean> {
    const until = Math.min(bound.until ?? Infinity, this.#passEnd);
    if (this.#clock.now() + ms > until) {
      this.#emit({
        type: "wait_refused",
        ...(bound.job === undefined ? {} : { job: bound.job }),
        delayMs: ms,
        leftMs: Math.max(0, until - this.#clock.now()),
      });
      return false;
    }
    try {
      await this.#clock.sleep(ms, this.#halt.signal);
      return !this.#halted;
    } catch (error) {
      if (this.#halted) return false;
      throw error;
    }
  }

  /** A poll interval jittered to 75..125 % so polls never line up. */
  #pollDelay(): number {
    return this.#o.pollIntervalMs * (0.75 + this.#random() * 0.5);
  }

  #retryDelay(attempt: number, retryAfterMs?: number): number {
    const backoff = this.#o.backoff ?? { baseMs: 1000, maxMs: 60_000 };
    return retryDelay(attempt, { ...backoff, random: this.#random, retryAfterMs });
  }

  #iso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

/** The longest one download may take when neither --max-wait nor the pass bounds it. */
const DEFAULT_DOWNLOAD_DEADLINE_MS = 2 * 60 * 60_000;

/** Download failures where the same signed URL is worth one more try. */
const BROKEN_TRANSFER = new Set([
  "download_network",
  "download_interrupted",
  "download_truncated",
  "download_too_long",
]);

/** Thrown by `#record` once the journal failed: the event must not be acted on. */
class JournalUnavailable extends Error {
  constructor() {
    super("The journal cannot be written");
  }
}

/** The task cannot give a fresh URL: the download fails for good. */
class UrlNotRenewable extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError" ||
    error instanceof Error && error.name === "AbortError";
}
