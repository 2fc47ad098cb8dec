/**
 * The CometAPI client: the only module that calls `fetch` for the service.
 * One method, one HTTP request; retrying is the caller's business (see
 * `retry.ts`). Every answer that is not a success becomes an {@link ApiError}
 * with the status, the service's code and message and the request id, never
 * the key.
 *
 * @example
 * ```ts
 * const client = new CometClient({ baseUrl: "https://api.cometapi.com", apiKey });
 * const outcome = await client.submit(request);
 * if (outcome.kind === "created") console.log(outcome.task.id);
 * ```
 *
 * @module
 */
import { ApiError, messageOf } from "../errors.ts";
import { classifySubmitFailure, parseRetryAfter } from "./retry.ts";
import { judgeServiceAnswer, type ServiceVerdict } from "./service_check.ts";
import { parseErrorBody, parseTask, type Task, TaskIdError, taskIdProblem } from "./wire.ts";
import { keyProblem } from "./key.ts";
import { keyRedactor } from "./redact.ts";

/** One reference image sent as an `input_reference` file part. */
export interface SubmitImage {
  /** The file name sent in the part's `Content-Disposition`. */
  filename: string;
  /** The image's real content type, e.g. `image/png`. */
  contentType: string;
  /** The image's bytes. */
  bytes: Uint8Array;
}

/** Everything one `POST /v1/videos` sends. */
export interface SubmitRequest {
  /** The model, e.g. `doubao-seedance-2-0`. */
  model: string;
  /** The prompt. */
  prompt: string;
  /** The video's length in seconds. */
  seconds: number;
  /** The aspect ratio, e.g. `16:9`. */
  size: string;
  /** The resolution, e.g. `720p`. */
  resolution: string;
  /** Reference images, one `input_reference` part each (may be empty). */
  images: SubmitImage[];
  /** The `Idempotency-Key` header: the same for every send of one submission. */
  idempotencyKey: string;
}

/** What one submit came to; never a thrown HTTP or network failure. */
export type SubmitOutcome =
  | { kind: "created"; task: Task }
  | { kind: "not_created" | "rejected" | "unknown"; error: ApiError };

/** What {@linkcode CometClient.checkService} learned: a verdict, or no answer at all. */
export type ServiceCheck =
  | ServiceVerdict
  | { kind: "unreachable"; connected: boolean; reason: string };

/** Settings of a {@link CometClient}. */
export interface CometClientOptions {
  /** The service's base URL, e.g. `https://api.cometapi.com` (a trailing slash is ignored). */
  baseUrl: string;
  /** The bearer key; sent to the base URL's host only, never echoed in errors. */
  apiKey: string;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Longest wait for one API exchange (request, answer and its body), and
   * for a video download's response headers. @default 60_000
   */
  requestTimeoutMs?: number;
  /** The current time in epoch milliseconds (to read an HTTP-date `Retry-After`). @default Date.now */
  now?: () => number;
}

/** The `User-Agent` header of every request. */
const USER_AGENT = "seedance-batch";

/** Headers that may carry the request id, in order of preference. */
const REQUEST_ID_HEADERS = [
  "x-request-id",
  "request-id",
  "x-oneapi-request-id",
  "x-amzn-requestid",
  "x-amz-request-id",
  "cf-ray",
];

/** A request that produced no HTTP answer. */
class TransportFailure extends Error {
  /** False when nothing reached the server (the connection was never made). */
  readonly sent: boolean;
  /** True when our own timeout fired. */
  readonly timedOut: boolean;

  constructor(message: string, options: { sent: boolean; timedOut: boolean; cause: unknown }) {
    super(message, { cause: options.cause });
    this.sent = options.sent;
    this.timedOut = options.timedOut;
  }
}

/** An HTTP answer whose body was read (or whose body broke while being read). */
interface Exchange {
  response: Response;
  text?: string;
  bodyFailure?: TransportFailure;
}

/** A client for CometAPI's Seedance video endpoints. */
export class CometClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #redactor: (text: string) => string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  /**
   * Create a client for one base URL and key.
   *
   * @param options Base URL, key and injected effects.
   * @throws {TypeError} When the base URL is not an http(s) URL, or the key
   *   cannot travel in an HTTP header (a line break, a control character).
   */
  constructor(options: CometClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (cause) {
      throw new TypeError(`Cannot use base URL "${options.baseUrl}": it is not a URL`, { cause });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(
        `Cannot use base URL "${options.baseUrl}": it must start with http(s)://`,
      );
    }
    // `https://api.cometapi.com/v1` (the OpenAI SDK's habit) means the same base.
    this.#baseUrl = base.href.replace(/\/+$/, "").replace(/\/v1$/, "");
    const keyIssue = keyProblem(options.apiKey);
    // A key that cannot travel in a header would fail every request after it was counted as sent.
    if (keyIssue !== undefined) throw new TypeError(`Cannot use the API key: ${keyIssue}`);
    this.#apiKey = options.apiKey;
    this.#redactor = keyRedactor(options.apiKey);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The base URL requests go to, without a trailing slash or `/v1`. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /**
   * Create a video task: exactly one `POST {base}/v1/videos`, never retried
   * here. The body is `multipart/form-data` with `prompt`, `model`,
   * `seconds`, `size`, `resolution` and one `input_reference` file part per
   * image.
   *
   * @param request What to send, with its `Idempotency-Key`.
   * @param signal Aborts the request; the abort error is rethrown.
   * @returns The task when created; otherwise the classified outcome
   *   (`not_created`, `rejected` or `unknown`) and its {@link ApiError}.
   */
  async submit(request: SubmitRequest, signal?: AbortSignal): Promise<SubmitOutcome> {
    const url = `${this.#baseUrl}/v1/videos`;
    const action = "Cannot create a video task";
    const form = new FormData();
    form.append("prompt", request.prompt);
    form.append("model", request.model);
    form.append("seconds", String(request.seconds));
    form.append("size", request.size);
    form.append("resolution", request.resolution);
    for (const image of request.images) {
      const blob = new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.contentType });
      form.append("input_reference", blob, image.filename);
    }
    let exchange: Exchange;
    try {
      // The upload counts against the timeout too: allow one more second per
      // 256 KiB of images, so large reference images on a slow uplink still fit.
      const uploadBytes = request.images.reduce((sum, image) => sum + image.bytes.length, 0);
      const timeoutMs = this.#timeoutMs + Math.ceil(uploadBytes / 262_144) * 1000;
      exchange = await this.#exchange(
        url,
        {
          method: "POST",
          headers: { ...this.#apiHeaders(), "Idempotency-Key": request.idempotencyKey },
          body: form,
        },
        signal,
        timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof TransportFailure)) throw error;
      return {
        kind: classifySubmitFailure({ sent: error.sent }),
        error: this.#transportError(action, "POST", url, error),
      };
    }
    const { response } = exchange;
    if (response.ok) {
      try {
        if (exchange.bodyFailure) throw exchange.bodyFailure;
        const task = this.#redactTask(parseTask(JSON.parse(exchange.text ?? "")));
        if (this.#redact(task.id) !== task.id) {
          // Kept anywhere, such an id would write the key into the journal.
          throw new TaskIdError(
            `Cannot read task: its id ${this.#redact(task.id)} holds the API key`,
          );
        }
        return { kind: "created", task };
      } catch (cause) {
        const what = cause instanceof TaskIdError
          ? `the service created a task that cannot be followed ` +
            `(${this.#redact(messageOf(cause))}); the task exists and may be billed`
          : `the service answered ${response.status} but its body is not a task ` +
            `(${this.#redact(messageOf(cause))}); a task may exist`;
        return {
          kind: "unknown",
          error: new ApiError(
            `${action}: ${what}`,
            { ...this.#context("POST", url, response), code: "bad_response", cause },
          ),
        };
      }
    }
    const error = this.#httpError(action, "POST", url, exchange);
    return {
      kind: classifySubmitFailure({
        status: response.status,
        serviceCode: error.serviceCode,
        sent: true,
      }),
      error,
    };
  }

  /**
   * Fetch a task: exactly one `GET {base}/v1/videos/{id}`.
   *
   * @param id The task id.
   * @param signal Aborts the request; the abort error is rethrown.
   * @returns The normalised task.
   * @throws {ApiError} For any answer but a task: `status` 0 for network
   *   failures and timeouts, the service's code (e.g. `task_not_exist`),
   *   `retryAfterMs` from `Retry-After` and the request id when sent.
   */
  async getTask(id: string, signal?: AbortSignal): Promise<Task> {
    const url = `${this.#baseUrl}/v1/videos/${encodeURIComponent(id)}`;
    const action = `Cannot fetch task "${id}"`;
    const idProblem = taskIdProblem(id);
    if (idProblem !== undefined) {
      // Sending it would fetch another path; the service cannot know such a task.
      throw new ApiError(`${action}: ${idProblem}`, {
        status: 0,
        method: "GET",
        url,
        code: "bad_task_id",
        serviceCode: "task_not_exist",
      });
    }
    let exchange: Exchange;
    try {
      exchange = await this.#exchange(url, { method: "GET", headers: this.#apiHeaders() }, signal);
    } catch (error) {
      if (!(error instanceof TransportFailure)) throw error;
      throw this.#transportError(action, "GET", url, error);
    }
    const { response } = exchange;
    if (!response.ok) throw this.#httpError(action, "GET", url, exchange);
    if (exchange.bodyFailure) {
      throw this.#transportError(action, "GET", url, exchange.bodyFailure);
    }
    try {
      return this.#redactTask(parseTask(JSON.parse(exchange.text ?? "")));
    } catch (cause) {
      throw new ApiError(
        `${action}: the service answered ${response.status} but its body is not a task ` +
          `(${this.#redact(messageOf(cause))})`,
        { ...this.#context("GET", url, response), code: "bad_response", cause },
      );
    }
  }

  /**
   * Open a task's signed video URL for streaming. Sent WITHOUT the key (the
   * signature is the credential and the file may live on another host).
   * The timeout covers the response headers only; the body is the caller's
   * to read or cancel.
   *
   * @param url The signed `video_url`.
   * @param options `offset` > 0 asks for `Range: bytes=offset-`; `signal` aborts.
   * @returns The 2xx response (200, or 206 for a range).
   * @throws {ApiError} For a non-2xx answer (403 and 410 have code
   *   `url_expired`: fetch the task again for a fresh URL) or a network
   *   failure (status 0); its `reason` is the message without the action.
   */
  async openVideo(
    url: string,
    options: { offset?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const shownUrl = this.#redact(withoutQuery(url));
    const action = `Cannot download the video from ${shownUrl}`;
    const headers: Record<string, string> = {
      "Accept-Encoding": "identity",
      "User-Agent": USER_AGENT,
    };
    const offset = options.offset ?? 0;
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const response = await this.#withTimeout(
      this.#timeoutMs,
      options.signal,
      async (signal, timeout) => {
        try {
          return await this.#fetch(url, { method: "GET", headers, signal, redirect: "follow" });
        } catch (cause) {
          if (options.signal?.aborted) throw cause;
          throw this.#transportError(action, "GET", shownUrl, this.#failure(cause, timeout));
        }
      },
      true,
    );
    if (response.ok) return response;
    await response.body?.cancel().catch(() => {});
    const expired = response.status === 403 || response.status === 410;
    const reason = expired
      ? `the signed URL has expired or is refused (${response.status})`
      : `the server answered ${response.status}`;
    throw new ApiError(`${action}: ${reason}`, {
      ...this.#context("GET", shownUrl, response),
      reason,
      ...(expired ? { code: "url_expired" } : {}),
    });
  }

  /**
   * Ask whether the base URL is the video API: one `GET {base}/v1/videos/{probeId}`
   * for a task id that cannot exist, judged by {@linkcode judgeServiceAnswer}.
   *
   * @param probeId A task id no service has.
   * @param signal Aborts the request; the abort error is rethrown.
   * @returns The verdict, or `unreachable` when no HTTP answer came
   *   (`connected` false when nothing reached the server).
   */
  async checkService(probeId: string, signal?: AbortSignal): Promise<ServiceCheck> {
    const url = `${this.#baseUrl}/v1/videos/${encodeURIComponent(probeId)}`;
    let exchange: Exchange;
    try {
      exchange = await this.#exchange(url, { method: "GET", headers: this.#apiHeaders() }, signal);
    } catch (error) {
      if (!(error instanceof TransportFailure)) throw error;
      return { kind: "unreachable", connected: error.sent, reason: error.message };
    }
    if (exchange.bodyFailure) {
      return { kind: "unreachable", connected: true, reason: exchange.bodyFailure.message };
    }
    const { response } = exchange;
    const context = this.#context("GET", url, response);
    const verdict = judgeServiceAnswer({
      status: response.status,
      contentType: response.headers.get("content-type"),
      location: response.headers.get("location"),
      text: exchange.text ?? "",
      ...(context.retryAfterMs !== undefined ? { retryAfterMs: context.retryAfterMs } : {}),
    }, probeId);
    if (verdict.kind === "unauthorized") {
      return { ...verdict, message: this.#redact(verdict.message) };
    }
    if (verdict.kind === "not_api" || verdict.kind === "busy") {
      return { ...verdict, reason: this.#redact(verdict.reason) };
    }
    return verdict;
  }

  #apiHeaders(): Record<string, string> {
    return {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
      "User-Agent": USER_AGENT,
    };
  }

  /**
   * Run `work` under a timeout: it gets a signal that aborts when the caller's
   * `signal` does or when `timeoutMs` passes, and whether the timeout fired
   * (to tell a timeout from the caller's abort). One controller, one timer
   * and one listener per request (cheaper than `AbortSignal.any`). With
   * `linger`, the caller's abort still reaches the signal after `work`
   * returns (a response body read later); otherwise the link ends with it.
   */
  async #withTimeout<T>(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    work: (combined: AbortSignal, timeout: TimeoutState) => Promise<T>,
    linger = false,
  ): Promise<T> {
    const controller = new AbortController();
    const timeout: TimeoutState = { aborted: false };
    const timer = setTimeout(() => {
      timeout.aborted = true;
      controller.abort(new DOMException("The answer timed out", "TimeoutError"));
    }, timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await work(controller.signal, timeout);
    } finally {
      clearTimeout(timer);
      if (!linger) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Send one API request and read its body, all within the timeout. */
  #exchange(
    url: string,
    init: RequestInit,
    signal?: AbortSignal,
    timeoutMs: number = this.#timeoutMs,
  ): Promise<Exchange> {
    return this.#withTimeout(timeoutMs, signal, async (combined, timeout) => {
      let response: Response;
      try {
        // A redirect is reported, not followed: it means a wrong base URL, and
        // following it would resend the key (and a POST) elsewhere.
        response = await this.#fetch(url, { ...init, signal: combined, redirect: "manual" });
      } catch (cause) {
        if (signal?.aborted) throw cause;
        throw this.#failure(cause, timeout, false, timeoutMs);
      }
      try {
        return { response, text: await response.text() };
      } catch (cause) {
        if (signal?.aborted) throw cause;
        return { response, bodyFailure: this.#failure(cause, timeout, true, timeoutMs) };
      }
    });
  }

  /** Describe a fetch failure; `answered` when headers had already arrived. */
  #failure(
    cause: unknown,
    timeout: TimeoutState,
    answered = false,
    timeoutMs: number = this.#timeoutMs,
  ): TransportFailure {
    if (timeout.aborted) {
      return new TransportFailure(
        `no answer within ${formatSeconds(timeoutMs)}`,
        { sent: true, timedOut: true, cause },
      );
    }
    const sent = answered || !isNotSent(cause);
    const detail = this.#redact(networkDetail(cause));
    return new TransportFailure(
      sent
        ? `the connection broke after the request was sent (${detail})`
        : `could not connect (${detail})`,
      { sent, timedOut: false, cause },
    );
  }

  #transportError(
    action: string,
    method: string,
    url: string,
    failure: TransportFailure,
  ): ApiError {
    const uncertain = method === "POST" && failure.sent ? "; a task may exist" : "";
    const reason = `${failure.message}${uncertain}`;
    return new ApiError(`${action}: ${reason}`, {
      status: 0,
      method,
      url,
      reason,
      code: failure.timedOut ? "timeout" : failure.sent ? "network_error" : "connect_error",
      cause: failure,
    });
  }

  #httpError(action: string, method: string, url: string, exchange: Exchange): ApiError {
    const { response } = exchange;
    const context = this.#context(method, url, response);
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location");
      const where = location === null ? "" : ` to "${this.#redact(location)}"`;
      return new ApiError(
        `${action}: the service answered ${response.status}, a redirect${where}; ` +
          `is --base-url right?`,
        { ...context, code: "redirect" },
      );
    }
    if (exchange.bodyFailure) {
      return new ApiError(
        `${action}: the service answered ${response.status} and then ${exchange.bodyFailure.message}`,
        { ...context, cause: exchange.bodyFailure },
      );
    }
    // Redacted before it is parsed too: an excerpt could cut an echoed key in two.
    const body = parseErrorBody(
      response.status,
      response.headers.get("content-type"),
      this.#redact(exchange.text ?? ""),
    );
    const codePart = body.serviceCode !== undefined && body.serviceCode !== body.message
      ? ` (${body.serviceCode})`
      : "";
    const message = body.fromService
      ? `the service answered ${response.status}${codePart}: ${body.message}`
      : body.message;
    // The contract keys "unknown task id" on the message `task_not_exist`,
    // whatever code the service sends beside it.
    const serviceCode = /\btask_not_exist\b/.test(body.message)
      ? "task_not_exist"
      : body.serviceCode;
    return new ApiError(`${action}: ${this.#redact(message)}`, {
      ...context,
      ...(serviceCode !== undefined ? { serviceCode: this.#redact(serviceCode) } : {}),
    });
  }

  #context(
    method: string,
    url: string,
    response: Response,
  ): { status: number; method: string; url: string; requestId?: string; retryAfterMs?: number } {
    const context: {
      status: number;
      method: string;
      url: string;
      requestId?: string;
      retryAfterMs?: number;
    } = { status: response.status, method, url };
    for (const name of REQUEST_ID_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null && value.trim() !== "") {
        context.requestId = this.#redact(value.trim());
        break;
      }
    }
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.#now());
    if (retryAfterMs !== undefined) context.retryAfterMs = retryAfterMs;
    return context;
  }

  /**
   * Remove the key, in any form the service might echo it (see
   * `keyRedactor`), from any text that came from elsewhere.
   */
  #redact(text: string): string {
    return this.#redactor(text);
  }

  /** A task as the service described it, with the key removed from its words. */
  #redactTask(task: Task): Task {
    const redacted: Task = { ...task, rawStatus: this.#redact(task.rawStatus) };
    if (task.error) {
      redacted.error = {
        code: this.#redact(task.error.code),
        message: this.#redact(task.error.message),
      };
    }
    return redacted;
  }
}

/** Whether a request's own timeout fired. */
interface TimeoutState {
  aborted: boolean;
}

/** The URL without its query and fragment (a signed URL's query is a credential). */
function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, "");
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * True when a fetch failure happened before any byte of the request left:
 * the connection was refused, the name did not resolve, or the connect
 * phase failed. Anything else counts as sent.
 */
function isNotSent(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link instanceof Deno.errors.ConnectionRefused) return true;
    if (typeof link === "object" && link !== null && "code" in link) {
      if (link.code === "ECONNREFUSED" || link.code === "ENOTFOUND") return true;
    }
    const message = messageOf(link);
    if (
      /connection refused|ECONNREFUSED|os error 111|client error \(Connect\)|dns error|failed to lookup address|are blocked/i
        .test(message)
    ) {
      return true;
    }
  }
  return false;
}

/** The most specific message of a network failure, without the URL Deno prefixes. */
function networkDetail(error: unknown): string {
  const chain = causeChain(error);
  const deepest = chain[chain.length - 1];
  const message = messageOf(deepest);
  return message.replace(/^error sending request .*?\): /, "").replace(
    /^client error \(\w+\): /,
    "",
  ) ||
    "network error";
}
