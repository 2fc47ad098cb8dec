/**
 * Renders the executor's events as lines for a person (text) or a machine
 * (`--log-format json`: one JSON object a line). Neither form carries a raw
 * control character: text lines escape them, JSON escapes them as JSON does.
 *
 * @module
 */
import type { RunEvent } from "../runner/events.ts";
import type { JournalEvent } from "../journal/events.ts";
import { eventLine, safeText } from "../batch/recovery_notice.ts";
import { escapeControls, formatBytes, plural } from "../text.ts";

/** How events are rendered. */
export interface ProgressOptions {
  format: "text" | "json";
  /** Only failures and the summary. */
  quiet: boolean;
  /** Clock for the JSON `time` field. */
  now?: () => Date;
  /**
   * What a stop by Ctrl-C leaves: the tasks in flight at that moment and the
   * command that collects them. Without it, the stop line says neither.
   */
  onInterrupt?: () => { inFlight: number; command: string };
}

/**
 * Make an event sink that writes rendered lines.
 *
 * @param write Receives each line.
 * @param options Format and verbosity.
 * @returns The sink to hand the executor.
 */
export function progressPrinter(
  write: (line: string) => void,
  options: ProgressOptions,
): (event: RunEvent) => void {
  const now = options.now ?? (() => new Date());
  return (event) => {
    if (options.quiet && !IMPORTANT.has(event.type)) return;
    if (options.format === "json") {
      write(JSON.stringify({ time: now().toISOString(), ...event }));
      return;
    }
    // Ids, status words, task ids and messages come from the manifest and the
    // service: their control characters are shown, never sent to the terminal.
    const line = event.type === "run_stopping" && event.reason === "interrupted" &&
        options.onInterrupt !== undefined
      ? interruptedLine(options.onInterrupt())
      : describeEvent(event);
    if (line !== undefined) write(escapeControls(line));
  };
}

const IMPORTANT = new Set<RunEvent["type"]>([
  "job_failed",
  "job_uncertain",
  "job_deferred",
  "run_stopping",
  "task_timed_out",
  "download_held",
  "video_lost",
  "job_changed",
  "download_deferred",
  "wait_refused",
  "journal_failed",
  "unjournaled",
]);

/** What an event the journal could not take is about, and where it is kept. */
function unjournaledLine(event: JournalEvent, keptIn: string | undefined): string {
  const job = "job" in event ? safeText(event.job) : "-";
  const task = "task" in event ? ` (task ${safeText(event.task)})` : "";
  const what = `${job}: the journal does not hold "${event.type}"${task}`;
  return keptIn === undefined
    ? `${what}, and it could not be kept: ${eventLine(event)}`
    : `${what}; kept in ${safeText(keptIn)}, which the next run adds to the journal`;
}

/**
 * What Ctrl-C leaves behind: the tasks in flight go on rendering, and
 * billing, at the service; the same command collects them.
 */
function interruptedLine(left: { inFlight: number; command: string }): string {
  const stop = "stopping: no new submissions; saving state";
  if (left.inFlight === 0) return `${stop}; nothing is in flight. To continue: ${left.command}`;
  const tasks = plural(left.inFlight, "task");
  return `${stop}. ${tasks} in flight keep${left.inFlight === 1 ? "s" : ""} rendering ` +
    `(and billing) at the service; this command collects ${
      left.inFlight === 1 ? "it" : "them"
    }: ${left.command}`;
}

/** One line of text for an event, or undefined for events a person need not see. */
function describeEvent(event: RunEvent): string | undefined {
  switch (event.type) {
    case "run_started":
      return `run: ${event.jobs} jobs: ${event.toSubmit} to submit, ${event.toPoll} in flight, ` +
        `${event.toDownload} to download, ${event.skipped} with nothing to do`;
    case "job_submitted":
      return `${event.job}: submitted as task ${event.task}`;
    case "status_changed":
      return `${event.job}: ${event.status.replace("_", " ")}` +
        (event.progress === undefined ? "" : ` (${event.progress}%)`);
    case "unknown_status":
      return `${event.job}: task ${event.task} reports an unknown status "${event.word}"; still waiting`;
    case "retry_scheduled":
      return `${event.job}: ${event.operation} retry ${event.attempt} in ${
        (event.delayMs / 1000).toFixed(1)
      }s: ${event.reason}`;
    case "job_uncertain":
      return `${event.job}: UNCERTAIN: the submission's outcome is unknown (${event.message}); ` +
        `a task may exist and be billed. Rerun with --resubmit-uncertain to submit it again`;
    case "job_failed":
      return `${event.job}: FAILED: ${event.error.message}`;
    case "job_deferred":
      return `${event.job}: not submitted in this run: ${event.message}`;
    case "task_timed_out":
      return `${event.job}: still rendering after ${
        Math.round(event.waitedMs / 1000)
      }s; task ${event.task} is kept for the next run`;
    case "download_finished":
      return `${event.job}: done: ${event.output} (${formatBytes(event.bytes)})` +
        (event.mismatch !== undefined && event.mismatch.length > 0
          ? `; does not match: ${event.mismatch.join("; ")}`
          : event.note !== undefined
          ? `; ${event.note}`
          : "");
    case "download_held":
      return `${event.job}: video not saved: ${event.error.message}; task ${event.task} ` +
        `succeeded and is kept: the next run downloads it`;
    case "job_changed":
      return event.rerender
        ? `${event.job}: edited since submitted; rendering the new version` +
          (event.previous === undefined ? "" : ` (the old video is kept as ${event.previous})`)
        : `${event.job}: CHANGED: edited since ${
          event.task === undefined ? "it was submitted" : `task ${event.task} was made`
        }; its old result is not used. Run with --rerender-changed to render the new version`;
    case "video_lost":
      return `${event.job}: ${event.error.message}; fetching it again from task ${event.task}`;
    case "download_deferred":
      return `${event.job}: download left for the next run: ${event.message}`;
    case "wait_refused":
      return `${event.job === undefined ? "run" : event.job}: not waiting ${
        (event.delayMs / 1000).toFixed(1)
      }s (${
        (event.leftMs / 1000).toFixed(1)
      }s left in this run); the work is kept for the next run`;
    case "run_stopping":
      return event.reason === "interrupted"
        ? "stopping: no new submissions; saving state"
        : event.reason === "pass_over"
        ? "stopping: the time of this pass is up (--pass-time); the work is kept for the next run"
        : event.reason === "unauthorized"
        ? "stopping: the service rejected the API key"
        : "stopping: the journal cannot be written; no new submissions";
    case "journal_failed":
      return `error: ${event.message}`;
    case "unjournaled":
      return unjournaledLine(event.event, event.keptIn);
    case "run_finished":
      return undefined;
  }
}
