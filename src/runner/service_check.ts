/**
 * Before the first request that matters, make sure the base URL is the video
 * API, within a short bounded effort. A wrong host stops the run with nothing
 * sent, instead of turning every job into "failed" or a false "may be billed".
 *
 * @module
 */
import { ApiError, BatchError, ConfigError, ExitCode, InterruptedError } from "../errors.ts";
import type { ServiceCheck } from "../api/client.ts";
import { retryDelay } from "../api/retry.ts";
import type { Clock } from "./clock.ts";

/** The least time one attempt is given, so a loaded machine is not taken for a dead host. */
const MIN_ATTEMPT_MS = 10_000;

/** What the check needs of the client. */
export interface ServiceChecker {
  /** The base URL, for messages. */
  readonly baseUrl: string;
  /** One check request; see `CometClient.checkService`. */
  checkService(probeId: string, signal?: AbortSignal): Promise<ServiceCheck>;
}

/** Settings of {@linkcode ensureVideoApi}. */
export interface EnsureVideoApiOptions {
  /** The whole effort's bound, in milliseconds ("about a minute at most"). */
  budgetMs: number;
  /** Backoff between attempts. */
  backoff: { baseMs: number; maxMs: number };
  /** Time. */
  clock: Clock;
  /** A source of numbers in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Aborts the check (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** The unknown task id asked for. @default a fresh random id */
  probeId?: string;
}

/**
 * Check that `client`'s base URL is the video API, retrying answers that may
 * pass (connection refused, a gateway's 502 page) until `budgetMs` is spent.
 *
 * @param client The API client.
 * @param options The bound, backoff, clock and stop signal.
 * @throws {ConfigError} (exit 2) When something answered that is not the API,
 *   or nothing ever connected within the bound.
 * @throws {ApiError} (exit 4) When the API rejected the key.
 * @throws {BatchError} (exit 3) When the host connected but never gave a usable
 *   answer within the bound.
 * @throws {InterruptedError} (exit 130) When `signal` aborted.
 */
export async function ensureVideoApi(
  client: ServiceChecker,
  options: EnsureVideoApiOptions,
): Promise<void> {
  const { clock, signal } = options;
  const random = options.random ?? Math.random;
  const probeId = options.probeId ?? `seedance-batch-check-${crypto.randomUUID()}`;
  const where = client.baseUrl;
  const started = clock.now();
  let connected = false;
  for (let attempt = 1;; attempt++) {
    if (signal?.aborted) throw new InterruptedError("a signal");
    const left = options.budgetMs - (clock.now() - started);
    // Every attempt may take a usual answer's time, even past the bound's end.
    const result = await checkOnce(client, probeId, Math.max(MIN_ATTEMPT_MS, left), signal);
    switch (result.kind) {
      case "api":
        return;
      case "unauthorized":
        throw new ApiError(
          `Cannot run: the service at ${where} rejected the API key: ${result.message}; nothing was sent`,
          { status: 401, method: "GET", url: `${where}/v1/videos` },
        );
      case "not_api":
        throw new ConfigError(
          `Cannot run against ${where}: it is not the video API (${result.reason}); ` +
            `is --base-url (or COMETAPI_BASE_URL) right? Nothing was sent`,
          { code: "not_the_api" },
        );
    }
    connected ||= result.kind === "busy" || result.connected;
    const delay = retryDelay(attempt, {
      ...options.backoff,
      random,
      ...(result.kind === "busy" && result.retryAfterMs !== undefined
        ? { retryAfterMs: result.retryAfterMs }
        : {}),
    });
    if (clock.now() - started + delay >= options.budgetMs) {
      const tried = `tried for ${formatSeconds(clock.now() - started)}`;
      if (!connected) {
        throw new ConfigError(
          `Cannot reach the video API at ${where}: ${result.reason} (${tried}); ` +
            `is --base-url (or COMETAPI_BASE_URL) right? Nothing was sent`,
          { code: "unreachable" },
        );
      }
      throw new BatchError(
        `Cannot use the video API at ${where} now: ${result.reason} (${tried}); ` +
          `nothing was sent, the next run tries again`,
        { code: "service_unavailable", exitCode: ExitCode.Pending },
      );
    }
    try {
      await clock.sleep(delay, signal);
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError("a signal");
      throw error;
    }
  }
}

/** One request, cut off when the effort's bound runs out. */
async function checkOnce(
  client: ServiceChecker,
  probeId: string,
  leftMs: number,
  signal: AbortSignal | undefined,
): Promise<ServiceCheck> {
  const bound = AbortSignal.timeout(leftMs);
  const combined = signal ? AbortSignal.any([signal, bound]) : bound;
  try {
    return await client.checkService(probeId, combined);
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError("a signal");
    if (bound.aborted) {
      return {
        kind: "unreachable",
        connected: true,
        reason: `no answer within ${formatSeconds(leftMs)}`,
      };
    }
    throw error;
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
