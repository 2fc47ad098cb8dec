import assert from "node:assert/strict";
import { CometClient, type SubmitRequest } from "../src/api/client.ts";
import { ApiError } from "../src/errors.ts";
import { withServer } from "./helpers/http_server.ts";

const KEY = "sk-test-secret-key-0123456789";

/**
 * A raw TCP server: reads each request completely (head, and a multipart
 * body up to its closing boundary), then lets `answer` write whatever it
 * likes (or nothing) before the connection is closed.
 */
async function withRawServer(
  answer: (conn: Deno.Conn) => Promise<void>,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      try {
        await readRequest(conn);
        await answer(conn);
      } finally {
        conn.close();
      }
    }
  })().catch(() => {});
  try {
    await body(`http://127.0.0.1:${listener.addr.port}`);
  } finally {
    listener.close();
    await accepting;
  }
}

async function readRequest(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  for (;;) {
    const read = await conn.read(buffer);
    if (read === null) return text;
    text += decoder.decode(buffer.subarray(0, read));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const boundary = /boundary=([^\r\n;]+)/i.exec(text.slice(0, end))?.[1];
    if (boundary === undefined || text.includes(`--${boundary}--`)) return text;
  }
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

function json(body: unknown, init: ResponseInit = {}): Response {
  return Response.json(body, init);
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7, 0, 255]);

function request(overrides: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    model: "doubao-seedance-2-0",
    prompt: "A fox in the snow, ünïcode ✓",
    seconds: 5,
    size: "16:9",
    resolution: "720p",
    images: [],
    idempotencyKey: "key-job1-0001",
    ...overrides,
  };
}

function assertNoKey(value: unknown): void {
  const seen = JSON.stringify(
    value,
    (_name, field) => field instanceof Error ? { ...field, message: field.message } : field,
  );
  assert.ok(!seen.includes(KEY), `the key leaked: ${seen}`);
  if (value instanceof Error) assert.ok(!value.message.includes(KEY), value.message);
}

Deno.test("`submit()` sends the multipart fields and file parts exactly", async () => {
  const seen: {
    method: string;
    path: string;
    headers: Headers;
    fields: Record<string, string>;
    files: { name: string; type: string; bytes: number[] }[];
  }[] = [];
  await withServer(async (req) => {
    const form = await req.formData();
    const fields: Record<string, string> = {};
    const files: { name: string; type: string; bytes: number[] }[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") fields[name] = value;
      else {
        assert.equal(name, "input_reference");
        files.push({
          name: value.name,
          type: value.type,
          bytes: [...new Uint8Array(await value.arrayBuffer())],
        });
      }
    }
    seen.push({
      method: req.method,
      path: new URL(req.url).pathname,
      headers: req.headers,
      fields,
      files,
    });
    return json({
      id: "task_1",
      task_id: "task_1",
      object: "video",
      model: fields.model,
      status: "queued",
      progress: 0,
      created_at: 1_760_000_000,
    });
  }, async (url) => {
    const client = new CometClient({ baseUrl: `${url}/`, apiKey: KEY });
    const outcome = await client.submit(request({
      images: [
        { filename: "first.png", contentType: "image/png", bytes: PNG },
        { filename: "second.jpg", contentType: "image/jpeg", bytes: JPEG },
      ],
    }));
    assert.equal(outcome.kind, "created");
    assert.equal(outcome.kind === "created" && outcome.task.id, "task_1");
  });
  assert.equal(seen.length, 1);
  const [received] = seen;
  assert.equal(received.method, "POST");
  assert.equal(received.path, "/v1/videos");
  assert.equal(received.headers.get("authorization"), `Bearer ${KEY}`);
  assert.equal(received.headers.get("idempotency-key"), "key-job1-0001");
  assert.equal(received.headers.get("accept"), "application/json");
  assert.match(received.headers.get("content-type") ?? "", /^multipart\/form-data; boundary=/);
  assert.deepEqual(received.fields, {
    prompt: "A fox in the snow, ünïcode ✓",
    model: "doubao-seedance-2-0",
    seconds: "5",
    size: "16:9",
    resolution: "720p",
  });
  assert.deepEqual(received.files, [
    { name: "first.png", type: "image/png", bytes: [...PNG] },
    { name: "second.jpg", type: "image/jpeg", bytes: [...JPEG] },
  ]);
});

Deno.test("`submit()` sends no input_reference part when the job has no image", async () => {
  let names: string[] = [];
  await withServer(async (req) => {
    names = [...(await req.formData()).keys()];
    return json({ id: "t", status: "SUBMITTED" });
  }, async (url) => {
    const outcome = await new CometClient({ baseUrl: url, apiKey: KEY }).submit(request());
    assert.equal(outcome.kind, "created");
  });
  assert.deepEqual(names.sort(), ["model", "prompt", "resolution", "seconds", "size"]);
});

Deno.test("`submit()` classifies every error status as the contract says", async (t) => {
  const cases: { status: number; code?: string; nested: boolean; kind: string }[] = [
    { status: 400, nested: true, kind: "rejected" },
    { status: 401, nested: true, kind: "not_created" },
    { status: 403, nested: false, kind: "rejected" },
    { status: 404, nested: false, kind: "rejected" },
    { status: 408, nested: true, kind: "not_created" },
    { status: 409, nested: false, kind: "not_created" },
    { status: 425, nested: true, kind: "not_created" },
    { status: 429, nested: true, kind: "not_created" },
    { status: 500, nested: true, kind: "unknown" },
    { status: 500, code: "invalid_request", nested: true, kind: "rejected" },
    { status: 502, nested: false, kind: "unknown" },
    { status: 503, nested: true, kind: "not_created" },
    { status: 504, nested: false, kind: "unknown" },
    { status: 524, nested: false, kind: "unknown" },
  ];
  let posts = 0;
  await withServer(async (req) => {
    posts++;
    await req.formData();
    const [, status, code] = new URL(req.url).pathname.split("/").filter(Boolean);
    const serviceCode = code === "v1" ? "upstream_busy" : code;
    const message = `failure ${status}`;
    const body = new URL(req.url).pathname.includes("/nested/")
      ? { error: { message, type: "error", param: null, code: serviceCode } }
      : { code: serviceCode, message };
    return json(body, {
      status: Number(status),
      headers: { "x-request-id": `req-${status}`, "retry-after": "3" },
    });
  }, async (url) => {
    for (const { status, code, nested, kind } of cases) {
      await t.step(`${status}${code ? ` ${code}` : ""} is ${kind}`, async () => {
        const base = `${url}/${nested ? "nested" : "flat"}/${status}${code ? `/${code}` : ""}`;
        const client = new CometClient({ baseUrl: base, apiKey: KEY });
        const outcome = await client.submit(request());
        assert.equal(outcome.kind, kind);
        assert.ok(outcome.kind !== "created");
        const error = outcome.error;
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, status);
        assert.equal(error.method, "POST");
        assert.equal(error.serviceCode, code ?? "upstream_busy");
        assert.equal(error.requestId, `req-${status}`);
        assert.equal(error.retryAfterMs, 3000);
        assert.match(error.message, new RegExp(`^Cannot create a video task: .*failure ${status}`));
        assert.equal(error.exitCode, status === 401 ? 4 : 1);
        assertNoKey(error);
      });
    }
  });
  assert.equal(posts, cases.length, "one POST per submit, never retried");
});

Deno.test("`submit()` reports a refused connection as not created", async () => {
  const client = new CometClient({ baseUrl: `http://127.0.0.1:${closedPort()}`, apiKey: KEY });
  const outcome = await client.submit(request());
  assert.equal(outcome.kind, "not_created");
  assert.equal(outcome.error.status, 0);
  assert.equal(outcome.error.code, "connect_error");
  assert.match(outcome.error.message, /could not connect/);
  assertNoKey(outcome.error);
});

Deno.test("`submit()` reports a connection closed after sending as unknown", async () => {
  let requests = 0;
  await withRawServer(() => {
    requests++;
    return Promise.resolve();
  }, async (url) => {
    const client = new CometClient({ baseUrl: url, apiKey: KEY });
    const outcome = await client.submit(request({
      images: [{ filename: "a.png", contentType: "image/png", bytes: PNG }],
    }));
    assert.equal(outcome.kind, "unknown");
    assert.equal(outcome.error.status, 0);
    assert.equal(outcome.error.code, "network_error");
    assert.match(outcome.error.message, /after the request was sent.*a task may exist/);
  });
  assert.equal(requests, 1);
});

Deno.test("`submit()` reports a 200 whose body breaks off as unknown", async () => {
  await withRawServer(async (conn) => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n" +
      "connection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(`${head}{"id":"task_`));
  }, async (url) => {
    const outcome = await new CometClient({ baseUrl: url, apiKey: KEY }).submit(request());
    assert.equal(outcome.kind, "unknown");
    assert.match(outcome.error.message, /a task may exist/);
  });
});

Deno.test("`submit()` reports a 2xx that is not a task as unknown", async (t) => {
  for (const [name, body] of [["not JSON", "ok!"], ["no id", '{"status":"queued"}']]) {
    await t.step(name, async () => {
      await withServer(async (req) => {
        await req.formData();
        return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
      }, async (url) => {
        const outcome = await new CometClient({ baseUrl: url, apiKey: KEY }).submit(request());
        assert.equal(outcome.kind, "unknown");
        assert.equal(outcome.error.code, "bad_response");
        assert.equal(outcome.error.status, 200);
      });
    });
  }
});

Deno.test("`submit()` and `getTask()` time out after requestTimeoutMs", async () => {
  const gate = Promise.withResolvers<void>();
  await withServer(async (req) => {
    if (req.method === "POST") await req.formData();
    await gate.promise;
    return json({ id: "late", status: "queued" });
  }, async (url) => {
    try {
      const client = new CometClient({ baseUrl: url, apiKey: KEY, requestTimeoutMs: 50 });
      const outcome = await client.submit(request());
      assert.equal(outcome.kind, "unknown");
      assert.equal(outcome.error.code, "timeout");
      assert.equal(outcome.error.status, 0);
      assert.match(outcome.error.message, /no answer within 50ms; a task may exist/);
      await assert.rejects(client.getTask("t1"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 0);
        assert.equal(e.code, "timeout");
        return true;
      });
    } finally {
      gate.resolve();
    }
  });
});

Deno.test("`submit()` rethrows an abort from the caller's signal", async () => {
  const gate = Promise.withResolvers<void>();
  const arrived = Promise.withResolvers<void>();
  await withServer(async (req) => {
    await req.formData();
    arrived.resolve();
    await gate.promise;
    return json({ id: "t", status: "queued" });
  }, async (url) => {
    try {
      const controller = new AbortController();
      const client = new CometClient({ baseUrl: url, apiKey: KEY });
      const pending = client.submit(request(), controller.signal);
      await arrived.promise;
      controller.abort();
      await assert.rejects(
        pending,
        (e: unknown) => e instanceof DOMException && e.name === "AbortError",
      );
    } finally {
      gate.resolve();
    }
  });
});

Deno.test("`submit()` and `getTask()` report a redirect without following it", async () => {
  let followed = 0;
  await withServer(async (req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/elsewhere")) {
      followed++;
      return json({ id: "wrong", status: "queued" });
    }
    if (req.method === "POST") await req.formData();
    return new Response(null, { status: 301, headers: { location: "/elsewhere/v1/videos" } });
  }, async (url) => {
    const client = new CometClient({ baseUrl: url, apiKey: KEY });
    const outcome = await client.submit(request());
    assert.equal(outcome.kind, "rejected");
    assert.equal(outcome.error.status, 301);
    assert.equal(outcome.error.code, "redirect");
    assert.match(
      outcome.error.message,
      /redirect to "\/elsewhere\/v1\/videos"; is --base-url right\?/,
    );
    await assert.rejects(client.getTask("t1"), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 301);
      assert.match(e.message, /^Cannot fetch task "t1": .*redirect/);
      return true;
    });
  });
  assert.equal(followed, 0);
});

Deno.test("`getTask()` reads both status dialects", async (t) => {
  const tasks: Record<string, unknown> = {
    a: { id: "a", status: "IN_PROGRESS", progress: 40 },
    b: { task_id: "b", status: "completed", video_url: "https://cdn.example/b.mp4?sig=1" },
    c: { id: "c", status: "SUCCESS", video_url: "https://cdn.example/c.mp4" },
    d: { id: "d", status: "Mystery" },
  };
  const seen: Headers[] = [];
  await withServer((req) => {
    seen.push(req.headers);
    const id = decodeURIComponent(new URL(req.url).pathname.split("/").pop() ?? "");
    return json(tasks[id]);
  }, async (url) => {
    const client = new CometClient({ baseUrl: url, apiKey: KEY });
    const expected = { a: "in_progress", b: "succeeded", c: "succeeded", d: "unknown" };
    for (const [id, status] of Object.entries(expected)) {
      await t.step(`${id} is ${status}`, async () => {
        const task = await client.getTask(id);
        assert.equal(task.id, id);
        assert.equal(task.status, status);
      });
    }
    assert.equal((await client.getTask("b")).videoUrl, "https://cdn.example/b.mp4?sig=1");
  });
  for (const headers of seen) {
    assert.equal(headers.get("authorization"), `Bearer ${KEY}`);
    assert.equal(headers.get("idempotency-key"), null);
  }
});

Deno.test("`getTask()` throws ApiError with the service's code, request id and Retry-After", async (t) => {
  const now = Date.parse("2025-06-01T12:00:00Z");
  await withServer((req) => {
    const id = new URL(req.url).pathname.split("/").pop();
    switch (id) {
      case "missing":
        return json({ error: { message: "task_not_exist", type: "invalid_request_error" } }, {
          status: 400,
          headers: { "x-request-id": "r-1" },
        });
      case "missing-flat":
        return json({ code: "invalid_request", message: "task_not_exist" }, { status: 400 });
      case "busy":
        return json({ code: "rate_limit", message: "slow down" }, {
          status: 429,
          headers: { "retry-after": "Sun, 01 Jun 2025 12:00:20 GMT" },
        });
      case "html":
        return new Response("<!doctype html><html><body>Not Found</body></html>", {
          status: 404,
          headers: { "content-type": "text/html" },
        });
      default:
        return new Response("", { status: 502 });
    }
  }, async (url) => {
    const client = new CometClient({ baseUrl: url, apiKey: KEY, now: () => now });
    await t.step("unknown task id", async () => {
      await assert.rejects(client.getTask("missing"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 400);
        assert.equal(e.serviceCode, "task_not_exist");
        assert.equal(e.requestId, "r-1");
        assert.equal(e.method, "GET");
        assert.equal(e.url, `${url}/v1/videos/missing`);
        assert.equal(
          e.message,
          'Cannot fetch task "missing": the service answered 400: task_not_exist',
        );
        return true;
      });
    });
    await t.step("unknown task id in the flat envelope with another code", async () => {
      await assert.rejects(client.getTask("missing-flat"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.serviceCode, "task_not_exist");
        assert.match(e.message, /answered 400 \(invalid_request\): task_not_exist$/);
        return true;
      });
    });
    await t.step("Retry-After as an HTTP date", async () => {
      await assert.rejects(client.getTask("busy"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 429);
        assert.equal(e.retryAfterMs, 20_000);
        assert.equal(e.serviceCode, "rate_limit");
        return true;
      });
    });
    await t.step("an HTML page", async () => {
      await assert.rejects(client.getTask("html"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(
          e.message,
          'Cannot fetch task "html": the service answered 404 with an HTML page; is --base-url right?',
        );
        return true;
      });
    });
    await t.step("an empty 502", async () => {
      await assert.rejects(client.getTask("other"), /answered 502 with an empty body/);
    });
  });
});

Deno.test("`getTask()` throws status 0 when the connection is refused", async () => {
  const client = new CometClient({ baseUrl: `http://127.0.0.1:${closedPort()}`, apiKey: KEY });
  await assert.rejects(client.getTask("t"), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 0);
    assertNoKey(e);
    return true;
  });
});

Deno.test("errors never carry the key, even when the service echoes it", async () => {
  await withServer(async (req) => {
    if (req.method === "POST") await req.formData();
    const auth = req.headers.get("authorization") ?? "";
    return json({ error: { message: `Invalid key ${auth}`, code: auth } }, {
      status: 401,
      headers: { location: auth, "x-request-id": auth },
    });
  }, async (url) => {
    const client = new CometClient({ baseUrl: url, apiKey: KEY });
    const outcome = await client.submit(request());
    assert.equal(outcome.kind, "not_created");
    assert.equal(outcome.error.code, "unauthorized");
    assert.match(outcome.error.message, /Invalid key Bearer \[redacted\]/);
    assertNoKey(outcome.error);
    await assert.rejects(client.getTask("t"), (e: unknown) => {
      assertNoKey(e);
      return true;
    });
  });
});

Deno.test("`openVideo()` sends no key to the video host and asks for a range", async () => {
  const videoRequests: Headers[] = [];
  const apiRequests: Headers[] = [];
  await withServer((req) => {
    videoRequests.push(req.headers);
    return new Response(new Uint8Array([1, 2, 3]), { status: 200 });
  }, async (videoBase) => {
    await withServer((req) => {
      apiRequests.push(req.headers);
      return json({ id: "t", status: "SUCCESS", video_url: `${videoBase}/v.mp4?sig=s3cr3t` });
    }, async (apiBase) => {
      const client = new CometClient({ baseUrl: apiBase, apiKey: KEY });
      const task = await client.getTask("t");
      assert.ok(task.videoUrl);
      const whole = await client.openVideo(task.videoUrl);
      assert.deepEqual([...new Uint8Array(await whole.arrayBuffer())], [1, 2, 3]);
      const rest = await client.openVideo(task.videoUrl, { offset: 2 });
      await rest.body?.cancel();
    });
  });
  assert.equal(apiRequests.length, 1);
  assert.equal(videoRequests.length, 2);
  for (const headers of videoRequests) {
    assert.equal(headers.get("authorization"), null);
    assert.equal(headers.get("idempotency-key"), null);
    for (const [, value] of headers) assert.ok(!value.includes(KEY));
  }
  assert.equal(videoRequests[0].get("range"), null);
  assert.equal(videoRequests[1].get("range"), "bytes=2-");
});

Deno.test("`openVideo()` throws url_expired on 403 without showing the signature", async () => {
  await withServer(
    () => new Response("<Error>AccessDenied</Error>", { status: 403 }),
    async (url) => {
      const client = new CometClient({ baseUrl: "http://127.0.0.1:9", apiKey: KEY });
      await assert.rejects(client.openVideo(`${url}/v.mp4?X-Signature=s3cr3t`), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 403);
        assert.equal(e.code, "url_expired");
        assert.equal(e.url, `${url}/v.mp4`);
        assert.ok(!e.message.includes("s3cr3t"));
        return true;
      });
    },
  );
});

Deno.test("`openVideo()` throws an ApiError with the status for other failures", async () => {
  await withServer(
    () => new Response("busy", { status: 503, headers: { "retry-after": "1" } }),
    async (url) => {
      const client = new CometClient({ baseUrl: url, apiKey: KEY });
      await assert.rejects(client.openVideo(`${url}/v.mp4`), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.status, 503);
        assert.equal(e.code, "api_error");
        assert.equal(e.retryAfterMs, 1000);
        return true;
      });
    },
  );
});
