/**
 * What the loops of one run share: its options, time, the in-flight bound,
 * the journal, the halt (stop, refused key, end of the pass, journal
 * failure), and bounded sleeps.
 *
 * @module
 */
import type { ApiError } from "../errors.ts";
import { type Clock, realClock } from "./clock.ts";
import type { RunEvent } from "./events.ts";
import type { ExecutorOptions } from "./executor.ts";
import { InFlightBound } from "./in_flight.ts";
import { JournalGuard, JournalUnavailable } from "./journal_guard.ts";
import { refuseWait, submitEnd, waitEnd } from "./policy/bounds.ts";
import type { PollTiming } from "./policy/poll.ts";
import type { RetryTiming } from "./policy/timing.ts";

/** Why a run stops before its work is done. */
export type StopReason = "interrupted" | "unauthorized" | "pass_over" | "journal_failed";

/** The state and helpers one run's submitter, poller and downloader share. */
export class RunContext {
  /** The run's options. */
  readonly options: ExecutorOptions;
  /** Time. */
  readonly clock: Clock;
  /** Most tasks alive at the service at once. */
  readonly bound: InFlightBound;
  /** The journal, with its failure path. */
  readonly journal: JournalGuard;
  /** When this run's time is up (`passTimeMs`), in clock milliseconds. */
  readonly passEnd: number;
  /** When a bounded pass stops starting submissions (a margin before `passEnd`). */
  readonly submitEnd: number;
  /** Backoff and jitter of retries. */
  readonly retryTiming: RetryTiming;
  /** Poll interval and jitter. */
  readonly pollTiming: PollTiming;
  /** Set when the service rejected the key. */
  unauthorized?: ApiError;
  /** Whether the run was stopped by `options.stop`. */
  interrupted = false;
  /** Whether the run reached the end of its time with work left. */
  passOver = false;
  /** Aborts waits, polls and downloads on a stop. */
  readonly #halt = new AbortController();

  /** @param options The run's options. */
  constructor(options: ExecutorOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    const random = options.random ?? Math.random;
    this.retryTiming = { backoff: options.backoff ?? { baseMs: 1000, maxMs: 60_000 }, random };
    this.pollTiming = { pollIntervalMs: options.pollIntervalMs, random };
    this.bound = new InFlightBound(options.concurrency);
    this.journal = new JournalGuard({
      journal: options.journal,
      recovery: options.recovery,
      retry: options.journalRetry ?? { tries: 3, delayMs: 250 },
      clock: this.clock,
      emit: (event) => this.emit(event),
      onFailure: () => this.stopAll("journal_failed"),
    });
    this.passEnd = options.passTimeMs === undefined
      ? Infinity
      : this.clock.now() + options.passTimeMs;
    this.submitEnd = submitEnd(this.clock.now(), options.passTimeMs);
  }

  /** Whether a new submission may still start: not past the end of submissions of the pass. */
  get submitting(): boolean {
    return !this.halted && this.clock.now() < this.submitEnd;
  }

  /** Aborted once the run halts. */
  get signal(): AbortSignal {
    return this.#halt.signal;
  }

  /** Whether the run halted: nothing new starts, waits end. */
  get halted(): boolean {
    return this.#halt.signal.aborted;
  }

  /** Tell the caller what happened. */
  emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }

  /** The service refused the key: stop the run. */
  rejectKey(error: ApiError): void {
    this.unauthorized ??= error;
    this.stopAll("unauthorized");
  }

  /** Halt the run (once): waits, polls and transfers end, no slot is given out. */
  stopAll(reason: StopReason): void {
    if (this.halted) return;
    this.emit({ type: "run_stopping", reason });
    this.#halt.abort(new DOMException(reason, "AbortError"));
    this.bound.close();
  }

  /** Run a job's work so that one job's bug cannot take the others down silently. */
  async guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof JournalUnavailable) return;
      if (this.halted && isAbort(error)) return;
      throw error;
    }
  }

  /**
   * The latest time a wait may end outside a task's or a download's own
   * deadline: the end of the pass, and no single wait longer than --max-wait.
   */
  waitEnd(): number {
    return waitEnd(this.clock.now(), this.passEnd, this.options.maxWaitMs);
  }

  /**
   * Sleep unless halted; `false` when the run halted, or, without sleeping,
   * when the wait would end after `until` or the pass (the caller keeps its
   * work for the next run).
   */
  async sleep(ms: number, bound: { until?: number; job?: string } = {}): Promise<boolean> {
    const refused = refuseWait(ms, this.clock.now(), bound.until, this.passEnd);
    if (refused !== undefined) {
      this.emit({
        type: "wait_refused",
        ...(bound.job === undefined ? {} : { job: bound.job }),
        delayMs: ms,
        leftMs: refused.leftMs,
      });
      return false;
    }
    try {
      await this.clock.sleep(ms, this.#halt.signal);
      return !this.halted;
    } catch (error) {
      if (this.halted) return false;
      throw error;
    }
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError" ||
    error instanceof Error && error.name === "AbortError";
}
