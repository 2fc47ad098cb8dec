/**
 * The shapes of the simulator's answers, as the real gateway writes them:
 *
 * - the nested envelope `{"error":{"message","type","param","code"}}` for the
 *   key check (401), submit validation (400), rate limits (429) and JSON 5xx;
 * - the flat envelope `{"code","message"}` for errors of
 *   `GET /v1/videos/{id}` (`task_not_exist` and the poll faults), as the
 *   docs' "Retrieve a Seedance video" page shows;
 * - HTML pages for path mistakes (404) and for gateway errors (502, 524), as
 *   a CDN in front of an API answers;
 * - an object-store style XML body for refused file downloads (403).
 *
 * @module
 */

/** The fields of the nested error envelope. */
export interface ServiceErrorBody {
  /** What went wrong, for people. */
  message: string;
  /** The machine code, e.g. `InvalidParameter`. */
  code: string;
  /** The request field at fault, if any. */
  param?: string | null;
  /** The error family. @default "invalid_request_error" */
  type?: string;
}

/**
 * A JSON answer.
 *
 * @param body Anything `JSON.stringify` accepts.
 * @param status HTTP status. @default 200
 * @param headers Extra headers.
 * @returns The response.
 */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: merged });
}

/**
 * An error in the nested envelope `{"error":{"message","type","param","code"}}`.
 *
 * @param status HTTP status.
 * @param error The error's fields.
 * @param headers Extra headers (e.g. `Retry-After`).
 * @returns The response.
 */
export function nestedError(
  status: number,
  error: ServiceErrorBody,
  headers: HeadersInit = {},
): Response {
  return jsonResponse(
    {
      error: {
        message: error.message,
        type: error.type ?? "invalid_request_error",
        param: error.param ?? null,
        code: error.code,
      },
    },
    status,
    headers,
  );
}

/**
 * An error in the flat envelope `{"code","message"}`.
 *
 * @param status HTTP status.
 * @param code The machine code, e.g. `task_not_exist`.
 * @param message The message (the service repeats the code here for `task_not_exist`).
 * @param headers Extra headers.
 * @returns The response.
 */
export function flatError(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
): Response {
  return jsonResponse({ code, message }, status, headers);
}

/**
 * A small HTML page, as a web server answers a path it does not know.
 *
 * @param status HTTP status.
 * @param title The page's title and heading.
 * @returns The response.
 */
export function htmlPage(status: number, title: string): Response {
  const body = `<!DOCTYPE html>
<html><head><title>${title}</title></head>
<body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>
`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/**
 * A CDN's error page for a 5xx it made itself (502 bad gateway, 524 timeout).
 *
 * @param status 502, 504 or 524.
 * @returns The response.
 */
export function gatewayPage(status: number): Response {
  const what = status === 524
    ? "A timeout occurred"
    : status === 504
    ? "Gateway time-out"
    : "Bad gateway";
  const body = `<!DOCTYPE html>
<html lang="en-US"><head><title>api.cometapi.com | ${status}: ${what}</title></head>
<body><h1>Error code ${status}</h1><p>${what}</p>
<p>The web server reported an error while handling this request.</p></body></html>
`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=UTF-8" } });
}

/**
 * An object store's refusal of a signed URL.
 *
 * @param message Why (e.g. `Request has expired`).
 * @returns A 403 with an XML body.
 */
export function accessDenied(message: string): Response {
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>${message}</Message></Error>
`;
  return new Response(body, { status: 403, headers: { "content-type": "application/xml" } });
}

/**
 * An answer whose connection breaks: the status line and headers go out, then
 * the body stream fails before its first byte, so the client's body read
 * rejects with a network error. (Deno.serve cannot drop a connection before
 * the headers; to a client this is the same as a reset after sending.)
 *
 * @param headers Headers to send first.
 * @returns The response.
 */
export function brokenResponse(headers: HeadersInit = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    pull(controller): void {
      controller.error(new Error("simulated connection reset"));
    },
  });
  return new Response(body, { status: 200, headers });
}
