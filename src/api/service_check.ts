/**
 * Is the base URL the video API? The answer to one cheap request (a GET of a
 * task id that cannot exist) tells: the API answers with its JSON error for an
 * unknown task, or 401 for a bad key; a web page, a redirect or a 404 for the
 * route is something else, where a submit could only fail or, worse, look
 * like a task that may have been billed. Pure: the answer in, a verdict out.
 *
 * @module
 */
import { looksLikeHtml, parseErrorBody, parseTask } from "./wire.ts";

/** What the answer to the check says about the base URL. */
export type ServiceVerdict =
  /** The video API answered (possibly busy: the run's own retries deal with that). */
  | { kind: "api" }
  /** The API answered 401: the key is rejected. */
  | { kind: "unauthorized"; message: string }
  /** Something answered that is not the video API. */
  | { kind: "not_api"; reason: string }
  /** An answer that may pass (a gateway's 502 page, a 429 without a JSON body). */
  | { kind: "busy"; reason: string; retryAfterMs?: number };

/** The parts of an HTTP answer the verdict reads. */
export interface CheckAnswer {
  /** The HTTP status. */
  status: number;
  /** The `Content-Type` header, or null. */
  contentType: string | null;
  /** The `Location` header, or null. */
  location: string | null;
  /** The body as text. */
  text: string;
  /** The `Retry-After` wait, when sent. */
  retryAfterMs?: number;
}

/** Statuses that mean "try again later" rather than "this is not the API". */
const PASSING_STATUSES = new Set([408, 409, 425, 429, 500, 502, 503, 504, 524]);

/**
 * Judge one answer to `GET {base}/v1/videos/{probeId}`.
 *
 * @param answer The status, headers and body that came back.
 * @param probeId The task id asked for (an API may quote it back).
 * @returns The verdict.
 */
export function judgeServiceAnswer(answer: CheckAnswer, probeId: string): ServiceVerdict {
  const { status } = answer;
  if (status >= 300 && status < 400) {
    const to = answer.location === null ? "" : ` to "${answer.location}"`;
    return { kind: "not_api", reason: `it answered ${status}, a redirect${to}` };
  }
  if (status >= 200 && status < 300) {
    if (isTask(answer.text)) return { kind: "api" };
    return { kind: "not_api", reason: `it answered ${status} with ${describeBody(answer)}` };
  }
  const body = parseErrorBody(status, answer.contentType, answer.text);
  if (!body.fromService) {
    if (PASSING_STATUSES.has(status)) {
      return {
        kind: "busy",
        reason: `it answered ${status} with ${describeBody(answer)}`,
        ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
      };
    }
    return { kind: "not_api", reason: `it answered ${status} with ${describeBody(answer)}` };
  }
  if (status === 401) return { kind: "unauthorized", message: body.message };
  if (status === 404 || status === 405) {
    // A JSON 404 is what many gateways send for an unknown route ("Invalid
    // URL"); only one that speaks of the task is the API's "no such task".
    const words = `${body.serviceCode ?? ""} ${body.message}`;
    const aboutTask = /task|video/i.test(words) || words.includes(probeId);
    if (!aboutTask || /invalid url|route|endpoint|path/i.test(words)) {
      return { kind: "not_api", reason: `it answered ${status}: "${body.message}"` };
    }
  }
  return { kind: "api" };
}

function isTask(text: string): boolean {
  try {
    parseTask(JSON.parse(text));
    return true;
  } catch {
    return false;
  }
}

function describeBody(answer: CheckAnswer): string {
  const text = answer.text.trim();
  if (text === "") return "an empty body";
  if (looksLikeHtml(answer.contentType, text)) return "a web page (HTML)";
  return `a body that is not the API's JSON ("${text.slice(0, 80)}")`;
}
