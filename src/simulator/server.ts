/**
 * The simulator on a socket: `Deno.serve` around `createSimulator().handler`,
 * on a free loopback port by default.
 *
 * ```ts
 * import { FAST_DEMO_OPTIONS, startSimulator } from "./server.ts";
 * const simulator = startSimulator({ ...FAST_DEMO_OPTIONS, seed: 7 });
 * // point a client at `${simulator.url}/v1/videos` with any bearer key
 * await simulator.shutdown();
 * ```
 *
 * @module
 */
import { createSimulator, type Simulator } from "./handler.ts";
import type { SimulatorOptions } from "./options.ts";
import { jsonResponse } from "./responses.ts";
import type { SimulatorStats } from "./stats.ts";

export { createSimulator, type Simulator } from "./handler.ts";
export {
  DEFAULT_SIMULATOR_OPTIONS,
  FAST_DEMO_OPTIONS,
  type ProgressMode,
  type RenderTime,
  type SimulatorClock,
  type SimulatorFaults,
  type SimulatorOptions,
  type StatusDialect,
} from "./options.ts";
export type { ReceivedImage, ReceivedSubmission, SimulatorStats, TaskTimeline } from "./stats.ts";

/** Where and how to listen, on top of the simulator's own options. */
export interface SimulatorServerOptions extends SimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /**
   * Serve video files from a second listener (another origin, on a free port
   * of the same host), so a test can see that the file host never gets the key.
   * Ignored when `fileBaseUrl` is given. @default false
   */
  separateFileHost?: boolean;
}

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, `http://HOST:PORT` (no trailing slash); the API is under `/v1`. */
  url: string;
  /** Origin of the video URLs (equal to `url` unless a separate file host runs). */
  fileUrl: string;
  /** A snapshot of the counters. */
  stats(): SimulatorStats;
  /** Stop listening and release any hanging answer; safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Start a simulator on a socket. The listeners are open when this returns.
 *
 * @param options Listener and simulator options.
 * @returns Its URL, counters and a way to stop it.
 */
export function startSimulator(options: SimulatorServerOptions = {}): RunningSimulator {
  const { port = 0, host = "127.0.0.1", separateFileHost = false, ...simulatorOptions } = options;
  let handler: Simulator["handler"] = () => Promise.resolve(new Response(null, { status: 503 }));
  const serve = (listenPort: number): Deno.HttpServer<Deno.NetAddr> =>
    Deno.serve({
      port: listenPort,
      hostname: host,
      onListen: () => {},
      onError: () =>
        jsonResponse({
          error: {
            message: "internal error",
            type: "comet_api_error",
            param: null,
            code: "internal_error",
          },
        }, 500),
    }, (request) => handler(request));

  const apiServer = serve(port);
  const url = baseUrl(host, apiServer.addr.port);
  let fileServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  let fileUrl = simulatorOptions.fileBaseUrl ?? url;
  if (separateFileHost && simulatorOptions.fileBaseUrl === undefined) {
    fileServer = serve(0);
    fileUrl = baseUrl(host, fileServer.addr.port);
  }
  const simulator = createSimulator({ ...simulatorOptions, fileBaseUrl: fileUrl });
  handler = simulator.handler;

  let stopped: Promise<void> | undefined;
  return {
    url,
    fileUrl,
    stats: () => simulator.stats(),
    shutdown: (): Promise<void> => {
      stopped ??= (async () => {
        simulator.close();
        await Promise.all([apiServer.shutdown(), fileServer?.shutdown()]);
      })();
      return stopped;
    },
  };
}

function baseUrl(host: string, port: number): string {
  const shown = host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
