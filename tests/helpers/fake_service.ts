/**
 * A scripted fake of the service for executor tests. Each job has a script of
 * submit outcomes, each task a script of GET answers, each task's video a
 * script of download answers; the last step of a script repeats. Every call
 * is recorded with the fake clock's time, and the fake counts the tasks that
 * were created and not yet answered terminal (what `--concurrency` bounds).
 *
 * @module
 */
import { ApiError } from "../../src/errors.ts";
import type { SubmitOutcome, SubmitRequest } from "../../src/api/client.ts";
import { isTerminal, parseTask, type Task } from "../../src/api/wire.ts";
import type { JobError } from "../../src/domain/job_error.ts";
import type { ServiceClient } from "../../src/runner/executor.ts";
import type { FakeClock } from "./fake_clock.ts";

/** Work a step waits for before it answers (e.g. a gate the test opens). */
export type Hold = () => Promise<unknown>;

/** One answer to a submit. */
export type SubmitStep =
  | { kind: "created"; task?: string; status?: string; createdAt?: number; hold?: Hold }
  | {
    kind: "not_created" | "rejected" | "unknown";
    status: number;
    serviceCode?: string;
    retryAfterMs?: number;
    hold?: Hold;
  };

/** One answer to a GET of a task: a task object or an HTTP error. */
export type TaskStep =
  | {
    status: string;
    progress?: number;
    /** `undefined`: a fresh signed URL when the task succeeded; `null`: none. */
    videoUrl?: string | null;
    error?: JobError;
    hold?: Hold;
  }
  | { fail: number; serviceCode?: string; retryAfterMs?: number; hold?: Hold };

/** One answer to opening a video URL. */
export type VideoStep =
  | { kind: "ok"; bytes?: Uint8Array; hold?: Hold }
  /** A non-2xx answer, thrown as {@linkcode ApiError} the way `CometClient.openVideo` does. */
  | { kind: "status"; status: number; hold?: Hold }
  /** Announces the whole video's length but sends only `send` bytes. */
  | { kind: "truncated"; send: number; bytes?: Uint8Array; hold?: Hold };

/** One recorded call. */
export interface ServiceCall {
  /** Fake time of the call. */
  at: number;
  op: "submit" | "getTask" | "openVideo";
  /** Submit: the job (from the prompt). */
  job?: string;
  /** Submit: the `Idempotency-Key`. */
  key?: string;
  /** getTask and openVideo: the task. */
  task?: string;
  /** openVideo: the URL and the byte offset. */
  url?: string;
  offset?: number;
}

/** Scripts and recorders of a {@linkcode FakeService}. */
export interface FakeServiceOptions {
  /** The clock whose time calls are recorded with. */
  clock: FakeClock;
  /** Submit answers per job id. @default [{kind: "created"}] */
  submits?: Record<string, SubmitStep[]>;
  /** GET answers per task id. @default [{status: "SUCCESS"}] */
  tasks?: Record<string, TaskStep[]>;
  /** Download answers per task id. @default [{kind: "ok"}] */
  videos?: Record<string, VideoStep[]>;
  /** Tasks alive at the service before the run (resumed ones). */
  alive?: string[];
  /** A shared timeline: the fake pushes `"<op> <job or task>"` on every call. */
  log?: string[];
}

/** The job a request is for: makeJob's prompts read `prompt of <id>`. */
function jobOf(request: SubmitRequest): string {
  return request.prompt.replace(/^prompt of /, "");
}

/**
 * Bytes that pass the downloader's MP4 check (`ftyp` at offset 4).
 *
 * @param seed Makes the bytes differ per video.
 * @param size The length. @default 64
 * @returns The video's bytes.
 */
export function fakeVideo(seed: string, size = 64): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed.charCodeAt(i % seed.length) + i) & 0xff;
  bytes.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d], 0);
  return bytes;
}

/** A scripted {@linkcode ServiceClient}. */
export class FakeService implements ServiceClient {
  readonly #o: FakeServiceOptions;
  readonly #cursors = new Map<string, number>();
  readonly #alive: Set<string>;
  #maxAlive: number;
  /** Every call, in order. */
  readonly calls: ServiceCall[] = [];

  /** @param options Scripts and recorders. */
  constructor(options: FakeServiceOptions) {
    this.#o = options;
    this.#alive = new Set(options.alive ?? []);
    this.#maxAlive = this.#alive.size;
  }

  /** Tasks created (or alive at start) and not yet answered terminal. */
  get alive(): number {
    return this.#alive.size;
  }

  /** The most tasks ever alive at once. */
  get maxAlive(): number {
    return this.#maxAlive;
  }

  /**
   * Calls of one kind, optionally for one job or task.
   *
   * @param op The operation.
   * @param who A job id (submit) or task id (getTask, openVideo).
   * @returns The matching calls in order.
   */
  callsOf(op: ServiceCall["op"], who?: string): ServiceCall[] {
    return this.calls.filter((call) =>
      call.op === op && (who === undefined || call.job === who || call.task === who)
    );
  }

  /** @inheritdoc */
  async submit(request: SubmitRequest, signal?: AbortSignal): Promise<SubmitOutcome> {
    const job = jobOf(request);
    this.#record({ op: "submit", job, key: request.idempotencyKey }, `submit ${job}`);
    const step = this.#next(`submit:${job}`, this.#o.submits?.[job], { kind: "created" });
    if (step.hold) await abortable(step.hold(), signal);
    this.#o.clock.touch();
    if (step.kind === "created") {
      const body = {
        id: step.task ?? `task-${job}`,
        status: step.status ?? "queued",
        ...(step.createdAt === undefined ? {} : { created_at: step.createdAt }),
      };
      const task = parseTask(body);
      this.#alive.add(task.id);
      this.#maxAlive = Math.max(this.#maxAlive, this.#alive.size);
      return { kind: "created", task };
    }
    return {
      kind: step.kind,
      error: new ApiError(`Cannot create a video task: the service answered ${step.status}`, {
        status: step.status,
        method: "POST",
        url: "https://api.test/v1/videos",
        serviceCode: step.serviceCode,
        retryAfterMs: step.retryAfterMs,
      }),
    };
  }

  /** @inheritdoc */
  async getTask(id: string, signal?: AbortSignal): Promise<Task> {
    this.#record({ op: "getTask", task: id }, `getTask ${id}`);
    const step = this.#next(`task:${id}`, this.#o.tasks?.[id], { status: "SUCCESS" });
    if (step.hold) await abortable(step.hold(), signal);
    this.#o.clock.touch();
    const url = `https://api.test/v1/videos/${id}`;
    if ("fail" in step) {
      throw new ApiError(`Cannot fetch task "${id}": the service answered ${step.fail}`, {
        status: step.fail,
        method: "GET",
        url,
        serviceCode: step.serviceCode,
        retryAfterMs: step.retryAfterMs,
      });
    }
    const signed = this.callsOf("getTask", id).length;
    const task = parseTask({
      id,
      status: step.status,
      ...(step.progress === undefined ? {} : { progress: step.progress }),
      ...(step.error === undefined ? {} : { error: step.error }),
    });
    if (task.status === "succeeded" && step.videoUrl !== null) {
      task.videoUrl = step.videoUrl ?? `https://cdn.test/videos/${id}.mp4?sig=${signed}`;
    }
    if (isTerminal(task.status)) this.#alive.delete(id);
    return task;
  }

  /** @inheritdoc */
  async openVideo(
    url: string,
    options: { offset?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const task = /\/videos\/([^/?]+)\.mp4/.exec(url)?.[1] ?? url;
    const offset = options.offset ?? 0;
    this.#record({ op: "openVideo", task, url, offset }, `openVideo ${task}`);
    const step = this.#next(`video:${task}`, this.#o.videos?.[task], { kind: "ok" });
    if (step.hold) await abortable(step.hold(), options.signal);
    this.#o.clock.touch();
    if (step.kind === "status") {
      const expired = step.status === 403 || step.status === 410;
      const reason = `the server answered ${step.status}`;
      throw new ApiError(`Cannot download the video from ${url}: ${reason}`, {
        status: step.status,
        method: "GET",
        url,
        reason,
        ...(expired ? { code: "url_expired" } : {}),
      });
    }
    const bytes = step.bytes ?? fakeVideo(task);
    const sent = step.kind === "truncated" ? bytes.subarray(0, step.send) : bytes;
    return new Response(sent.slice(), {
      status: 200,
      headers: { "content-type": "video/mp4", "content-length": String(bytes.byteLength) },
    });
  }

  #record(call: Omit<ServiceCall, "at">, line: string): void {
    this.calls.push({ at: this.#o.clock.now(), ...call });
    this.#o.log?.push(line);
    this.#o.clock.touch();
  }

  /** The next step of a script; its last step repeats. */
  #next<T>(cursor: string, script: T[] | undefined, fallback: T): T {
    const steps = script && script.length > 0 ? script : [fallback];
    const index = this.#cursors.get(cursor) ?? 0;
    this.#cursors.set(cursor, index + 1);
    return steps[Math.min(index, steps.length - 1)];
  }
}

/** Wait for `work`, or reject with the signal's reason when it aborts first. */
function abortable(work: Promise<unknown>, signal?: AbortSignal): Promise<unknown> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  const { promise, reject } = Promise.withResolvers<never>();
  const onAbort = (): void => reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([work, promise]).finally(() => signal.removeEventListener("abort", onAbort));
}
