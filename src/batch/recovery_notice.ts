/**
 * What a run says about the journal's way back: when the journal could not
 * be written, every event the journal does not hold (job and task ids first)
 * with how to get it back without paying again.
 *
 * @module
 */
import { join } from "node:path";
import { messageOf } from "../errors.ts";
import { encodeEvent } from "../journal/codec.ts";
import type { JournalEvent } from "../journal/events.ts";
import type { UnjournaledEvent } from "../runner/executor.ts";
import { plural } from "../text.ts";

/**
 * The lines `run` ends with after its journal failed.
 *
 * @param failure The first append error.
 * @param unjournaled The events the journal does not hold.
 * @param outDir The output folder.
 * @returns Lines for standard error.
 */
export function journalFailureLines(
  failure: unknown,
  unjournaled: readonly UnjournaledEvent[],
  outDir: string,
): string[] {
  const lines = [
    `error: ${messageOf(failure)}; the run stopped submitting at once and sent nothing after it`,
  ];
  if (unjournaled.length === 0) {
    lines.push("every event the run learned after that is in the journal");
    return lines;
  }
  lines.push(`error: ${plural(unjournaled.length, "event")} not in the journal:`);
  for (const { event, keptIn } of unjournaled) {
    lines.push(
      `  ${describe(event)}: ${
        keptIn === undefined ? "NOT KEPT (see below)" : `kept in ${safeText(keptIn)}`
      }`,
    );
  }
  const files = [...new Set(unjournaled.flatMap((u) => u.keptIn ?? []))];
  if (files.length > 0) {
    lines.push(
      `the next run adds ${files.join(", ")} to the journal before anything else, then polls ` +
        `and downloads these tasks without submitting them again (free space first)`,
    );
  }
  const nowhere = unjournaled.filter((u) => u.keptIn === undefined);
  if (nowhere.length > 0) {
    lines.push(
      `to take back what was kept nowhere without paying again, save the next ` +
        `${plural(nowhere.length, "line")} as ${join(outDir, "recovered-manual.jsonl")} ` +
        `before the next run, which adds them to the journal:`,
    );
    for (const { event } of nowhere) lines.push(eventLine(event));
  }
  return lines;
}

/** `job clip-1, task t-1 (submitted)`. */
function describe(event: JournalEvent): string {
  const job = "job" in event ? `job ${safeText(event.job)}` : event.type;
  const task = "task" in event ? `, task ${safeText(event.task)}` : "";
  return `${job}${task} (${event.type})`;
}

/** Control characters (C0, DEL, C1) that a terminal may act on. */
// deno-lint-ignore no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text the service or the manifest controls, safe to print: each control
 * character shown as `\u{..}`, so an id cannot retitle or recolour a terminal.
 *
 * @param text Any text.
 * @returns The text with its control characters escaped.
 */
export function safeText(text: string): string {
  return text.replace(CONTROL, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/**
 * An event as a journal line safe to print and to paste back: JSON already
 * escapes C0 characters; DEL and C1 are escaped the JSON way too, so the line
 * reads back as the same event.
 *
 * @param event The event.
 * @returns One line of JSON.
 */
export function eventLine(event: JournalEvent): string {
  return encodeEvent(event).replace(
    CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
