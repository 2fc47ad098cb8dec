/**
 * A run's view of the journal: its `run_started` line is written just before
 * the run's first other event, in the same group commit, so a run that
 * changes nothing (a cron pass over a finished batch) leaves the journal
 * byte for byte as it was. It also counts the lines the run appended, for the
 * compaction at its end.
 *
 * @module
 */
import type { JournalEvent, RunStartedEvent } from "./events.ts";
import type { JournalWriter } from "./writer.ts";

/** A journal writer that starts the run's lines lazily and counts them. */
export interface RunJournal extends JournalWriter {
  /** Lines appended through it (the `run_started` line included). */
  readonly appended: number;
}

/**
 * Wrap a run's journal writer so that `runStarted` is appended just before
 * the first event the run appends, and not at all when it appends none.
 *
 * @param journal The open journal.
 * @param runStarted Builds the run's `run_started` event, when it is needed.
 * @returns The wrapped writer.
 */
export function lazyRunJournal(
  journal: JournalWriter,
  runStarted: () => RunStartedEvent,
): RunJournal {
  let started = false;
  let appended = 0;
  return {
    append(event: JournalEvent): Promise<void> {
      if (!started) {
        started = true;
        appended += 1;
        // Queued first and synchronously: it lands on the line before the
        // event, in the same write. Its own failure shows in the event's.
        journal.append(runStarted()).catch(() => {});
      }
      appended += 1;
      return journal.append(event);
    },
    close: () => journal.close(),
    get fsyncs(): number {
      return journal.fsyncs;
    },
    get appended(): number {
      return appended;
    },
  };
}
