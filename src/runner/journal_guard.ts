/**
 * The journal as the run writes it: every event is stamped and made durable
 * before the run acts on it; the first failed append stops the run, and what
 * the journal would not take is retried, then kept in the recovery file, and
 * reported either way.
 *
 * @module
 */
import { messageOf } from "../errors.ts";
import type { JournalEvent } from "../journal/events.ts";
import type { Job } from "../manifest/job.ts";
import type { Clock } from "./clock.ts";
import type { RunEventSink } from "./events.ts";
import type { EventJournal, RecoverySink, UnjournaledEvent } from "./executor.ts";

/** An event as the executor writes it: `at` and `job` are filled in by {@linkcode JournalGuard.record}. */
export type JournalEventBody = JournalEvent extends infer E
  ? E extends JournalEvent ? Omit<E, "at" | "job"> : never
  : never;

/** Thrown by {@linkcode JournalGuard.record} once the journal failed: the event must not be acted on. */
export class JournalUnavailable extends Error {
  constructor() {
    super("The journal cannot be written");
  }
}

/** What {@linkcode JournalGuard} writes to and tells. */
export interface JournalGuardOptions {
  /** Where events are made durable. */
  journal: EventJournal;
  /** Where events go that the journal cannot take. */
  recovery?: RecoverySink;
  /** Retries of each refused event, and the first wait (doubled each time). */
  retry: { tries: number; delayMs: number };
  /** Time, for stamps and the waits between retries. */
  clock: Clock;
  /** Receives `journal_failed` and `unjournaled`. */
  emit: RunEventSink;
  /** Called once, at the first failed append: the run stops starting anything. */
  onFailure: () => void;
}

/** The run's journal writer, with the failure path. */
export class JournalGuard {
  readonly #o: JournalGuardOptions;
  /** The first failed journal append; from then on nothing new is started. */
  #failure?: { error: unknown };
  readonly #unjournaled: UnjournaledEvent[] = [];

  /** @param options The journal, the recovery sink and the run's hooks. */
  constructor(options: JournalGuardOptions) {
    this.#o = options;
  }

  /** The first failed append, if the journal failed. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** The events the journal does not hold, in order. */
  get unjournaled(): UnjournaledEvent[] {
    return this.#unjournaled;
  }

  /**
   * Journal an event about `job`, stamped now; resolves once it is durable.
   * When the journal cannot take it, the run stops starting anything new,
   * the event (or `lost`, what stands for it when it is not recorded; `null`:
   * nothing) is kept as well as can be, and this throws
   * {@linkcode JournalUnavailable} so the caller does not act on it.
   *
   * @param job The job the event is about.
   * @param body The event without its stamp.
   * @param lost What stands for the event when it is not recorded.
   */
  async record(job: Job, body: JournalEventBody, lost?: JournalEventBody | null): Promise<void> {
    const stamp = (b: JournalEventBody): JournalEvent =>
      ({ ...b, at: new Date(this.#o.clock.now()).toISOString(), job: job.id }) as JournalEvent;
    const event = stamp(body);
    if (this.#failure === undefined) {
      try {
        await this.#o.journal.append(event);
        return;
      } catch (error) {
        this.#failed(error);
      }
    }
    const keep = lost === undefined ? event : lost === null ? undefined : stamp(lost);
    if (keep !== undefined) await this.#keepUnjournaled(keep);
    throw new JournalUnavailable();
  }

  /** The first failed append: stop submitting and end the run's work at once. */
  #failed(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#o.emit({ type: "journal_failed", message: messageOf(error) });
    this.#o.onFailure();
  }

  /**
   * Keep an event the journal refused: try the journal again a few times
   * with backoff, then the recovery sink, and report it either way.
   */
  async #keepUnjournaled(event: JournalEvent): Promise<void> {
    const retry = this.#o.retry;
    for (let attempt = 0; attempt < retry.tries; attempt++) {
      // Not cut short by a stop: bounded, and what it keeps is a paid task.
      await this.#o.clock.sleep(retry.delayMs * 2 ** attempt);
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
    this.#o.emit({ type: "unjournaled", event, ...(keptIn === undefined ? {} : { keptIn }) });
  }
}
