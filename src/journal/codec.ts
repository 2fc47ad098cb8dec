/**
 * One journal line ↔ one {@linkcode JournalEvent}. Encoding is plain JSON on a
 * single line; decoding checks the shape of every known event type so replay
 * never acts on a line it does not understand.
 *
 * @module
 */

import { isRecord } from "../text.ts";
import type { TaskStatus } from "../domain/task_status.ts";
import type { JournalEntry } from "./events.ts";

/** What a field must hold: a primitive type, a job error, or a task status word. */
type FieldKind = "string" | "number" | "error" | "status" | "video" | "state";

/** A field's kind; a trailing `?` in the field name marks it optional. */
type Shape = Record<string, FieldKind>;

/** A shape as the checks walk it: no string work per line. */
type Field = readonly [name: string, kind: FieldKind, optional: boolean];

const TASK_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  "queued",
  "in_progress",
  "succeeded",
  "failed",
  "error",
  "unknown",
]);

/** The required (and `?`-optional) fields of each event type, besides `type`. */
const SHAPES: Readonly<Record<JournalEntry["type"], Shape>> = {
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
  job_state: { key: "string", state: "state" },
};

// The fields of a job's state by phase (a failed one by its failure): what a
// `job_state` line may hold, and must. Mirrors the state types in events.ts.
const BASE: Shape = {
  job: "string",
  phase: "string",
  attempts: "number",
  "fingerprint?": "string",
  "submittedAt?": "string",
};
const TASK: Shape = {
  task: "string",
  createdAt: "string",
  "status?": "status",
  "progress?": "number",
};
const STATE_SHAPES: Readonly<Record<string, Shape>> = {
  pending: { ...BASE, "openKey?": "string", "error?": "error" },
  uncertain: { ...BASE, openKey: "string", submittedAt: "string" },
  running: { ...BASE, ...TASK },
  succeeded: { ...BASE, ...TASK, "completedAt?": "string", "held?": "error" },
  done: {
    ...BASE,
    ...TASK,
    "completedAt?": "string",
    output: "string",
    bytes: "number",
    sha256: "string",
    downloadedAt: "string",
    "video?": "video",
  },
  "failed:rejected": { ...BASE, failure: "string", error: "error" },
  "failed:task": { ...BASE, ...TASK, failure: "string", error: "error", completedAt: "string" },
  "failed:download": {
    ...BASE,
    ...TASK,
    failure: "string",
    error: "error",
    "completedAt?": "string",
  },
};

function fieldsOf(shape: Shape): Field[] {
  return Object.entries(shape).map(([name, kind]) => {
    const optional = name.endsWith("?");
    return [optional ? name.slice(0, -1) : name, kind, optional] as const;
  });
}

const EVENT_FIELDS: ReadonlyMap<string, readonly Field[]> = new Map(
  Object.entries(SHAPES).map(([type, shape]) => [type, fieldsOf(shape)]),
);

/** Each phase's fields, and the names it may hold (a state holds no other). */
const STATE_FIELDS: ReadonlyMap<string, { fields: readonly Field[]; names: ReadonlySet<string> }> =
  new Map(
    Object.entries(STATE_SHAPES).map(([phase, shape]) => {
      const fields = fieldsOf(shape);
      return [phase, { fields, names: new Set(fields.map(([name]) => name)) }];
    }),
  );

/**
 * Encodes one event as a journal line (without the trailing newline).
 * `JSON.stringify` escapes every control character, so the line never
 * contains a newline whatever the event's strings hold.
 *
 * @param event The event to encode.
 * @returns One line of JSON.
 */
export function encodeEvent(event: JournalEntry): string {
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
export function decodeLine(line: string): JournalEntry | undefined {
  let value: unknown;
  try {
    // The usual line: one JSON object, at most a CR after it, parsed as it is.
    value = JSON.parse(line);
  } catch {
    // Anything else (a BOM, other spaces around it, a torn write) as before.
    const text = line.trim();
    if (text === line) return undefined;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return isJournalEvent(value) ? value : undefined;
}

/**
 * The `type` of a line that is an object with a `type` this version does not
 * know (a journal written by a newer version), for a message that says so.
 *
 * @param line One line of the journal.
 * @returns The unknown type, or `undefined` when the line is not such an object.
 */
export function unknownTypeOf(line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== "string") return undefined;
  return EVENT_FIELDS.has(value.type) ? undefined : value.type;
}

function isJournalEvent(value: unknown): value is JournalEntry {
  if (!isRecord(value) || typeof value.type !== "string") return false;
  const fields = EVENT_FIELDS.get(value.type);
  if (fields === undefined) return false;
  for (const [key, kind, optional] of fields) {
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

/**
 * Whether a value is a job's state as replay builds it: the fields its phase
 * must hold, each of its kind, and no field its phase never has.
 */
function isJobState(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const phase = value.phase === "failed" ? `failed:${value.failure}` : value.phase;
  const shape = typeof phase === "string" ? STATE_FIELDS.get(phase) : undefined;
  if (shape === undefined) return false;
  for (const [key, kind, optional] of shape.fields) {
    const field = value[key];
    if (field === undefined && optional) continue;
    if (!hasKind(field, kind)) return false;
  }
  for (const key in value) if (!shape.names.has(key)) return false;
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
    case "state":
      return isJobState(field);
  }
}
