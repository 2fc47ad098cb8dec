/**
 * A hostile stand-in for the video API over HTTP, for the tests of what the
 * tool keeps and prints of text the service controls: task ids, status
 * words, error codes and messages. Each created task is answered by a script
 * the test gives; every request is recorded as it arrived (the raw path).
 *
 * @module
 */
import { CLIP_MP4 } from "../../src/simulator/assets/clip_mp4.ts";

/** How the service answers one submission (the n-th POST, from 0). */
export type HostileSubmit =
  | { kind: "created"; id: string }
  | { kind: "error"; status: number; body: unknown; requestId?: string };

/** How the service answers a GET of a created task. */
export type HostileTask =
  | { kind: "succeeded"; status?: string }
  | { kind: "failed"; status?: string; code?: string; message: string }
  | { kind: "running"; status: string }
  | { kind: "error"; status: number; body: unknown; requestId?: string };

/** One request as it arrived. */
export interface HostileRequest {
  method: string;
  /** The path exactly as sent on the request line (percent-encoding kept). */
  rawPath: string;
}

/** What the test scripts. */
export interface HostileScript {
  /** The answer to the n-th POST. */
  submit(n: number): HostileSubmit;
  /** The answer to a GET of the task created with `id`. */
  task(id: string): HostileTask;
}

/** A running hostile service. */
export interface HostileService {
  url: string;
  requests: HostileRequest[];
  close(): Promise<void>;
}

/**
 * Start the hostile service on a free 127.0.0.1 port.
 *
 * @param script The answers.
 * @returns Its URL, the requests it saw, and how to stop it.
 */
export function startHostileService(script: HostileScript): HostileService {
  const requests: HostileRequest[] = [];
  let posts = 0;
  const json = (status: number, body: unknown, requestId?: string): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        ...(requestId === undefined ? {} : { "x-request-id": requestId }),
      },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      // `request.url` is already normalised; the raw request line is not
      // exposed, so a normalised `.`/`..` shows up as a shorter path here.
      requests.push({ method: request.method, rawPath: url.pathname + url.search });
      await request.body?.cancel();
      if (url.pathname.startsWith("/files/")) {
        return new Response(CLIP_MP4 as Uint8Array<ArrayBuffer>, {
          headers: { "content-type": "video/mp4" },
        });
      }
      if (request.method === "POST" && url.pathname === "/v1/videos") {
        const answer = script.submit(posts++);
        if (answer.kind === "error") return json(answer.status, answer.body, answer.requestId);
        return json(200, {
          id: answer.id,
          object: "video",
          status: "queued",
          progress: 0,
          created_at: Math.floor(Date.now() / 1000),
        });
      }
      const prefix = "/v1/videos/";
      if (request.method === "GET" && url.pathname.startsWith(prefix)) {
        const id = decodeURIComponent(url.pathname.slice(prefix.length));
        const answer = script.task(id);
        const base = { id, object: "video", created_at: Math.floor(Date.now() / 1000) };
        switch (answer.kind) {
          case "error":
            return json(answer.status, answer.body, answer.requestId);
          case "running":
            return json(200, { ...base, status: answer.status, progress: 50 });
          case "failed":
            return json(200, {
              ...base,
              status: answer.status ?? "FAILED",
              error: { code: answer.code, message: answer.message },
            });
          case "succeeded":
            return json(200, {
              ...base,
              status: answer.status ?? "SUCCESS",
              progress: 100,
              video_url: `${url.origin}/files/${encodeURIComponent(id)}.mp4?sig=x`,
            });
        }
      }
      return json(404, { error: { message: "no such route", code: "not_found" } });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: () => server.shutdown(),
  };
}
