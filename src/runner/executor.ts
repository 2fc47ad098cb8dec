/**
 * Carries out a plan: submits under the in-flight bound, polls each live task
 * on its own jittered timer, downloads finished videos under their own bound,
 * and journals every step before acting on it.
 *
 * This module is the run's frame (start, the pass bound, stop, result); the
 * loops are in submitter.ts, poller.ts and downloader.ts, and what they do
 * after each answer is decided by the pure functions in policy/.
 *
 * @module
 */
import type { ApiError } from "../errors.ts";
import type { JobAction } from "../plan.ts";
import type { JournalEvent } from "../journal/events.ts";
import type { SubmitOutcome, SubmitRequest } from "../api/client.ts";
import type { Task } from "../api/wire.ts";
import type { DownloadOptions } from "./download.ts";
import type { Clock } from "./clock.ts";
import type { RunEventSink } from "./events.ts";
import type { PollingMode } from "./policy/poll.ts";
import type { RenderEvidence } from "./policy/render_evidence.ts";
import { RunContext } from "./context.ts";
import { ImageCache } from "./images.ts";
import { Downloader } from "./downloader.ts";
import { Poller } from "./poller.ts";
import { Submitter } from "./submitter.ts";

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
  /**
   * How polls are timed: `fixed`, every `pollIntervalMs` jittered to
   * 75..125 %; `adaptive`, when a task is likely done (render times seen,
   * progress), and at least every `pollIntervalMs` once a task is older than
   * the shortest render seen for its kind. @default "fixed"
   */
  polling?: PollingMode;
  /**
   * Render times earlier runs of the batch saw, per kind (adaptive polling
   * adds what this run sees). @default none
   */
  renderEvidence?: RenderEvidence;
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

/** One run: the loops wired together, the pass timer, the stop, the result. */
class Run {
  readonly #run: RunContext;
  readonly #downloader: Downloader;
  readonly #poller: Poller;
  readonly #images: ImageCache;
  readonly #submitter: Submitter;

  constructor(options: ExecutorOptions) {
    this.#run = new RunContext(options);
    this.#downloader = new Downloader(this.#run);
    this.#poller = new Poller(this.#run, this.#downloader);
    this.#images = new ImageCache(options.readFile);
    this.#submitter = new Submitter(this.#run, this.#images, this.#poller);
  }

  async execute(actions: readonly JobAction[]): Promise<RunResult> {
    const run = this.#run;
    const o = run.options;
    const onStop = (): void => {
      run.interrupted = true;
      run.stopAll("interrupted");
    };
    // The end of the pass stops whatever is still under way, work kept.
    const passTimer = new AbortController();
    if (Number.isFinite(run.passEnd)) {
      run.clock.sleep(run.passEnd - run.clock.now(), passTimer.signal).then(() => {
        if (run.halted) return;
        run.passOver = true;
        run.stopAll("pass_over");
      }, () => {});
    }
    try {
      const count = (kind: JobAction["kind"]): number =>
        actions.filter((a) => a.kind === kind).length;
      run.emit({
        type: "run_started",
        jobs: actions.length,
        toSubmit: count("submit"),
        toPoll: count("poll"),
        toDownload: count("download"),
        skipped: count("skip"),
      });
      if (o.stop?.aborted) onStop();
      o.stop?.addEventListener("abort", onStop, { once: true });
      const work: Promise<void>[] = [];
      // Tasks already alive at the service take their slots first.
      for (const action of actions) {
        if (action.kind !== "poll") continue;
        run.bound.acquireAlive();
        const createdAt = action.createdAt ? Date.parse(action.createdAt) : 0;
        work.push(
          run.guard(() =>
            this.#poller.track(action.job, action.task, createdAt, false, action.status)
          ),
        );
      }
      for (const action of actions) {
        if (action.kind === "download") this.#downloader.start(action.job, action.task);
      }
      for (const action of actions) {
        if (action.kind !== "submit") continue;
        for (const image of action.job.images) this.#images.use(image.resolved);
      }
      for (const action of actions) {
        if (action.kind === "submit") work.push(run.guard(() => this.#submitter.submit(action)));
      }
      await Promise.all(work);
      run.bound.close();
      await this.#downloader.settle();
      run.emit({ type: "run_finished" });
      const failure = run.journal.failure;
      return {
        unauthorized: run.unauthorized,
        interrupted: run.interrupted,
        ...(run.passOver ? { passOver: true } : {}),
        ...(failure === undefined
          ? {}
          : { journalFailure: failure.error, unjournaled: run.journal.unjournaled }),
      };
    } finally {
      passTimer.abort();
      o.stop?.removeEventListener("abort", onStop);
    }
  }
}
