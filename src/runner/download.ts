/**
 * The streaming video downloader: writes to `<destination>.part` beside the
 * final name, hashes while streaming, checks the length and the MP4 `ftyp`
 * box, fsyncs and renames. A transfer that breaks is resumed with a Range
 * request when the server supports ranges, and restarted from the start
 * when it does not. Memory stays flat whatever the size.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { dirname } from "node:path";
import { ApiError, BatchError, ExitCode, messageOf } from "../errors.ts";
import { syncFolder, writeAll } from "../fs.ts";
import { createFresh } from "../out_dir.ts";
import { type DiskSpace, SpaceGauge } from "./space.ts";

export { DEFAULT_RESERVE_BYTES, type DiskSpace, diskSpace, reserveFor } from "./space.ts";

/** A video written under its final name. */
export interface DownloadResult {
  /** Size of the file in bytes. */
  bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  /**
   * The file's bytes, when it is small ({@linkcode KEEP_CONTENT_BYTES} or
   * less): what was written, so the caller need not read it back.
   */
  content?: Uint8Array;
}

/** Videos up to this size are also returned in memory (as `content`). */
export const KEEP_CONTENT_BYTES = 256 * 1024;

/** Bytes gathered before one write and one hash update (fewer calls than per network chunk). */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * Bodies this large (or of unknown size) are read straight into the write
 * buffer (BYOB: half the CPU of chunk reads, bench/NOTES.md). A read that
 * fails takes the buffer with it, so a break costs up to one buffer of bytes
 * sent again: small against such a body.
 */
const BYOB_MIN_BYTES = 8 * WRITE_BUFFER_BYTES;

/**
 * Codes of a {@link DownloadError}:
 * - `url_expired`: the signed URL was refused (403/410); fetch the task again for a fresh URL
 * - `download_http`: the server answered another error status (see `status`)
 * - `download_network`: the connection failed before an answer
 * - `download_interrupted`: the transfer kept breaking (resumes exhausted)
 * - `download_truncated`: the transfer ended short of the announced length (resumes exhausted)
 * - `download_too_long`: the server sent more bytes than it announced
 * - `download_not_mp4`: the bytes are not an MP4 (no `ftyp` box at offset 4)
 * - `download_write`: the file could not be written (a local problem: disk
 *   full, folder not writable)
 * - `disk_space`: the announced size does not fit in the free space less the
 *   reserve (a local problem; nothing was written)
 * - `download_too_large`: the video is larger than the cap (`maxBytes`),
 *   announced or streamed
 * - `download_deadline`: the download did not finish by its deadline
 * - `download_slow`: the transfer kept crawling below the minimum rate
 *   (resumes exhausted)
 */
export type DownloadErrorCode =
  | "url_expired"
  | "download_http"
  | "download_network"
  | "download_interrupted"
  | "download_truncated"
  | "download_too_long"
  | "download_not_mp4"
  | "download_write"
  | "disk_space"
  | "download_too_large"
  | "download_deadline"
  | "download_slow";

/** A video that could not be downloaded; no `.part` file is left behind. */
export class DownloadError extends BatchError {
  /** The final path that was not written. */
  readonly destination: string;
  /** The HTTP status behind the failure, when there was one (0: no answer). */
  readonly status?: number;

  /**
   * @param message What happened, naming the file.
   * @param context The code, the destination, the HTTP status and the cause.
   */
  constructor(
    message: string,
    context: {
      code: DownloadErrorCode;
      destination: string;
      status?: number;
      cause?: unknown;
    },
  ) {
    super(message, { code: context.code, exitCode: ExitCode.Failed, cause: context.cause });
    this.name = "DownloadError";
    this.destination = context.destination;
    this.status = context.status;
  }
}

/** Settings of one download. */
export interface DownloadOptions {
  /**
   * Open the video at a byte offset (0 for the whole file), e.g.
   * `(offset, signal) => client.openVideo(url, { offset, signal })`.
   * Answers 200, or 206 to a range; throws {@link ApiError} otherwise.
   */
  open: (offset: number, signal?: AbortSignal) => Promise<Response>;
  /** The final path; the folder is created if needed. */
  destination: string;
  /** Aborts the download (the abort error is rethrown and no `.part` is left). */
  signal?: AbortSignal;
  /** How many times a broken or short transfer is resumed within this call. @default 5 */
  maxResumes?: number;
  /** A transfer that delivers no byte for this long counts as broken. @default 60_000 */
  idleTimeoutMs?: number;
  /** The largest video accepted, in bytes. @default 2 GiB ({@linkcode DEFAULT_MAX_VIDEO_BYTES}) */
  maxBytes?: number;
  /**
   * The free and total bytes of the file system holding a folder, or
   * undefined when the platform does not tell. @default {@linkcode diskSpace} (statfs)
   */
  diskSpace?: (folder: string) => Promise<DiskSpace | undefined>;
  /**
   * Bytes kept free beside a video (room for the journal and reports).
   * @default 64 MiB, or a tenth of a smaller file system ({@linkcode reserveFor})
   */
  reserveBytes?: number;
  /**
   * The free-space gauge shared by a run's downloads (it measures only now
   * and then). @default a gauge of this download alone, from `diskSpace`
   * and `reserveBytes`
   */
  space?: SpaceGauge;
  /**
   * Makes the folder's entries durable after the rename. @default
   * {@linkcode syncFolder}; a run shares one sync among concurrent downloads
   * (`FolderSyncs`)
   */
  syncFolder?: (folder: string) => Promise<void>;
  /**
   * When the whole download must be over, in `now()` milliseconds; a
   * transfer still running then ends with `download_deadline`. @default none
   */
  deadline?: number;
  /**
   * The slowest transfer tolerated: fewer than `bytesPerSecond` on average
   * over any `windowMs` counts as broken (resumed like a dropped
   * connection). @default 8 KiB/s over 60 s ({@linkcode DEFAULT_MIN_RATE})
   */
  minRate?: { bytesPerSecond: number; windowMs: number };
  /** The time, for the deadline and the rate. @default Date.now */
  now?: () => number;
}

/** The default cap on a video's size: far above any real clip. */
export const DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 ** 3;

/** The default minimum transfer rate. */
export const DEFAULT_MIN_RATE = { bytesPerSecond: 8 * 1024, windowMs: 60_000 } as const;

const FTYP = [0x66, 0x74, 0x79, 0x70];

/** Progress of the bytes written to the `.part` file. */
interface PartState {
  written: number;
  hash: Hash;
  /** The first 8 bytes, for the `ftyp` check. */
  head: number[];
  /** The bytes written so far while they are few ({@linkcode KEEP_CONTENT_BYTES}). */
  kept: Uint8Array[] | undefined;
  /** Syncs of the data written so far, made while the transfer goes on. */
  syncs: BackgroundSync;
}

/**
 * Bytes written between two syncs made while a large video streams in. A
 * machine with much memory starts writing dirty pages back only past a
 * share of it, so without these the final fsync would write the whole video
 * while nothing else happens; with them the disk works while the network
 * does, and the final fsync has at most this much left.
 */
const BACKGROUND_SYNC_BYTES = 64 * 1024 ** 2;

/** Starts a data sync every {@linkcode BACKGROUND_SYNC_BYTES} written, one at a time. */
class BackgroundSync {
  #pending: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  #lastAt = 0;

  /** The file now holds `written` bytes: start a sync when enough came since the last. */
  wrote(file: Deno.FsFile, written: number): void {
    if (this.#pending !== undefined || written - this.#lastAt < BACKGROUND_SYNC_BYTES) return;
    this.#lastAt = written;
    this.#pending = file.syncData()
      .catch((error: unknown) => void (this.#failure ??= { error }))
      .finally(() => this.#pending = undefined);
  }

  /** Wait for the sync under way; rethrow the first failure of any. */
  async settle(): Promise<void> {
    await this.#pending;
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

/** The transfer broke (network error or idle timeout); a resume may help. */
class TransferBroken extends Error {}

/**
 * Download a video to `destination`, streaming through `<destination>.part`.
 *
 * @param options How to open the video, where to put it, and limits.
 * @returns The size and SHA-256 of the file now under its final name.
 * @throws {DownloadError} When the video cannot be downloaded (see its
 *   `code`); no `.part` file is left behind.
 */
export async function downloadVideo(options: DownloadOptions): Promise<DownloadResult> {
  const { destination } = options;
  const maxResumes = options.maxResumes ?? 5;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_VIDEO_BYTES;
  const now = options.now ?? Date.now;
  const part = `${destination}.part`;
  const folder = dirname(destination);
  options.signal?.throwIfAborted();
  if (options.deadline !== undefined && now() >= options.deadline) {
    throw deadlineError(destination, 0);
  }
  // The deadline aborts whatever is under way: an answer that never comes, a crawl.
  const overdue = new AbortController();
  const timer = options.deadline === undefined ? undefined : setTimeout(
    () => overdue.abort(new DOMException("deadline", "TimeoutError")),
    Math.min(2 ** 31 - 1, Math.max(0, options.deadline - now())),
  );
  const signal = options.signal === undefined
    ? overdue.signal
    : AbortSignal.any([options.signal, overdue.signal]);
  const opening: DownloadOptions = { ...options, signal };
  const wasOverdue = (): boolean => overdue.signal.aborted && !options.signal?.aborted;
  let file: Deno.FsFile;
  try {
    // Never through a link: a leftover entry is removed, the file created anew.
    // The folder is made only when it is missing (not once per video: a
    // syscall on the JS thread for every file, bench/NOTES.md).
    file = await createFresh(part).catch(async (error: unknown) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.mkdir(folder, { recursive: true });
      return await createFresh(part);
    });
  } catch (cause) {
    throw writeError(destination, cause);
  }
  let open = true;
  const state: PartState = {
    written: 0,
    hash: createHash("sha256"),
    head: [],
    kept: [],
    syncs: new BackgroundSync(),
  };
  try {
    let resumes = 0;
    let rangesSupported = false;
    let lastBreak: unknown;
    for (;;) {
      signal?.throwIfAborted();
      const offset = rangesSupported ? state.written : 0;
      if (offset === 0 && state.written > 0) await restart(file, state);
      const response = await openAt(opening, offset, destination);
      const plan = readFraming(response, offset);
      if (plan.total !== undefined && plan.total > maxBytes) {
        await response.body?.cancel().catch(() => {});
        throw tooLarge(destination, maxBytes, `announces ${plan.total} bytes`);
      }
      if (plan.restart) {
        // The server ignored the Range (200) or answered another range:
        // start over from byte 0 with this response when it is the whole file.
        await restart(file, state);
        if (plan.start !== 0) {
          await response.body?.cancel().catch(() => {});
          rangesSupported = false;
          if (resumes >= maxResumes) throw interrupted(destination, state, lastBreak);
          resumes++;
          continue;
        }
      }
      rangesSupported = plan.ranges;
      if (plan.total !== undefined) {
        await checkFreeSpace(options, folder, plan.total - state.written, response);
      }
      try {
        await pump(response, file, state, {
          destination,
          total: plan.total,
          idleTimeoutMs,
          signal,
          maxBytes,
          now,
          minRate: options.minRate ?? DEFAULT_MIN_RATE,
        });
      } catch (error) {
        if (!(error instanceof TransferBroken)) throw error;
        // Every announced byte arrived before the break: nothing to resume.
        if (plan.total !== undefined && state.written === plan.total) break;
        lastBreak = error.cause;
        if (resumes >= maxResumes) throw interrupted(destination, state, lastBreak);
        resumes++;
        continue;
      }
      if (plan.total !== undefined && state.written < plan.total) {
        if (resumes >= maxResumes) {
          throw new DownloadError(
            `Cannot download ${destination}: the transfer ended at ${state.written} of ` +
              `${plan.total} bytes, ${maxResumes} resumes used`,
            { code: "download_truncated", destination },
          );
        }
        resumes++;
        continue;
      }
      break;
    }
    if (state.written < 8) {
      throw new DownloadError(
        `Cannot download ${destination}: the server sent ${state.written} bytes, not an MP4 video`,
        { code: "download_not_mp4", destination },
      );
    }
    // Every byte counted is in the file (what the hash and the size say is what is there).
    const size = file.statSync().size;
    if (size !== state.written) {
      throw new DownloadError(
        `Cannot write ${destination}: the file holds ${size} bytes where ${state.written} were received`,
        { code: "download_write", destination },
      );
    }
    try {
      // The data and the size (fdatasync): all a reader of the bytes needs.
      await state.syncs.settle();
      await file.syncData();
      file.close();
      open = false;
      // Synchronous: a rename within a folder is a metadata call of microseconds,
      // cheaper than its hand-off to a blocking thread.
      Deno.renameSync(part, destination);
    } catch (cause) {
      throw writeError(destination, cause);
    }
    await (options.syncFolder ?? syncFolder)(folder);
    const result: DownloadResult = { bytes: state.written, sha256: state.hash.digest("hex") };
    if (state.kept !== undefined) result.content = concat(state.kept, state.written);
    return result;
  } catch (error) {
    if (open) {
      await state.syncs.settle().catch(() => {});
      file.close();
    }
    await Deno.remove(part).catch(() => {});
    if (wasOverdue() && !(error instanceof DownloadError)) {
      throw deadlineError(destination, state.written);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Refuse to start writing `needed` more bytes that would not leave the reserve free. */
async function checkFreeSpace(
  options: DownloadOptions,
  folder: string,
  needed: number,
  response: Response,
): Promise<void> {
  const gauge = options.space ??
    new SpaceGauge({ diskSpace: options.diskSpace, reserveBytes: options.reserveBytes });
  const refused = await gauge.admit(folder, needed);
  if (refused === undefined) return;
  const { free, reserve } = refused;
  await response.body?.cancel().catch(() => {});
  throw new DownloadError(
    `Cannot download ${options.destination}: not enough free disk space ` +
      `(${needed} bytes to write, ${free} free, ${reserve} kept in reserve)`,
    { code: "disk_space", destination: options.destination },
  );
}

/** Call `open`, turning its failures into {@link DownloadError}s (aborts pass through). */
async function openAt(
  options: DownloadOptions,
  offset: number,
  destination: string,
): Promise<Response> {
  try {
    return await options.open(offset, options.signal);
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    if (cause instanceof DownloadError) throw cause;
    if (cause instanceof ApiError) {
      const code = cause.code === "url_expired"
        ? "url_expired"
        : cause.status === 0
        ? "download_network"
        : "download_http";
      const reason = cause.reason ?? cause.message;
      throw new DownloadError(`Cannot download ${destination}: ${reason}`, {
        code,
        destination,
        status: cause.status,
        cause,
      });
    }
    throw new DownloadError(
      `Cannot download ${destination}: ${messageOf(cause)}`,
      { code: "download_network", destination, status: 0, cause },
    );
  }
}

/** How a response frames the bytes it carries. */
interface Framing {
  /** The byte offset the body starts at. */
  start: number;
  /** The whole file's size, when announced. */
  total?: number;
  /** Whether a later Range request can resume. */
  ranges: boolean;
  /** True when the body does not continue what is already written. */
  restart: boolean;
}

function readFraming(response: Response, offset: number): Framing {
  const headers = response.headers;
  const encoded = (headers.get("content-encoding") ?? "identity").toLowerCase() !== "identity";
  const acceptRanges = /\bbytes\b/i.test(headers.get("accept-ranges") ?? "");
  if (response.status === 206) {
    const range = parseContentRange(headers.get("content-range"));
    const start = range?.start ?? 0;
    return { start, total: range?.total, ranges: true, restart: start !== offset };
  }
  const length = encoded ? undefined : parseLength(headers.get("content-length"));
  return { start: 0, total: length, ranges: acceptRanges, restart: offset !== 0 };
}

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Read `bytes START-END/TOTAL` (TOTAL may be `*`). */
function parseContentRange(value: string | null): { start: number; total?: number } | undefined {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

async function restart(file: Deno.FsFile, state: PartState): Promise<void> {
  // A failed sync of bytes now thrown away does not matter; the next ones do.
  await state.syncs.settle().catch(() => {});
  state.syncs = new BackgroundSync();
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  state.written = 0;
  state.hash = createHash("sha256");
  state.head = [];
  state.kept = [];
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const whole = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}

/**
 * Stream a response body into the file, hashing and checking as it goes.
 * Bytes are gathered into writes of up to {@linkcode WRITE_BUFFER_BYTES},
 * hashed as they are written: read straight into that buffer when the body
 * is a byte stream (a fetch body: BYOB reads, no copy), else copied from its
 * chunks. Every byte accepted is written before this returns or throws
 * {@link TransferBroken}, except the bytes a failed BYOB read took with its
 * buffer: `state.written` then goes back to what was written, and a resume
 * starts there.
 */
async function pump(
  response: Response,
  file: Deno.FsFile,
  state: PartState,
  options: {
    destination: string;
    total?: number;
    idleTimeoutMs: number;
    signal?: AbortSignal;
    maxBytes: number;
    now: () => number;
    minRate: { bytesPerSecond: number; windowMs: number };
  },
): Promise<void> {
  const { destination, total, now, minRate } = options;
  if (response.body === null) return;
  const body = response.body;
  // Writes gather up to `capacity` bytes; a body announced smaller gets a buffer its size.
  const capacity = Math.max(
    1,
    Math.min(WRITE_BUFFER_BYTES, total === undefined ? Infinity : total - state.written),
  );
  // Large bodies are read into the buffer; a small one chunk by chunk, so a
  // break never costs more than the bytes it did not deliver.
  let byob: ReadableStreamBYOBReader | undefined;
  if (total === undefined || total - state.written >= BYOB_MIN_BYTES) {
    try {
      byob = body.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read its chunks.
    }
  }
  const reader = byob ?? body.getReader();
  const stop = new ReadStop(options.idleTimeoutMs, options.signal);
  let done = false;
  let buffer: Uint8Array | undefined = byob === undefined ? undefined : new Uint8Array(capacity);
  let filled = 0;
  /** Bytes of `state.written` that are in the file (and the hash). */
  let flushed = state.written;
  const write = async (bytes: Uint8Array): Promise<void> => {
    try {
      await writeAll(file, bytes);
    } catch (cause) {
      throw writeError(destination, cause);
    }
    state.hash.update(bytes);
    flushed += bytes.byteLength;
    state.syncs.wrote(file, flushed);
  };
  const flush = async (): Promise<void> => {
    if (filled === 0 || buffer === undefined) return;
    const bytes = buffer.subarray(0, filled);
    filled = 0;
    await write(bytes);
  };
  const read = async (): Promise<Uint8Array | null> => {
    if (byob === undefined) {
      const chunk = await stop.read(() =>
        (reader as ReadableStreamDefaultReader<Uint8Array>).read()
      );
      return chunk.done ? null : chunk.value;
    }
    if (filled === capacity) await flush();
    const room = new Uint8Array(buffer!.buffer, filled, capacity - filled);
    // The read takes the buffer (it is transferred) and gives it back in its answer.
    buffer = undefined;
    const chunk = await stop.read(() => byob!.read(room));
    if (chunk.value === undefined) {
      // A cancelled stream keeps the buffer: its gathered bytes must be sent again.
      throw new TransferBroken("cancelled", { cause: new Error("the body was cancelled") });
    }
    buffer = new Uint8Array(chunk.value.buffer, 0, capacity);
    return chunk.done ? null : chunk.value;
  };
  // The rate is measured over consecutive windows of `minRate.windowMs`.
  let windowStart = now();
  let windowBytes = 0;
  try {
    for (;;) {
      const bytes = await read();
      if (bytes === null) {
        done = true;
        await flush();
        return;
      }
      const elapsed = now() - windowStart;
      if (elapsed >= minRate.windowMs) {
        const rate = (windowBytes + bytes.byteLength) / (elapsed / 1000);
        if (rate < minRate.bytesPerSecond) {
          throw new TransferBroken("slow", {
            cause: new Error(
              `the transfer crawled at ${Math.round(rate)} bytes/s over ` +
                `${
                  Math.round(elapsed / 1000)
                } s, under the minimum ${minRate.bytesPerSecond} bytes/s`,
            ),
          });
        }
        windowStart = now();
        windowBytes = 0;
      } else windowBytes += bytes.byteLength;
      if (bytes.byteLength === 0) continue;
      if (state.written + bytes.byteLength > options.maxBytes) {
        throw tooLarge(destination, options.maxBytes, "sent more than that");
      }
      if (total !== undefined && state.written + bytes.byteLength > total) {
        throw new DownloadError(
          `Cannot download ${destination}: the server sent more than the ${total} bytes it announced`,
          { code: "download_too_long", destination },
        );
      }
      checkHead(state, bytes, destination);
      if (byob !== undefined) filled += bytes.byteLength; // already in the buffer
      else {
        if (filled + bytes.byteLength > capacity) await flush();
        if (bytes.byteLength >= capacity) await write(bytes);
        else {
          buffer ??= new Uint8Array(capacity);
          buffer.set(bytes, filled);
          filled += bytes.byteLength;
        }
      }
      state.written += bytes.byteLength;
      if (state.kept !== undefined) {
        if (state.written > KEEP_CONTENT_BYTES) state.kept = undefined;
        else state.kept.push(bytes.slice());
      }
    }
  } catch (error) {
    if (error instanceof TransferBroken) {
      // What arrived before a break is good: written, so a resume continues after it.
      if (buffer !== undefined) await flush();
      else if (state.written > flushed) forget(state, flushed);
    }
    throw error;
  } finally {
    stop.close();
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Go back to the `written` bytes in the file: what was gathered after them
 * went with a failed read's buffer, and a resume sends it again.
 */
function forget(state: PartState, written: number): void {
  state.written = written;
  state.head = state.head.slice(0, Math.min(state.head.length, written));
  state.kept = undefined; // the caller reads the file instead
}

/**
 * Ends a read that waits too long or is aborted: one timer and one abort
 * listener for a whole transfer, not one per chunk. A read waiting
 * `idleTimeoutMs` with no data fails with {@link TransferBroken}; an abort
 * fails it with the signal's reason.
 */
class ReadStop {
  readonly #idleTimeoutMs: number;
  readonly #signal?: AbortSignal;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the read under way started (`performance.now()`), or undefined between reads. */
  #readingSince: number | undefined;
  /** Fails the read under way. */
  #rejectRead: ((reason: unknown) => void) | undefined;
  /** Why reading stopped, once it did. */
  #stopped: { reason: unknown } | undefined;
  readonly #onAbort = (): void => this.#stop(this.#signal?.reason);

  constructor(idleTimeoutMs: number, signal?: AbortSignal) {
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (signal?.aborted) this.#onAbort();
    this.#arm(idleTimeoutMs);
  }

  /**
   * Read one chunk, failing with {@link TransferBroken} on a network error or
   * idleness. (A promise of its own per read, not a race against one
   * long-lived promise: each race would stay attached to it, and with it
   * every chunk read.)
   */
  read<T>(read: () => Promise<T>): Promise<T> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped.reason);
    this.#readingSince = performance.now();
    return new Promise<T>((resolve, reject) => {
      this.#rejectRead = reject;
      read().then(resolve, (cause: unknown) => {
        reject(
          this.#signal?.aborted ? this.#signal.reason : new TransferBroken("broken", { cause }),
        );
      });
    }).finally(() => {
      this.#readingSince = undefined;
      this.#rejectRead = undefined;
    });
  }

  /** Stop the timer and the listener. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  #stop(reason: unknown): void {
    this.#stopped ??= { reason };
    this.#rejectRead?.(reason);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms));
  }

  /** The timer fired: fail the read waiting since the timeout, else wait for the rest. */
  #check(): void {
    const since = this.#readingSince;
    const waited = since === undefined ? 0 : performance.now() - since;
    if (since !== undefined && waited >= this.#idleTimeoutMs) {
      const ms = this.#idleTimeoutMs;
      this.#stop(new TransferBroken("no data", { cause: new Error(`no data for ${ms} ms`) }));
      return;
    }
    this.#arm(this.#idleTimeoutMs - waited);
  }
}

/** Keep the first 8 bytes and refuse the body as soon as they are not an MP4's. */
function checkHead(state: PartState, bytes: Uint8Array, destination: string): void {
  if (state.head.length >= 8) return;
  for (let i = 0; i < bytes.byteLength && state.head.length < 8; i++) state.head.push(bytes[i]);
  if (state.head.length < 8) return;
  if (FTYP.some((byte, i) => state.head[4 + i] !== byte)) {
    throw new DownloadError(
      `Cannot download ${destination}: the server sent something that is not an MP4 video ` +
        `(no "ftyp" box at offset 4)`,
      { code: "download_not_mp4", destination },
    );
  }
}

function interrupted(destination: string, state: PartState, cause: unknown): DownloadError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  const slow = cause instanceof Error && cause.message.startsWith("the transfer crawled");
  return new DownloadError(
    `Cannot download ${destination}: the transfer kept ${slow ? "crawling" : "breaking"} ` +
      `(at ${state.written} bytes)${detail}`,
    { code: slow ? "download_slow" : "download_interrupted", destination, status: 0, cause },
  );
}

function tooLarge(destination: string, maxBytes: number, what: string): DownloadError {
  return new DownloadError(
    `Cannot download ${destination}: the video is larger than the ${maxBytes}-byte cap ` +
      `(--max-video-size); the server ${what}`,
    { code: "download_too_large", destination },
  );
}

function deadlineError(destination: string, written: number): DownloadError {
  return new DownloadError(
    `Cannot download ${destination}: the transfer did not finish in the time this run had ` +
      `for it (at ${written} bytes)`,
    { code: "download_deadline", destination },
  );
}

function writeError(destination: string, cause: unknown): DownloadError {
  return new DownloadError(`Cannot write ${destination}: ${messageOf(cause)}`, {
    code: "download_write",
    destination,
    cause,
  });
}
