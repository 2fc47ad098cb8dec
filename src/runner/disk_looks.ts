/**
 * What the disk shows for many files at once: for each path, whether it is
 * missing, not a regular file, or a file (with its size and modification
 * time), with one `lstat` per path (a symlink is never followed).
 *
 * The answer is columnar (three typed arrays, no object per file). Below a
 * threshold the looks are made in the calling thread, with the event loop
 * turning every {@linkcode LOOKS_PER_TURN} files; above it they are split in
 * chunks over a few Workers, whose answers come back as transferred typed
 * arrays. Each `lstat` is a few microseconds of system call: on two cores,
 * two Workers look at a million files in 0.6-0.8 of the calling thread's
 * time (nothing gained when other work holds the cores), for about 20% more
 * CPU and 60 MB more memory (bench/RESULTS.md); the calling thread is free
 * meanwhile.
 *
 * A Worker that cannot be started (also when this process may not read its
 * module: it would fail, or prompt), or fails (throws, or answers what cannot
 * be read), ends the Workers (all of them, always) and what they had not
 * answered is looked at in the calling thread: a look is read-only, so doing
 * it twice is harmless, and a resume must not fail because a thread could
 * not start when the same answer is a few seconds away. The answer says so
 * ({@linkcode DiskLooks.via} and {@linkcode DiskLooks.fallback}); Deno
 * itself prints a failing Worker's uncaught error on standard error.
 *
 * The Worker module is `disk_looks_worker.ts`, found next to this one by this
 * module's own URL: `deno compile` embeds it only when given
 * `--include src/runner/disk_looks_worker.ts` (deno.json's `compile` task;
 * tests/compile_safety_test.ts checks it). The Worker inherits this
 * process's permissions and needs only read access.
 *
 * @module
 */
import { messageOf } from "../errors.ts";

/** {@linkcode DiskLooks.kinds}: nothing there, or it cannot be looked at. */
export const LOOK_MISSING = 0;
/** {@linkcode DiskLooks.kinds}: a directory, a symlink, a FIFO, a socket, a device. */
export const LOOK_NOT_A_FILE = 1;
/** {@linkcode DiskLooks.kinds}: a regular file; its size and time are set. */
export const LOOK_FILE = 2;

/** What the disk showed for each path, by the path's index. */
export interface DiskLooks {
  /** {@linkcode LOOK_MISSING}, {@linkcode LOOK_NOT_A_FILE} or {@linkcode LOOK_FILE}. */
  kinds: Uint8Array;
  /** Size in bytes of a file (0 otherwise). */
  sizes: Float64Array;
  /** Modification time of a file in epoch milliseconds; NaN when unknown or not a file. */
  mtimesMs: Float64Array;
  /**
   * How the looks were made: in the calling thread, by Workers, or by
   * Workers and then, after one failed, in the calling thread.
   */
  via: "thread" | "workers" | "fallback";
  /** Why the Workers were given up (only with `via: "fallback"`). */
  fallback?: string;
}

/** Options of {@linkcode lookAtFiles}. */
export interface DiskLookOptions {
  /** Prepended to every path (e.g. the output folder and a separator). @default "" */
  prefix?: string;
  /** Fewer paths than this are looked at in the calling thread. @default diskLookDefaults.threshold */
  threshold?: number;
  /**
   * How many Workers above the threshold (0: none, all in the calling thread).
   * @default diskLookDefaults.workers: 2, or 0 on a single CPU
   */
  workers?: number;
  /** Paths sent to a Worker at a time. @default diskLookDefaults.chunk */
  chunk?: number;
  /** The Worker module (tests give one that fails). @default diskLookDefaults.workerUrl, else disk_looks_worker.ts */
  workerUrl?: URL;
}

/** The process-wide defaults of {@linkcode lookAtFiles}. */
export interface DiskLookDefaults {
  /** See {@linkcode DiskLookOptions.threshold}. */
  threshold: number;
  /** See {@linkcode DiskLookOptions.workers}. */
  workers: number;
  /** See {@linkcode DiskLookOptions.chunk}. */
  chunk: number;
  /** See {@linkcode DiskLookOptions.workerUrl}. */
  workerUrl?: URL;
  /** Told how each call's looks were made (the tests check a run went through the Workers). */
  onLooked?: (via: DiskLooks["via"], count: number) => void;
}

/**
 * The process-wide defaults of {@linkcode DiskLookOptions}. The tests lower
 * `threshold` to 0 to send a whole run through the Workers; nothing else
 * should change them.
 */
export const diskLookDefaults: DiskLookDefaults = {
  threshold: 20_000,
  // One core: a lone Worker would do the calling thread's work plus its own start.
  workers: (navigator.hardwareConcurrency ?? 1) >= 2 ? 2 : 0,
  // Small chunks keep each Worker's heap small: at 1,000,000 files, 16,384 a chunk
  // peaked at 220 MB more than the calling thread alone, 2,048 at 60 MB (and less CPU).
  chunk: 2_048,
};

/**
 * Files looked at in the calling thread between two turns of the event loop:
 * a check of a million videos still lets a signal or a timer in every few
 * milliseconds.
 */
export const LOOKS_PER_TURN = 8192;

/** A chunk as a Worker receives it. */
export interface LookRequest {
  /** The chunk's number. */
  id: number;
  /** Prepended to every path. */
  prefix: string;
  /** The paths joined by NUL (no file name holds one), or the paths themselves. */
  paths: string | string[];
  /** How many paths. */
  count: number;
}

/** A Worker's answer to a {@linkcode LookRequest}. */
export interface LookAnswer {
  /** The chunk's number. */
  id: number;
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimesMs: Float64Array;
}

/** A Worker's answer when the joined paths did not split into their count: send them as a list. */
export interface LookResend {
  /** The chunk's number. */
  id: number;
  unsplit: true;
}

/**
 * Look at `prefix + paths[i]` for `i` in `[from, to)` and write what the disk
 * shows at index `at + i - from` of the columns: one `lstat` each, an error
 * (nothing there, no permission, a path that cannot be a file name) counting
 * as missing. Shared by the calling thread and the Workers.
 *
 * @param prefix Prepended to every path.
 * @param paths The paths.
 * @param from First index to look at.
 * @param to Index after the last one.
 * @param into The columns written.
 * @param at Where in the columns `paths[from]` goes.
 */
export function lookInto(
  prefix: string,
  paths: readonly string[],
  from: number,
  to: number,
  into: Pick<DiskLooks, "kinds" | "sizes" | "mtimesMs">,
  at: number,
): void {
  for (let i = from, k = at; i < to; i++, k++) {
    try {
      const info = Deno.lstatSync(prefix + paths[i]);
      if (info.isFile) {
        into.kinds[k] = LOOK_FILE;
        into.sizes[k] = info.size;
        into.mtimesMs[k] = info.mtime?.getTime() ?? NaN;
      } else {
        into.kinds[k] = LOOK_NOT_A_FILE;
        into.sizes[k] = 0;
        into.mtimesMs[k] = NaN;
      }
    } catch {
      // Unreadable counts as missing: the run fetches it again.
      into.kinds[k] = LOOK_MISSING;
      into.sizes[k] = 0;
      into.mtimesMs[k] = NaN;
    }
  }
}

/**
 * What the disk shows for each path, without following symlinks: in the
 * calling thread below `threshold` paths (or with no Workers), else over
 * Workers (see the module's notes for a Worker that fails).
 *
 * @param paths The paths (absolute, or relative to `prefix`).
 * @param options Prefix, threshold, Workers and chunk size.
 * @returns One entry per path in each column, in the paths' order.
 */
export async function lookAtFiles(
  paths: readonly string[],
  options: DiskLookOptions = {},
): Promise<DiskLooks> {
  const prefix = options.prefix ?? "";
  const threshold = options.threshold ?? diskLookDefaults.threshold;
  const workers = Math.floor(options.workers ?? diskLookDefaults.workers);
  const chunk = Math.max(1, Math.floor(options.chunk ?? diskLookDefaults.chunk));
  const looks: DiskLooks = {
    kinds: new Uint8Array(paths.length),
    sizes: new Float64Array(paths.length),
    mtimesMs: new Float64Array(paths.length),
    via: "thread",
  };
  if (paths.length === 0) return looks;
  if (paths.length < threshold || !(workers >= 1) || typeof Worker !== "function") {
    await lookInThread(prefix, paths, 0, paths.length, looks);
  } else {
    const url = options.workerUrl ?? diskLookDefaults.workerUrl ??
      new URL("./disk_looks_worker.ts", import.meta.url);
    const barred = moduleBarred(url);
    const left: Left = barred === undefined
      ? await lookInWorkers(prefix, paths, looks, { url, workers, chunk })
      : {
        reason: barred,
        chunks: Array.from({ length: Math.ceil(paths.length / chunk) }, (_, id) => id),
      };
    looks.via = left.reason === undefined ? "workers" : "fallback";
    if (left.reason !== undefined) {
      looks.fallback = left.reason;
      let sinceTurn = 0;
      for (const id of left.chunks) {
        const from = id * chunk;
        const to = Math.min(paths.length, from + chunk);
        await lookInThread(prefix, paths, from, to, looks);
        sinceTurn += to - from;
        if (sinceTurn >= LOOKS_PER_TURN) {
          sinceTurn = 0;
          await nextTurn();
        }
      }
    }
  }
  diskLookDefaults.onLooked?.(looks.via, paths.length);
  return looks;
}

/** The looks of `[from, to)` in this thread, letting the event loop turn now and then. */
async function lookInThread(
  prefix: string,
  paths: readonly string[],
  from: number,
  to: number,
  into: DiskLooks,
): Promise<void> {
  for (let start = from; start < to; start += LOOKS_PER_TURN) {
    if (start > from) await nextTurn();
    const end = Math.min(to, start + LOOKS_PER_TURN);
    lookInto(prefix, paths, start, end, into, start);
  }
}

/** What the Workers left: nothing, or the chunks not answered and why. */
type Left = { reason: undefined } | { reason: string; chunks: number[] };

/**
 * Hand the chunks out to Workers, two at a time each (one looked at while
 * the other's answer travels), and copy their answers into `into`. Every
 * Worker started is terminated before this returns, whatever happened.
 */
async function lookInWorkers(
  prefix: string,
  paths: readonly string[],
  into: DiskLooks,
  setup: { url: URL; workers: number; chunk: number },
): Promise<Left> {
  const total = Math.ceil(paths.length / setup.chunk);
  const answered = new Uint8Array(total);
  const started: Worker[] = [];
  let next = 0;
  let count = 0;
  let failure: string | undefined;
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => settle = resolve);
  const fail = (why: string): void => {
    if (count === total) return;
    failure ??= why;
    settle();
  };
  const post = (worker: Worker, id: number, joined: boolean): void => {
    const from = id * setup.chunk;
    const slice = paths.slice(from, Math.min(paths.length, from + setup.chunk));
    // Joined, a chunk is one string to copy (the cheapest way across); the
    // Worker asks again for the paths themselves when its split does not
    // give their count back (a path holding a NUL, which no file name can).
    const request: LookRequest = {
      id,
      prefix,
      paths: joined ? slice.join("\0") : slice,
      count: slice.length,
    };
    try {
      worker.postMessage(request);
    } catch (error) {
      fail(`a chunk could not be sent to a Worker: ${messageOf(error)}`);
    }
  };
  const send = (worker: Worker): void => {
    if (next >= total || failure !== undefined) return;
    post(worker, next++, true);
  };
  const receive = (worker: Worker, data: unknown): void => {
    if (failure !== undefined) return;
    const answer = data as Partial<LookAnswer & LookResend> | null;
    const id = answer?.id;
    if (typeof id !== "number" || !(id >= 0 && id < next) || answered[id] === 1) {
      return fail("a Worker gave an answer to no chunk it was sent");
    }
    if (answer?.unsplit === true) return post(worker, id, false);
    const from = id * setup.chunk;
    const size = Math.min(paths.length, from + setup.chunk) - from;
    const { kinds, sizes, mtimesMs } = answer as LookAnswer;
    if (
      !(kinds instanceof Uint8Array) || !(sizes instanceof Float64Array) ||
      !(mtimesMs instanceof Float64Array) || kinds.length !== size || sizes.length !== size ||
      mtimesMs.length !== size
    ) {
      return fail(`a Worker's answer for chunk ${id} is not ${size} looks`);
    }
    into.kinds.set(kinds, from);
    into.sizes.set(sizes, from);
    into.mtimesMs.set(mtimesMs, from);
    answered[id] = 1;
    if (++count === total) return settle();
    send(worker);
  };
  try {
    for (let w = 0; w < Math.min(setup.workers, total); w++) {
      const worker = new Worker(setup.url, { type: "module", name: `disk-looks-${w}` });
      started.push(worker);
      worker.onmessage = (event: MessageEvent) => receive(worker, event.data);
      worker.onmessageerror = () => fail("a Worker's answer could not be read");
      worker.onerror = (event: ErrorEvent) => {
        // Handled here: unhandled, a Worker's error would end the whole process.
        event.preventDefault();
        fail(`a Worker failed: ${event.message || "unknown error"}`);
      };
      send(worker);
      send(worker);
    }
    await finished;
  } catch (error) {
    failure ??= `a Worker could not be started: ${messageOf(error)}`;
  } finally {
    for (const worker of started) worker.terminate();
  }
  if (failure === undefined) return { reason: undefined };
  const chunks: number[] = [];
  for (let id = 0; id < total; id++) if (answered[id] === 0) chunks.push(id);
  return { reason: failure, chunks };
}

/**
 * Why this process may not load the Worker module, if it may not: without
 * the permission, starting the Worker would fail (printing an error) or,
 * with prompts on, stop the run to ask.
 */
function moduleBarred(url: URL): string | undefined {
  let descriptor: Deno.PermissionDescriptor;
  if (url.protocol === "file:") descriptor = { name: "read", path: url };
  else if (url.protocol === "http:" || url.protocol === "https:") {
    descriptor = { name: "net", host: url.host };
  } else return undefined;
  const state = Deno.permissions.querySync(descriptor).state;
  if (state === "granted") return undefined;
  const what = descriptor.name === "read" ? "read" : "net";
  return `no ${what} permission for the Worker module ${url.href}`;
}

/**
 * Let timers, signals and I/O run before going on.
 *
 * @returns Resolves on a later turn of the event loop.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
