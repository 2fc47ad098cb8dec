/**
 * The seeded fault model: which fault (if any) strikes a request. Each fault
 * draws from its own seeded stream, so turning one on does not change the
 * draws of the others, and a run with the same seed and the same sequence of
 * requests meets the same faults.
 *
 * @module
 */
import type { SimulatorFaults } from "./options.ts";
import { chance, createRandom, deriveSeed, pick, type Random } from "./random.ts";

/** A fault striking a submit. */
export type SubmitFault =
  | { kind: "submit_reset" }
  | { kind: "submit_server_error"; status: number }
  | { kind: "submit_unavailable" }
  | { kind: "submit_rate_limited" }
  | { kind: "submit_invalid_request" }
  | null;

/** A fault striking a poll. */
export type PollFault =
  | { kind: "poll_reset" }
  | { kind: "poll_server_error"; status: number }
  | { kind: "poll_rate_limited" }
  | null;

/** A fault striking a download. */
export type DownloadFault = "download_truncated" | "download_reset" | null;

/** Decides faults from the options and the seed. */
export class FaultModel {
  readonly #faults: SimulatorFaults;
  readonly #streams = new Map<string, Random>();
  readonly #seed: number;

  /**
   * @param faults The fault options.
   * @param seed The simulator's seed.
   */
  constructor(faults: SimulatorFaults, seed: number) {
    this.#faults = faults;
    this.#seed = seed;
  }

  /** The fault (if any) that strikes a submit before anything is created. */
  submitFault(): SubmitFault {
    const f = this.#faults;
    if (this.#roll("submit_reset", f.submitReset)) return { kind: "submit_reset" };
    if (this.#roll("submit_server_error", f.submitServerError)) {
      const statuses = f.submitServerErrorStatuses ?? [500, 502, 524];
      return { kind: "submit_server_error", status: pick(this.#stream("status"), statuses) };
    }
    if (this.#roll("submit_unavailable", f.submitUnavailable)) {
      return { kind: "submit_unavailable" };
    }
    if (this.#roll("submit_rate_limited", f.submitRateLimited)) {
      return { kind: "submit_rate_limited" };
    }
    if (this.#roll("submit_invalid_request", f.submitInvalidRequest)) {
      return { kind: "submit_invalid_request" };
    }
    return null;
  }

  /** Whether the answer of a submit that created its task is lost. */
  answerLost(): boolean {
    return this.#roll("submit_answer_lost", this.#faults.submitAnswerLost);
  }

  /** The fault (if any) that strikes a poll. */
  pollFault(): PollFault {
    const f = this.#faults;
    if (this.#roll("poll_reset", f.pollReset)) return { kind: "poll_reset" };
    if (this.#roll("poll_server_error", f.pollServerError)) {
      const statuses = f.pollServerErrorStatuses ?? [500, 502, 503, 504, 524];
      return { kind: "poll_server_error", status: pick(this.#stream("status"), statuses) };
    }
    if (this.#roll("poll_rate_limited", f.pollRateLimited)) return { kind: "poll_rate_limited" };
    return null;
  }

  /** The fault (if any) that strikes a download. */
  downloadFault(): DownloadFault {
    if (this.#roll("download_reset", this.#faults.downloadReset)) return "download_reset";
    if (this.#roll("download_truncated", this.#faults.downloadTruncated)) {
      return "download_truncated";
    }
    return null;
  }

  /** Milliseconds to delay this answer (0 when not slowed). */
  delayMs(): number {
    const slow = this.#faults.slow;
    if (slow === undefined || !this.#roll("slow", slow.probability)) return 0;
    return slow.delayMs;
  }

  /**
   * A `Retry-After` value: seconds, or sometimes an HTTP date.
   *
   * @param now Milliseconds since the epoch.
   * @returns The header value and the time (ms) before which the client should not come back.
   */
  retryAfter(now: number): { header: string; until: number } {
    const seconds = this.#faults.retryAfterSeconds ?? 1;
    if (this.#roll("retry_after_date", this.#faults.retryAfterHttpDate)) {
      // An HTTP date has whole seconds: round up so the client never waits less.
      const until = Math.ceil((now + seconds * 1000) / 1000) * 1000;
      return { header: new Date(until).toUTCString(), until: now + seconds * 1000 };
    }
    return { header: String(seconds), until: now + seconds * 1000 };
  }

  #roll(name: string, probability: number | undefined): boolean {
    return chance(this.#stream(name), probability);
  }

  #stream(name: string): Random {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = createRandom(deriveSeed(this.#seed, `fault:${name}`));
      this.#streams.set(name, stream);
    }
    return stream;
  }
}
