/**
 * The simulator on a free port with a hook in front of its handler, so an
 * end-to-end test can act at an exact point of what the service has seen
 * (the k-th POST, the k-th GET of a task, the n-th byte of a video) without
 * sleeping: kill the runner there, or fill its disk.
 *
 * @module
 */
import { createSimulator, type Simulator } from "../../src/simulator/handler.ts";
import type { SimulatorOptions } from "../../src/simulator/options.ts";
import type { SimulatorStats } from "../../src/simulator/stats.ts";

/** What a request is, as the hook sees it. */
export type RequestKind = "submit" | "poll" | "download" | "other";

/** Called before the simulator answers; may act synchronously (kill, fill a disk). */
export type RequestHook = (kind: RequestKind, url: URL) => void;

/** Called before each piece of a video is sent, with the bytes sent so far of that answer. */
export type VideoHook = (sentBefore: number) => void;

/** A hooked simulator. */
export interface HookedSimulator {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The simulator's counters. */
  stats(): SimulatorStats;
  /** Replaced at will; runs before the simulator sees a request. */
  onRequest: RequestHook;
  /** Replaced at will; runs before each piece of a video is sent. */
  onVideoBytes: VideoHook;
  /** Stop listening. */
  close(): Promise<void>;
}

/** Videos are sent in pieces of this size, so a hook can act mid-file. */
const PIECE = 1024;

/**
 * Start a simulator behind a hook.
 *
 * @param options The simulator's options.
 * @returns The running simulator.
 */
export function startHookedSimulator(options: SimulatorOptions): HookedSimulator {
  // Video URLs point at the origin a request came to: this server.
  const simulator: Simulator = createSimulator(options);
  const hooked: HookedSimulator = {
    url: "",
    stats: () => simulator.stats(),
    onRequest: () => {},
    onVideoBytes: () => {},
    close: async () => {
      simulator.close();
      await server.shutdown();
    },
  };
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const kind = kindOf(request.method, url.pathname);
      hooked.onRequest(kind, url);
      const response = await simulator.handler(request);
      if (kind !== "download" || response.body === null) return response;
      return new Response(inPieces(response.body, (sent) => hooked.onVideoBytes(sent)), {
        status: response.status,
        headers: response.headers,
      });
    },
  );
  hooked.url = `http://127.0.0.1:${server.addr.port}`;
  return hooked;
}

function kindOf(method: string, path: string): RequestKind {
  if (method === "POST" && path === "/v1/videos") return "submit";
  if (method === "GET" && /^\/v1\/videos\/[^/]+$/.test(path)) return "poll";
  if (/^\/files\//.test(path) || /\/content$/.test(path)) return "download";
  return "other";
}

/** The same bytes, re-cut into pieces of {@linkcode PIECE}, calling `before` ahead of each. */
function inPieces(
  body: ReadableStream<Uint8Array>,
  before: (sent: number) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      while (pending.byteLength === 0) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        pending = value;
      }
      const piece = pending.subarray(0, PIECE);
      pending = pending.subarray(piece.byteLength);
      before(sent);
      sent += piece.byteLength;
      controller.enqueue(piece.slice());
    },
    cancel(reason): Promise<void> {
      return reader.cancel(reason);
    },
  });
}
