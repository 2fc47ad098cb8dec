/**
 * A test HTTP server: `handler` served on a free 127.0.0.1 port.
 *
 * @module
 */

/**
 * Serve `handler` on a free 127.0.0.1 port for the duration of `body`.
 *
 * @param handler Answers each request.
 * @param body Runs against the server's base URL; the server shuts down when it settles.
 */
export async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await body(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}
