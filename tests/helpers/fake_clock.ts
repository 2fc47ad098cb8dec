/**
 * A fake {@linkcode Clock} for executor tests: time stands still until every
 * piece of work is idle, then jumps to the earliest pending timer. "Idle"
 * means the microtask queue ran for a long stretch without any new timer or
 * recorded activity, so a test never sleeps for real and its timings are
 * exact. Real I/O (a download writing its file) may be in progress while time
 * jumps; that only looks like slow I/O to the code under test.
 *
 * @module
 */
import type { Clock } from "../../src/runner/clock.ts";

/** One `sleep` the code under test asked for. */
export interface RecordedSleep {
  /** Fake time when it was asked for. */
  at: number;
  /** The requested duration. */
  ms: number;
}

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

/** Microtask turns without activity after which the work counts as idle. */
const SETTLE_TURNS = 2_000;

/** An auto-advancing manual clock. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #activity = 0;
  #advances = 0;
  #running = false;
  readonly #maxAdvances: number;
  readonly #timers: Timer[] = [];
  /** Every sleep requested, in order. */
  readonly sleeps: RecordedSleep[] = [];

  /**
   * @param options `start`: the initial time (epoch ms) @default 0;
   *   `maxAdvances`: a runaway guard, after which every new sleep rejects @default 20_000
   */
  constructor(options: { start?: number; maxAdvances?: number } = {}) {
    this.#now = options.start ?? 0;
    this.#maxAdvances = options.maxAdvances ?? 20_000;
  }

  /** @returns The fake time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Timers still waiting (sleeps and {@linkcode FakeClock.at} callbacks). */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Resolve when fake time reaches now + `ms`; reject with the signal's
   * reason when it aborts first.
   *
   * @param ms The duration.
   * @param signal Aborts the sleep.
   * @returns A promise of the wake-up.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push({ at: this.#now, ms });
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#advances >= this.#maxAdvances) {
      return Promise.reject(
        new Error(`FakeClock: more than ${this.#maxAdvances} timers fired; runaway loop?`),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const onAbort = (): void => {
      this.#remove(timer);
      reject(signal!.reason);
    };
    const timer = this.#add(Math.max(0, ms), () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    return promise;
  }

  /**
   * Run `callback` when fake time reaches `time` (it counts as pending work).
   *
   * @param time The fake time.
   * @param callback What to do then.
   */
  at(time: number, callback: () => void): void {
    this.#add(Math.max(0, time - this.#now), callback);
  }

  /** Note activity so that time does not jump while work is going on. */
  touch(): void {
    this.#activity++;
  }

  #add(ms: number, fire: () => void): Timer {
    const timer = { due: this.#now + ms, seq: this.#seq++, fire };
    this.#timers.push(timer);
    this.#timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.touch();
    if (!this.#running) void this.#run();
    return timer;
  }

  #remove(timer: Timer): void {
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
    this.touch();
  }

  /** Fire timers one by one, each once everything else has settled. */
  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#timers.length > 0) {
        await this.#settle();
        const timer = this.#timers.shift();
        if (timer === undefined) break;
        this.#now = Math.max(this.#now, timer.due);
        this.#advances++;
        this.touch();
        timer.fire();
      }
    } finally {
      this.#running = false;
    }
  }

  async #settle(): Promise<void> {
    let seen = this.#activity;
    for (let quiet = 0; quiet < SETTLE_TURNS; quiet++) {
      await Promise.resolve();
      if (this.#activity !== seen) {
        seen = this.#activity;
        quiet = 0;
      }
    }
  }
}
