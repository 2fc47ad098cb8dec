/**
 * The simulator of CometAPI's Seedance endpoints as a `(Request) => Response`
 * handler: a task state machine on an injected clock, the catalog's rules,
 * signed expiring video URLs, and a seeded fault model. `server.ts` puts it
 * on a socket; unit tests may call `handler` directly.
 *
 * Routes:
 * - `POST /v1/videos` (multipart) creates a task;
 * - `GET /v1/videos/{id}` reads it (a fresh signed `video_url` once it succeeded);
 * - `GET /v1/videos/{id}/content` streams the video with the bearer key (the
 *   OpenAI SDK's `videos.downloadContent`);
 * - `GET|HEAD /files/{id}.mp4?expires&sig` streams the video by signature alone;
 * - `GET /_simulator/stats` returns the counters as JSON (not counted);
 * - a path with a trailing slash is redirected (308) to the path without it;
 *   anything else is a 404 HTML page, as from a web server in front.
 *
 * @module
 */
import { type Catalog, DEFAULT_CATALOG } from "../catalog.ts";
import { realClock } from "../runner/clock.ts";
import { FaultModel } from "./faults.ts";
import { sha256Hex, toHex } from "./hex.ts";
import {
  DEFAULT_SIMULATOR_OPTIONS,
  type ProgressMode,
  type SimulatorClock,
  type SimulatorOptions,
  type StatusDialect,
} from "./options.ts";
import { between, chance, createRandom, deriveSeed, type Random } from "./random.ts";
import {
  accessDenied,
  brokenResponse,
  flatError,
  gatewayPage,
  htmlPage,
  jsonResponse,
  nestedError,
} from "./responses.ts";
import { UrlSigner } from "./signing.ts";
import {
  emptyStats,
  increment,
  type ReceivedSubmission,
  type RequestKind,
  type SimulatorStats,
  snapshotStats,
} from "./stats.ts";
import { checkSubmission, readSubmissionForm } from "./submission.ts";
import { createdBody, inFlight, isTerminalPhase, type Task, taskBody, taskPhase } from "./tasks.ts";
import { interpretRange, type PaddedVideo, paddedVideo, videoForTask } from "./video.ts";

/** A simulator: its request handler and its counters. */
export interface Simulator {
  /**
   * Answer one request as the service would.
   *
   * @param request The request (its URL's origin is used for video URLs unless `fileBaseUrl` is set).
   * @returns The answer.
   */
  handler(request: Request): Promise<Response>;
  /** A snapshot of the counters. */
  stats(): SimulatorStats;
  /** Release answers that are hanging or sleeping (call before shutting a server down). */
  close(): void;
}

const VIDEOS = "/v1/videos";
const TASK_PATH = /^\/v1\/videos\/([^/]+)$/;
const CONTENT_PATH = /^\/v1\/videos\/([^/]+)\/content$/;
const FILE_PATH = /^\/files\/([^/]+)\.mp4$/;

/**
 * Create a simulator.
 *
 * @param options Timing, dialect, catalog, key, idempotency and faults; see `SimulatorOptions`.
 * @returns The simulator.
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  return new SeedanceSimulator(options);
}

class SeedanceSimulator implements Simulator {
  readonly #clock: SimulatorClock;
  readonly #catalog: Catalog;
  readonly #dialect: StatusDialect;
  readonly #progress: ProgressMode;
  readonly #options: SimulatorOptions;
  readonly #faults: FaultModel;
  readonly #signer: UrlSigner;
  readonly #ids: Random;
  readonly #renders: Random;
  readonly #outcomes: Random;
  readonly #closing = new AbortController();
  readonly #stats: SimulatorStats = emptyStats();
  readonly #tasks = new Map<string, Task>();
  /** Tasks that may still be in flight, by key label; pruned as they end. */
  readonly #inFlight = new Map<string, Set<Task>>();
  /** Key to label. The key stays in memory only, never in stats or answers. */
  readonly #keyLabels = new Map<string, string>();
  /** `label \n Idempotency-Key` to the task created for it. */
  readonly #idempotent = new Map<string, string>();
  readonly #videos = new Map<string, Uint8Array>();
  /** Scope (`submit`/`poll` + key label [+ task]) to its last `Retry-After`. */
  readonly #retryAfters = new Map<string, { issuedAt: number; until: number }>();

  constructor(options: SimulatorOptions) {
    this.#options = options;
    const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    this.#clock = options.clock ?? realClock;
    this.#catalog = options.catalog ?? DEFAULT_CATALOG;
    this.#dialect = options.dialect ?? DEFAULT_SIMULATOR_OPTIONS.dialect;
    this.#progress = options.progress ?? "linear";
    this.#faults = new FaultModel(options.faults ?? {}, seed);
    this.#signer = new UrlSigner(
      options.urlSecret ?? toHex(crypto.getRandomValues(new Uint8Array(32))),
    );
    this.#ids = createRandom(deriveSeed(seed, "ids"));
    this.#renders = createRandom(deriveSeed(seed, "render"));
    this.#outcomes = createRandom(deriveSeed(seed, "outcome"));
    // Listed keys get their labels up front, in order: key-1 is keys[0].
    for (const key of options.keys ?? []) {
      if (!this.#keyLabels.has(key)) this.#keyLabels.set(key, `key-${this.#keyLabels.size + 1}`);
    }
  }

  handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method;
    // Serialised straight from the live record: jsonResponse copies it.
    if (path === "/_simulator/stats" && method === "GET") return jsonResponse(this.#stats);
    let match: RegExpExecArray | null;
    if (path === VIDEOS && method === "POST") {
      this.#count("submit");
      return await this.#submit(request);
    }
    if ((match = TASK_PATH.exec(path)) !== null && method === "GET") {
      this.#count("poll");
      return await this.#poll(request, url, decodeURIComponent(match[1]));
    }
    if ((match = CONTENT_PATH.exec(path)) !== null && method === "GET") {
      this.#count("download");
      return await this.#content(request, decodeURIComponent(match[1]));
    }
    if ((match = FILE_PATH.exec(path)) !== null && (method === "GET" || method === "HEAD")) {
      this.#count("download");
      return await this.#file(request, url, decodeURIComponent(match[1]));
    }
    this.#count("other");
    if (path.length > 1 && path.endsWith("/")) {
      return new Response(null, {
        status: 308,
        headers: { location: path.replace(/\/+$/, "") + url.search },
      });
    }
    return htmlPage(404, "404 Not Found");
  };

  stats(): SimulatorStats {
    return snapshotStats(this.#stats);
  }

  close(): void {
    this.#closing.abort();
  }

  // --- submit -------------------------------------------------------------

  async #submit(request: Request): Promise<Response> {
    const auth = this.#authenticate(request);
    if (auth instanceof Response) return auth;
    const scope = `submit\n${auth}`;
    this.#checkRetryAfter(scope);
    const idempotencyKey = request.headers.get("idempotency-key");
    if (idempotencyKey === null) this.#stats.postsWithoutIdempotencyKey++;
    else increment(this.#stats.postsByIdempotencyKey, idempotencyKey);
    await this.#maybeSlow();

    const form = await readSubmissionForm(request);
    const record: ReceivedSubmission = {
      prompt: null,
      model: null,
      seconds: null,
      size: null,
      resolution: null,
      images: [],
      key: auth,
      idempotencyKey,
      outcome: "rejected",
      taskId: null,
    };
    this.#stats.submissions.push(record);
    if ("code" in form) return nestedError(400, form);
    Object.assign(record, {
      prompt: form.prompt,
      model: form.model,
      seconds: form.seconds,
      size: form.size,
      resolution: form.resolution,
      images: form.images.map(({ filename, contentType, bytes, sha256 }) => ({
        filename,
        contentType,
        bytes,
        sha256,
      })),
    });

    const fault = this.#faults.submitFault();
    const checked = checkSubmission(form, this.#catalog);
    if (fault !== null) {
      record.outcome = fault.kind;
      increment(this.#stats.faults, fault.kind);
      switch (fault.kind) {
        case "submit_reset":
          return brokenResponse({ "content-type": "application/json" });
        case "submit_server_error":
          if (fault.status === 524 && checked.ok) {
            // The gateway gave up waiting; the origin went on and created the task.
            record.taskId = this.#createTask(checked.submission, auth, idempotencyKey).id;
          }
          if (fault.status === 500) {
            return nestedError(500, {
              code: "internal_error",
              type: "comet_api_error",
              message: "upstream error: do request failed",
            });
          }
          return gatewayPage(fault.status);
        case "submit_unavailable":
          return nestedError(503, {
            code: "service_unavailable",
            type: "comet_api_error",
            message: "The upstream service is overloaded, please try again later",
          });
        case "submit_rate_limited":
          return this.#rateLimited(
            scope,
            "Rate limit reached for requests, please try again later",
          );
        case "submit_invalid_request":
          return nestedError(500, {
            code: "invalid_request",
            type: "invalid_request_error",
            message: "The upstream provider rejected the request as invalid",
          });
      }
    }
    if (!checked.ok) return nestedError(400, checked.error);

    const replayKey = idempotencyKey === null ? null : `${auth}\n${idempotencyKey}`;
    const honourIdempotency = this.#options.honourIdempotency ??
      DEFAULT_SIMULATOR_OPTIONS.honourIdempotency;
    if (honourIdempotency && replayKey !== null) {
      const existing = this.#tasks.get(this.#idempotent.get(replayKey) ?? "");
      if (existing !== undefined) {
        record.outcome = "replayed";
        record.taskId = existing.id;
        return jsonResponse(
          createdBody(existing, this.#clock.now(), this.#dialect, this.#progress),
        );
      }
    }

    const cap = this.#options.faults?.maxTasksInFlightPerKey;
    if (cap !== undefined && this.#inFlightCount(auth) >= cap) {
      record.outcome = "capped";
      increment(this.#stats.faults, "in_flight_cap");
      return this.#rateLimited(
        scope,
        `Too many tasks in flight for this key: at most ${cap} tasks may render at once`,
      );
    }

    const task = this.#createTask(checked.submission, auth, idempotencyKey);
    record.taskId = task.id;
    if (this.#faults.answerLost()) {
      record.outcome = "submit_answer_lost";
      increment(this.#stats.faults, "submit_answer_lost");
      if (this.#options.faults?.answerLostMode === "hang") {
        // request.signal is not used: Deno.serve aborts it on every completed answer.
        const hangMs = this.#options.faults?.answerLostHangMs ?? 5 * 60 * 1000;
        await this.#sleep(hangMs);
      }
      return brokenResponse({ "content-type": "application/json" });
    }
    record.outcome = "created";
    return jsonResponse(createdBody(task, this.#clock.now(), this.#dialect, this.#progress));
  }

  #createTask(
    submission: {
      prompt: string;
      model: string;
      seconds: number;
      size: string;
      resolution: string;
    },
    keyLabel: string,
    idempotencyKey: string | null,
  ): Task {
    const render = this.#options.renderMs ?? DEFAULT_SIMULATOR_OPTIONS.renderMs;
    const renderMs = typeof render === "number"
      ? render
      : between(this.#renders, render.min, render.max);
    const fails = chance(
      this.#outcomes,
      this.#options.failureRate ?? DEFAULT_SIMULATOR_OPTIONS.failureRate,
    );
    const errorShare = this.#options.errorShare ?? DEFAULT_SIMULATOR_OPTIONS.errorShare;
    const task: Task = {
      id: this.#newTaskId(),
      model: submission.model,
      seconds: submission.seconds,
      size: submission.size,
      resolution: submission.resolution,
      keyLabel,
      createdAt: this.#clock.now(),
      renderMs: Math.max(0, renderMs),
      outcome: fails ? (chance(this.#outcomes, errorShare) ? "error" : "failed") : "success",
      // Drawn only when asked for, so seeds give the same tasks as before the option.
      mismatched: (this.#options.mismatchRate ?? 0) > 0 &&
        chance(this.#outcomes, this.#options.mismatchRate ?? 0),
    };
    this.#tasks.set(task.id, task);
    if (this.#options.recordTimeline) {
      this.#stats.timeline[task.id] = {
        createdAt: task.createdAt,
        terminalAt: task.createdAt + task.renderMs,
        renderMs: task.renderMs,
        polls: 0,
        pollsBeforeTerminal: 0,
        firstPollAt: null,
        lastPollAt: null,
        maxPollGapMs: 0,
        terminalSeenAt: null,
        downloadAt: null,
      };
    }
    if (idempotencyKey !== null) this.#idempotent.set(`${keyLabel}\n${idempotencyKey}`, task.id);
    const ofKey = this.#inFlight.get(keyLabel) ?? new Set<Task>();
    this.#inFlight.set(keyLabel, ofKey.add(task));
    this.#pruneInFlight();
    const stats = this.#stats;
    stats.tasksCreated++;
    increment(stats.tasksCreatedByPrompt, submission.prompt);
    let total = 0;
    for (const tasks of this.#inFlight.values()) total += tasks.size;
    stats.maxTasksInFlight = Math.max(stats.maxTasksInFlight, total);
    stats.maxTasksInFlightByKey[keyLabel] = Math.max(
      stats.maxTasksInFlightByKey[keyLabel] ?? 0,
      this.#inFlight.get(keyLabel)?.size ?? 0,
    );
    return task;
  }

  #newTaskId(): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (;;) {
      let id = "task_";
      for (let i = 0; i < 24; i++) id += alphabet[Math.floor(this.#ids() * alphabet.length)];
      if (!this.#tasks.has(id)) return id;
    }
  }

  /** Tasks of one key in flight now. */
  #inFlightCount(keyLabel: string): number {
    this.#pruneInFlight();
    return this.#inFlight.get(keyLabel)?.size ?? 0;
  }

  /** Forget the tasks that have ended: the work is proportional to the tasks in flight, not all tasks. */
  #pruneInFlight(): void {
    const now = this.#clock.now();
    for (const [keyLabel, tasks] of this.#inFlight) {
      for (const task of tasks) if (!inFlight(task, now)) tasks.delete(task);
      if (tasks.size === 0) this.#inFlight.delete(keyLabel);
    }
  }

  // --- poll ---------------------------------------------------------------

  async #poll(request: Request, url: URL, taskId: string): Promise<Response> {
    const task = this.#tasks.get(taskId);
    if (task !== undefined) increment(this.#stats.pollsByTask, taskId);
    const timeline = task === undefined ? undefined : this.#stats.timeline[task.id];
    if (timeline !== undefined) {
      const at = this.#clock.now();
      timeline.polls++;
      timeline.maxPollGapMs = Math.max(
        timeline.maxPollGapMs,
        at - (timeline.lastPollAt ?? timeline.createdAt),
      );
      timeline.firstPollAt ??= at;
      timeline.lastPollAt = at;
    }
    const auth = this.#authenticate(request);
    if (auth instanceof Response) return auth;
    const scope = `poll\n${auth}\n${taskId}`;
    this.#checkRetryAfter(scope);
    await this.#maybeSlow();

    const fault = this.#faults.pollFault();
    if (fault !== null) {
      increment(this.#stats.faults, fault.kind);
      switch (fault.kind) {
        case "poll_reset":
          return brokenResponse({ "content-type": "application/json" });
        case "poll_server_error":
          if (fault.status === 500 || fault.status === 503) {
            return flatError(fault.status, "get_task_failed", "upstream error: do request failed");
          }
          return gatewayPage(fault.status);
        case "poll_rate_limited":
          return flatError(429, "rate_limit_exceeded", "Too many requests, please slow down", {
            "retry-after": this.#retryAfter(scope),
          });
      }
    }

    const now = this.#clock.now();
    const lag = this.#options.faults?.taskVisibilityLagMs ?? 0;
    if (task === undefined || now - task.createdAt < lag) {
      if (task !== undefined) increment(this.#stats.faults, "task_visibility_lag");
      return flatError(400, "task_not_exist", "task_not_exist");
    }
    const phase = taskPhase(task, now).phase;
    if (timeline !== undefined) {
      if (!isTerminalPhase(phase)) timeline.pollsBeforeTerminal++;
      else if (timeline.terminalSeenAt === null) timeline.terminalSeenAt = now;
    }
    let videoUrl: string | undefined;
    if (phase === "success") {
      const ttl = this.#options.urlTtlMs ?? DEFAULT_SIMULATOR_OPTIONS.urlTtlMs;
      videoUrl = await this.#signer.url(this.#fileOrigin(url), task.id, now + ttl);
    }
    return jsonResponse(taskBody(task, now, this.#dialect, videoUrl, this.#progress));
  }

  #fileOrigin(url: URL): string {
    return (this.#options.fileBaseUrl ?? url.origin).replace(/\/+$/, "");
  }

  // --- downloads ----------------------------------------------------------

  async #content(request: Request, taskId: string): Promise<Response> {
    this.#stats.downloads++;
    const auth = this.#authenticate(request);
    if (auth instanceof Response) return auth;
    await this.#maybeSlow();
    const task = this.#tasks.get(taskId);
    if (task === undefined) {
      return nestedError(404, {
        code: "video_not_found",
        param: "video_id",
        message: `Video "${taskId}" was not found`,
      });
    }
    if (taskPhase(task, this.#clock.now()).phase !== "success") {
      return nestedError(404, {
        code: "video_not_ready",
        param: "video_id",
        message: `Video "${taskId}" has no content: it has not succeeded`,
      });
    }
    return await this.#serveVideo(request, task);
  }

  async #file(request: Request, url: URL, taskId: string): Promise<Response> {
    this.#stats.downloads++;
    if (request.headers.has("authorization")) this.#stats.downloadsWithAuthorization++;
    await this.#maybeSlow();
    const expires = url.searchParams.get("expires") ?? "";
    const sig = url.searchParams.get("sig") ?? "";
    if (!(await this.#signer.verify(taskId, expires, sig))) {
      return accessDenied(
        "The request signature we calculated does not match the signature you provided",
      );
    }
    if (this.#clock.now() > Number(expires)) return accessDenied("Request has expired");
    const task = this.#tasks.get(taskId);
    if (task === undefined || taskPhase(task, this.#clock.now()).phase !== "success") {
      return htmlPage(404, "404 Not Found");
    }
    return await this.#serveVideo(request, task);
  }

  async #serveVideo(request: Request, task: Task): Promise<Response> {
    const timeline = this.#stats.timeline[task.id];
    if (timeline !== undefined && timeline.downloadAt === null) {
      timeline.downloadAt = this.#clock.now();
    }
    const padTo = this.#options.videoBytes;
    if (padTo !== undefined && padTo > 0) {
      return this.#servePadded(request, paddedVideo(videoForTask(task), padTo), task.id);
    }
    let video = this.#videos.get(task.id);
    if (video === undefined) {
      video = videoForTask(task);
      this.#videos.set(task.id, video);
      this.#stats.servedSha256[task.id] = await sha256Hex(video);
    }
    const size = video.length;
    const range = interpretRange(request.headers.get("range"), size);
    if (range === "unsatisfiable") {
      return new Response(null, {
        status: 416,
        headers: { "content-range": `bytes */${size}`, "accept-ranges": "bytes" },
      });
    }
    const slice = range === "full" ? video : video.subarray(range.start, range.end + 1);
    const headers = new Headers({
      "content-type": "video/mp4",
      "accept-ranges": "bytes",
      "content-length": String(slice.length),
      etag: `"${this.#stats.servedSha256[task.id]}"`,
    });
    if (range !== "full") headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
    const status = range === "full" ? 200 : 206;
    if (request.method === "HEAD") return new Response(null, { status, headers });

    const fault = this.#faults.downloadFault();
    if (fault !== null) increment(this.#stats.faults, fault);
    if (fault === null) return new Response(slice.slice(), { status, headers });
    const sendBytes = fault === "download_reset" ? 0 : Math.floor(slice.length / 2);
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller): void {
        if (!sent && sendBytes > 0) {
          sent = true;
          controller.enqueue(slice.slice(0, sendBytes));
          return;
        }
        controller.error(new Error("simulated broken download"));
      },
    });
    return new Response(body, { status, headers });
  }

  /** A `videoBytes` video, generated as it streams (Range and download faults as for the others). */
  #servePadded(request: Request, video: PaddedVideo, taskId: string): Response {
    const size = video.size;
    const range = interpretRange(request.headers.get("range"), size);
    if (range === "unsatisfiable") {
      return new Response(null, {
        status: 416,
        headers: { "content-range": `bytes */${size}`, "accept-ranges": "bytes" },
      });
    }
    const start = range === "full" ? 0 : range.start;
    const end = range === "full" ? size : range.end + 1;
    const headers = new Headers({
      "content-type": "video/mp4",
      "accept-ranges": "bytes",
      "content-length": String(end - start),
      etag: `"padded-${taskId}-${size}"`,
    });
    if (range !== "full") headers.set("content-range", `bytes ${start}-${end - 1}/${size}`);
    const status = range === "full" ? 200 : 206;
    if (request.method === "HEAD") return new Response(null, { status, headers });
    const fault = this.#faults.downloadFault();
    if (fault !== null) increment(this.#stats.faults, fault);
    const stopAt = fault === null
      ? end
      : start + (fault === "download_reset" ? 0 : Math.floor((end - start) / 2));
    let position = start;
    const body = new ReadableStream<Uint8Array>({
      type: "bytes",
      pull(controller): void {
        if (position >= stopAt) {
          if (position >= end) controller.close();
          else controller.error(new Error("simulated broken download"));
          return;
        }
        const chunk = video.read(position, stopAt);
        position += chunk.length;
        controller.enqueue(chunk);
      },
    });
    return new Response(body, { status, headers });
  }

  // --- shared -------------------------------------------------------------

  /** The keys `key` and `keys` allow, or undefined for any non-empty key. */
  get #acceptedKeys(): readonly string[] | undefined {
    const { key, keys } = this.#options;
    if (key === undefined && keys === undefined) return undefined;
    return [...(key === undefined ? [] : [key]), ...(keys ?? [])];
  }

  /** The key's label, or the 401 to answer. */
  #authenticate(request: Request): string | Response {
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S.*)$/i.exec(header.trim());
    const key = match?.[1].trim();
    if (key === undefined || key === "") {
      return this.#unauthorized("Missing bearer token: send Authorization: Bearer <key>");
    }
    const accepted = this.#acceptedKeys;
    if (accepted !== undefined && !accepted.includes(key)) {
      return this.#unauthorized("Invalid token");
    }
    if (this.#options.faults?.revokedKey) {
      return this.#unauthorized("The token has been disabled or revoked");
    }
    let label = this.#keyLabels.get(key);
    if (label === undefined) {
      label = `key-${this.#keyLabels.size + 1}`;
      this.#keyLabels.set(key, label);
    }
    return label;
  }

  #unauthorized(message: string): Response {
    return nestedError(
      401,
      { code: "invalid_api_key", type: "comet_api_error", message },
      { "www-authenticate": 'Bearer realm="api"' },
    );
  }

  #rateLimited(scope: string, message: string): Response {
    return nestedError(
      429,
      { code: "rate_limit_exceeded", type: "comet_api_error", message },
      { "retry-after": this.#retryAfter(scope) },
    );
  }

  /** A `Retry-After` header value; remembers until when `scope` should stay away. */
  #retryAfter(scope: string): string {
    const now = this.#clock.now();
    const { header, until } = this.#faults.retryAfter(now);
    this.#retryAfters.set(scope, { issuedAt: now, until });
    return header;
  }

  /**
   * Count a request that came before its scope's last `Retry-After` had
   * passed. One that arrives within `retryAfterGraceMs` of the 429 is not
   * counted: a concurrent request may have been sent (or queued in the
   * client's connection pool) before the 429 arrived, and may even come on
   * the very connection that carried it.
   */
  #checkRetryAfter(scope: string): void {
    const last = this.#retryAfters.get(scope);
    if (last === undefined) return;
    const now = this.#clock.now();
    const grace = this.#options.faults?.retryAfterGraceMs ?? 100;
    if (now < last.until && now - last.issuedAt >= grace) this.#stats.retryAfterViolations++;
  }

  async #maybeSlow(): Promise<void> {
    const delay = this.#faults.delayMs();
    if (delay <= 0) return;
    increment(this.#stats.faults, "slow");
    await this.#sleep(delay);
  }

  /** Wait on the injected clock until `ms` pass or the simulator closes. */
  async #sleep(ms: number): Promise<void> {
    await this.#clock.sleep(ms, this.#closing.signal).catch(() => {});
  }

  #count(kind: RequestKind): void {
    this.#stats.requests[kind]++;
  }
}
