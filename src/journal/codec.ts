/**
 * One journal line ↔ one {@linkcode JournalEvent}. Encoding is plain JSON on a
 * single line; decoding checks the shape of every known event type so replay
 * never acts on a line it does not understand.
 *
 * @module
 */

import { isRecord } from "../text.ts";
import type { TaskStatus } from "../domain/task_status.ts";
import type { JournalEvent } from "./events.ts";

/** What a field must hold: a primitive type, a job error, or a task status word. */
type FieldKind = "string" | "number" | "error" | "status" | "video";

/** A field's kind; a trailing `?` in the field name marks it optional. */
type Shape = Record<string, FieldKind>;

const TASK_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  "queued",
  "in_progress",
  "succeeded",
  "failed",
  "error",
  "unknown",
]);

/** The required (and `?`-optional) fields of each event type, besides `type`. */
const SHAPES: Readonly<Record<JournalEvent["type"], Shape>> = {
  run_started: { at: "string", pid: "number", host: "string", version: "string" },
  submitting: { at: "string", job: "string", fingerprint: "string", key: "string" },
  not_created: { at: "string", job: "string", key: "string", status: "number", message: "string" },
  submitted: { at: "string", job: "string", key: "string", task: "string" },
  rejected: { at: "string", job: "string", key: "string", status: "number", error: "error" },
  outcome_unknown: { at: "string", job: "string", key: "string", message: "string" },
  status: { at: "string", job: "string", task: "string", status: "status", "progress?": "number" },
  task_failed: { at: "string", job: "string", task: "string", error: "error" },
  task_succeeded: { at: "string", job: "string", task: "string" },
  downloaded: {
    at: "string",
    job: "string",
    task: "string",
    output: "string",
    bytes: "number",
    sha256: "string",
    "video?": "video",
  },
  download_failed: { at: "string", job: "string", task: "string", error: "error" },
  download_held: { at: "string", job: "string", task: "string", error: "error" },
  video_lost: { at: "string", job: "string", task: "string", output: "string", error: "error" },
};

/**
 * Encodes one event as a journal line (without the trailing newline).
 * `JSON.stringify` escapes every control character, so the line never
 * contains a newline whatever the event's strings hold.
 *
 * @param event The event to encode.
 * @returns One line of JSON.
 */
export function encodeEvent(event: JournalEvent): string {
  return JSON.stringify(event);
}

/**
 * Decodes one journal line.
 *
 * @param line One line of the journal, with or without its line ending.
 * @returns The event, or `undefined` when the line is blank, is not JSON, has
 * an unknown `type`, or lacks a field its type requires (or holds one of the
 * wrong type). Fields the codec does not know are kept as they are.
 */
export function decodeLine(line: string): JournalEvent | undefined {
  const text = line.trim();
  if (text === "" || text[0] !== "{") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isJournalEvent(value) ? value : undefined;
}

function isJournalEvent(value: unknown): value is JournalEvent {
  if (!isRecord(value) || typeof value.type !== "string" || !Object.hasOwn(SHAPES, value.type)) {
    return false;
  }
  const shape = SHAPES[value.type as JournalEvent["type"]];
  for (const [name, kind] of Object.entries(shape)) {
    const optional = name.endsWith("?");
    const key = optional ? name.slice(0, -1) : name;
    const field = value[key];
    if (field === undefined && optional) continue;
    if (!hasKind(field, kind)) {
      // A video's facts are a note on a done download: unreadable, they are
      // dropped, never the download with them.
      if (kind === "video" && optional) {
        delete value[key];
        continue;
      }
      return false;
    }
  }
  return true;
}

function hasKind(field: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof field === "string";
    case "number":
      return typeof field === "number" && Number.isFinite(field);
    case "status":
      return typeof field === "string" && TASK_STATUSES.has(field as TaskStatus);
    case "error":
      return isRecord(field) && typeof field.code === "string" &&
        typeof field.message === "string";
    case "video":
      return isRecord(field) && hasKind(field.duration, "number") &&
        hasKind(field.width, "number") && hasKind(field.height, "number") &&
        typeof field.codec === "string";
  }
}
