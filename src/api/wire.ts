/**
 * The service's wire format, read tolerantly: task objects in either status
 * dialect, both error envelopes, and the non-JSON answers (HTML pages,
 * redirects, empty bodies) a wrong base URL produces. Pure: no I/O.
 *
 * @module
 */
import type { JobError } from "../domain/job_error.ts";
import type { TaskStatus } from "../domain/task_status.ts";
import { isRecord } from "../text.ts";

/** A video task as the service describes it, normalised. */
export interface Task {
  /** The task id (`id`, or `task_id` when `id` is absent). */
  id: string;
  /** The status normalised from either dialect. */
  status: TaskStatus;
  /** The status word exactly as the service sent it (for logs). */
  rawStatus: string;
  /** Progress in percent (0..100), when the service reports it. */
  progress?: number;
  /** The signed video URL, present once the task succeeded. */
  videoUrl?: string;
  /** Why the task failed, when the service says. */
  error?: JobError;
  /** When the task was created, in unix seconds. */
  createdAt?: number;
}

/** An error answer from the service, read from whatever body it sent. */
export interface ErrorBody {
  /** The service's own code (`error.code` or the flat `code`), if any. */
  serviceCode?: string;
  /**
   * The service's message when it sent one (see `fromService`); otherwise a
   * description of the answer a user can act on.
   */
  message: string;
  /** True when `message` is the service's own words from a JSON error body. */
  fromService: boolean;
}

const STATUS_WORDS: Readonly<Record<string, TaskStatus>> = {
  // Dialect 1 (upper case) and dialect 2 (lower case), compared case-insensitively.
  submitted: "queued",
  queued: "queued",
  in_progress: "in_progress",
  success: "succeeded",
  completed: "succeeded",
  failed: "failed",
  error: "error",
  // Nothing else: a word outside the contract's two dialects is "unknown",
  // non-terminal and never success, however close it looks.
};

/**
 * Normalise a status word from either of the service's dialects.
 *
 * @param word The status as sent, e.g. `SUCCESS` or `completed`.
 * @returns The normalised status; `"unknown"` for a word not recognised
 *   (non-terminal, never success).
 */
export function normaliseStatus(word: string): TaskStatus {
  const key = word.trim().toLowerCase().replaceAll("-", "_").replaceAll(" ", "_");
  return Object.hasOwn(STATUS_WORDS, key) ? STATUS_WORDS[key] : "unknown";
}

/**
 * Whether a task in this status will not change any more.
 *
 * @param status A normalised status.
 * @returns True for `succeeded`, `failed` and `error`.
 */
export function isTerminal(status: TaskStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "error";
}

function nonEmptyString(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function readProgress(value: unknown): number | undefined {
  const number = typeof value === "number"
    ? value
    : typeof value === "string"
    ? Number.parseFloat(value.replace("%", ""))
    : Number.NaN;
  if (!Number.isFinite(number)) return undefined;
  return Math.min(100, Math.max(0, number));
}

function readUnixSeconds(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    // Some gateways send milliseconds; no task is from before 2001 in seconds.
    return value > 1e12 ? Math.floor(value / 1000) : Math.floor(value);
  }
  if (typeof value === "string" && value.trim() !== "") {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return readUnixSeconds(asNumber);
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return Math.floor(parsed / 1000);
  }
  return undefined;
}

function readVideoUrl(body: Record<string, unknown>): string | undefined {
  const candidates: unknown[] = [body.video_url, body.url];
  if (isRecord(body.content)) candidates.push(body.content.video_url, body.content.url);
  if (Array.isArray(body.unsigned_urls)) candidates.push(body.unsigned_urls[0]);
  if (isRecord(body.output)) candidates.push(body.output.video_url, body.output.url);
  for (const candidate of candidates) {
    const url = nonEmptyString(candidate);
    if (url !== undefined && /^https?:\/\//i.test(url)) return url;
  }
  return undefined;
}

function readTaskError(body: Record<string, unknown>): JobError | undefined {
  const error = body.error;
  if (isRecord(error)) {
    const message = nonEmptyString(error.message) ?? nonEmptyString(error.code);
    if (message !== undefined) {
      return { code: nonEmptyString(error.code) ?? "task_failed", message };
    }
  }
  const flat = nonEmptyString(error) ?? nonEmptyString(body.fail_reason) ??
    nonEmptyString(body.failure_reason) ?? nonEmptyString(body.error_message);
  if (flat !== undefined) {
    return { code: nonEmptyString(body.error_code) ?? "task_failed", message: flat };
  }
  return undefined;
}

/** A task object whose id cannot be used: the task exists, and cannot be followed. */
export class TaskIdError extends TypeError {
  /**
   * Create the error.
   *
   * @param message What is wrong with the id.
   */
  constructor(message: string) {
    super(message);
    this.name = "TaskIdError";
  }
}

/**
 * Why a task id cannot name its task in a URL, if it cannot: `.` and `..` are
 * path steps that every URL parser removes, even percent-encoded, so
 * `GET /v1/videos/..` would ask for another resource. Any other text is
 * percent-encoded as one path segment.
 *
 * @param id The task id as the service sent it.
 * @returns The problem, or undefined for a usable id.
 */
export function taskIdProblem(id: string): string | undefined {
  if (id.trim() === "") return "the task id is empty";
  if (id === "." || id === "..") {
    return `the task id "${id}" cannot be used in a URL, so the task cannot be followed`;
  }
  return undefined;
}

/**
 * Read a task object from a parsed JSON body. Tolerant of both dialects, of
 * a `{"data": {...}}` wrapper, of progress as `"50%"`, and of the video URL
 * under `video_url`, `url` or `content.video_url`.
 *
 * @param body The parsed JSON body.
 * @returns The normalised task.
 * @throws {TypeError} When the body is not an object or carries no task id;
 *   {@linkcode TaskIdError} when its id cannot be used in a URL.
 */
export function parseTask(body: unknown): Task {
  if (!isRecord(body)) {
    throw new TypeError(`Cannot read task: the body is ${describeJson(body)}, not an object`);
  }
  let object = body;
  if (
    nonEmptyString(object.id) === undefined && nonEmptyString(object.task_id) === undefined &&
    isRecord(object.data)
  ) {
    object = object.data;
  }
  const id = nonEmptyString(object.id) ?? nonEmptyString(object.task_id);
  if (id === undefined) {
    throw new TypeError('Cannot read task: the body has no "id" or "task_id"');
  }
  const idProblem = taskIdProblem(id);
  if (idProblem !== undefined) throw new TaskIdError(`Cannot read task: ${idProblem}`);
  const rawStatus = nonEmptyString(object.status) ?? "";
  const task: Task = { id, status: normaliseStatus(rawStatus), rawStatus };
  const progress = readProgress(object.progress);
  if (progress !== undefined) task.progress = progress;
  const videoUrl = readVideoUrl(object);
  if (videoUrl !== undefined) task.videoUrl = videoUrl;
  const error = readTaskError(object);
  if (error !== undefined) task.error = error;
  const createdAt = readUnixSeconds(object.created_at ?? object.createdAt);
  if (createdAt !== undefined) task.createdAt = createdAt;
  return task;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Collapse whitespace and cut a text to a length fit for one message line. */
function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * True when an answer is a web page, by its content type or its first tag.
 *
 * @param contentType The `Content-Type` header, or null.
 * @param text The body.
 * @returns Whether it is HTML.
 */
export function looksLikeHtml(contentType: string | null, text: string): boolean {
  if (contentType !== null && /html/i.test(contentType)) return true;
  return /^\s*(<!doctype html|<html|<head|<body)/i.test(text);
}

/**
 * Read an error answer from the service. Understands the nested envelope
 * `{"error":{"message","type","param","code"}}` and the flat `{"code","message"}`;
 * describes HTML pages, empty and other non-JSON bodies clearly. (A redirect
 * never gets here: the client describes it from its `Location`.)
 *
 * @param status The HTTP status (not a 3xx).
 * @param contentType The `Content-Type` header, if any.
 * @param text The body as text.
 * @returns The service's code and message (or a description of the answer).
 */
export function parseErrorBody(
  status: number,
  contentType: string | null,
  text: string,
): ErrorBody {
  const trimmed = text.trim();
  if (trimmed === "") {
    return { message: `the service answered ${status} with an empty body`, fromService: false };
  }
  if (looksLikeHtml(contentType, trimmed)) {
    return {
      message: `the service answered ${status} with an HTML page; is --base-url right?`,
      fromService: false,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return {
      message: `the service answered ${status} with a body that is not JSON: "${excerpt(trimmed)}"`,
      fromService: false,
    };
  }
  if (isRecord(json)) {
    const envelope = isRecord(json.error) ? json.error : json;
    const code = nonEmptyString(envelope.code) ?? nonEmptyString(json.code);
    const message = nonEmptyString(envelope.message) ??
      nonEmptyString(json.message) ?? nonEmptyString(json.error) ?? nonEmptyString(json.msg) ??
      nonEmptyString(json.detail);
    if (message !== undefined || code !== undefined) {
      const result: ErrorBody = {
        message: excerpt(message ?? code ?? "", 1000),
        fromService: true,
      };
      // A bare identifier as the message (e.g. "task_not_exist") is the code
      // when no other code was sent.
      const serviceCode = code ?? (/^[a-z][a-z0-9_]*$/.test(message ?? "") ? message : undefined);
      if (serviceCode !== undefined) result.serviceCode = serviceCode;
      return result;
    }
  }
  return {
    message: `the service answered ${status} with JSON that is not an error: "${excerpt(trimmed)}"`,
    fromService: false,
  };
}
