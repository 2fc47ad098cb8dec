import assert from "node:assert/strict";
import { createSimulator, type SimulatorServerOptions } from "../src/simulator/server.ts";
import {
  FIXTURES,
  ManualClock,
  retrieve,
  sha256,
  submit,
  type SubmitFields,
  VALID,
  withSimulator,
} from "./fixtures/simulator/helpers.ts";

type Json = Record<string, unknown>;

async function created(base: string, fields: SubmitFields = VALID): Promise<Json> {
  const response = await submit(base, fields);
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json();
}

async function task(base: string, id: string): Promise<Json> {
  const response = await retrieve(base, id);
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test("startSimulator() creates a task and its status rises SUBMITTED -> IN_PROGRESS -> SUCCESS", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, renderMs: 10_000 }, async (base) => {
    const answer = await created(base);
    assert.deepEqual(Object.keys(answer).sort(), [
      "created_at",
      "id",
      "model",
      "object",
      "progress",
      "status",
      "task_id",
    ]);
    assert.match(String(answer.id), /^task_[a-z0-9]+$/);
    assert.equal(answer.task_id, answer.id);
    assert.equal(answer.object, "video");
    assert.equal(answer.model, "doubao-seedance-2-0-fast");
    assert.equal(answer.status, "SUBMITTED");
    assert.equal(answer.progress, 0);
    assert.equal(answer.created_at, Math.floor(clock.now() / 1000));

    const id = String(answer.id);
    let state = await task(base, id);
    assert.equal(state.status, "SUBMITTED");
    assert.equal(state.completed_at, null);
    assert.equal("video_url" in state, false);

    clock.advance(5_000);
    state = await task(base, id);
    assert.equal(state.status, "IN_PROGRESS");
    assert.equal(state.progress, 50);
    assert.equal("video_url" in state, false);

    clock.advance(5_000);
    state = await task(base, id);
    assert.equal(state.status, "SUCCESS");
    assert.equal(state.progress, 100);
    assert.equal(state.completed_at, Math.floor(clock.now() / 1000));
    assert.match(
      String(state.video_url),
      /^http:\/\/127\.0\.0\.1:\d+\/files\/task_.+\.mp4\?expires=\d+&sig=[0-9a-f]{64}$/,
    );
    assert.equal(state.seconds, "5");
    assert.equal(state.size, "16:9");
    assert.equal(state.resolution, "720p");
  });
});

Deno.test("startSimulator() speaks both status dialects, with an error message on failure", async (t) => {
  const cases = [
    {
      dialect: "upper",
      failureRate: 0,
      errorShare: 0,
      words: ["SUBMITTED", "IN_PROGRESS", "SUCCESS"],
    },
    {
      dialect: "upper",
      failureRate: 1,
      errorShare: 0,
      words: ["SUBMITTED", "IN_PROGRESS", "FAILED"],
    },
    {
      dialect: "upper",
      failureRate: 1,
      errorShare: 1,
      words: ["SUBMITTED", "IN_PROGRESS", "ERROR"],
    },
    {
      dialect: "lower",
      failureRate: 0,
      errorShare: 0,
      words: ["queued", "in_progress", "completed"],
    },
    { dialect: "lower", failureRate: 1, errorShare: 0, words: ["queued", "in_progress", "failed"] },
    { dialect: "lower", failureRate: 1, errorShare: 1, words: ["queued", "in_progress", "error"] },
  ] as const;
  for (const c of cases) {
    await t.step(`${c.dialect} dialect ends ${c.words[2]}`, async () => {
      const clock = new ManualClock();
      const options = { clock, renderMs: 1000, ...c };
      await withSimulator(options, async (base) => {
        const answer = await created(base);
        assert.equal(answer.status, c.words[0]);
        const id = String(answer.id);
        const seen = [String((await task(base, id)).status)];
        clock.advance(500);
        seen.push(String((await task(base, id)).status));
        clock.advance(500);
        const last = await task(base, id);
        seen.push(String(last.status));
        assert.deepEqual(seen, c.words);
        if (c.failureRate === 1) {
          const error = last.error as Json;
          assert.equal(typeof error.message, "string");
          assert.ok(String(error.message).length > 0);
          assert.equal("video_url" in last, false);
        } else {
          assert.equal(typeof last.video_url, "string");
        }
      });
    });
  }
});

Deno.test("startSimulator() gives a fresh signed video_url on each GET of a succeeded task", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, renderMs: 0 }, async (base) => {
    const id = String((await created(base)).id);
    const first = (await task(base, id)).video_url;
    clock.advance(1);
    const second = (await task(base, id)).video_url;
    assert.notEqual(first, second);
  });
});

Deno.test("startSimulator() answers 401 in the nested envelope to a missing, empty, wrong or revoked key", async (t) => {
  const cases: Array<{ name: string; options: SimulatorServerOptions; auth?: string }> = [
    { name: "missing header", options: {} },
    { name: "empty bearer", options: {}, auth: "Bearer " },
    { name: "not a bearer", options: {}, auth: "Basic abc" },
    { name: "wrong key", options: { key: "sk-right" }, auth: "Bearer sk-wrong" },
    { name: "revoked key", options: { faults: { revokedKey: true } }, auth: "Bearer sk-test-key" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await withSimulator(c.options, async (base, simulator) => {
        const headers: Record<string, string> = c.auth === undefined
          ? {}
          : { authorization: c.auth };
        const post = await fetch(`${base}/v1/videos`, {
          method: "POST",
          headers,
          body: new FormData(),
        });
        assert.equal(post.status, 401);
        const body = await post.json();
        assert.equal(body.error.code, "invalid_api_key");
        assert.equal(typeof body.error.message, "string");
        assert.ok("type" in body.error && "param" in body.error);
        const get = await fetch(`${base}/v1/videos/task_x`, { headers });
        assert.equal(get.status, 401);
        await get.body?.cancel();
        assert.equal(simulator.stats().submissions.length, 0);
        assert.equal(simulator.stats().tasksCreated, 0);
      });
    });
  }
  await t.step("the right key is accepted when --key is set", async () => {
    await withSimulator({ key: "sk-right" }, async (base) => {
      const response = await submit(base, VALID, { authorization: "Bearer sk-right" });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
  });
});

Deno.test("startSimulator() rejects what the model rules forbid with 400 and the service's codes", async (t) => {
  const png = { file: "ref.png", type: "image/png" };
  const cases: Array<{ name: string; fields: SubmitFields; code: string; param: string }> = [
    {
      name: "no prompt",
      fields: { ...VALID, prompt: undefined },
      code: "invalid_request",
      param: "prompt",
    },
    {
      name: "blank prompt",
      fields: { ...VALID, prompt: "  " },
      code: "invalid_request",
      param: "prompt",
    },
    {
      name: "no model",
      fields: { ...VALID, model: undefined },
      code: "invalid_request",
      param: "model",
    },
    {
      name: "unknown model",
      fields: { ...VALID, model: "sora-2" },
      code: "model_not_found",
      param: "model",
    },
    {
      name: "2.0 seconds 3",
      fields: { ...VALID, model: "doubao-seedance-2-0", seconds: "3" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "2.0 fast seconds 16",
      fields: { ...VALID, seconds: "16" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "1.5 pro seconds 13",
      fields: { ...VALID, model: "doubao-seedance-1-5-pro", seconds: "13" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "1.0 pro seconds 1",
      fields: { ...VALID, model: "doubao-seedance-1-0-pro", seconds: "1" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "1.0 pro seconds 11",
      fields: { ...VALID, model: "doubao-seedance-1-0-pro", seconds: "11" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "fractional seconds",
      fields: { ...VALID, seconds: "5.5" },
      code: "InvalidParameter",
      param: "seconds",
    },
    {
      name: "size 5:4",
      fields: { ...VALID, size: "5:4" },
      code: "InvalidParameter",
      param: "size",
    },
    {
      name: "2.0 at 1080p",
      fields: { ...VALID, resolution: "1080p" },
      code: "InvalidParameter",
      param: "resolution",
    },
    {
      name: "1.5 pro with an image",
      fields: { ...VALID, model: "doubao-seedance-1-5-pro", images: [png] },
      code: "InvalidParameter",
      param: "input_reference",
    },
    {
      name: "1.0 pro with an image",
      fields: { ...VALID, model: "doubao-seedance-1-0-pro", images: [png] },
      code: "InvalidParameter",
      param: "input_reference",
    },
    {
      name: "2.0 with 10 images",
      fields: { ...VALID, images: Array(10).fill(png) },
      code: "InvalidParameter",
      param: "input_reference",
    },
    {
      name: "a GIF named .png",
      fields: { ...VALID, images: [{ file: "ref.gif", type: "image/png", name: "fake.png" }] },
      code: "InvalidParameter",
      param: "input_reference",
    },
  ];
  await withSimulator({}, async (base, simulator) => {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const response = await submit(base, c.fields);
        assert.equal(response.status, 400);
        const body = await response.json();
        assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
        assert.equal(body.error.code, c.code);
        assert.equal(body.error.param, c.param);
      });
    }
    await t.step("a body that is not multipart", async () => {
      const response = await fetch(`${base}/v1/videos`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x", model: "doubao-seedance-2-0" }),
      });
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error.code, "invalid_request");
    });
    assert.equal(simulator.stats().tasksCreated, 0);
    assert.ok(simulator.stats().submissions.every((s) => s.outcome === "rejected"));
  });
  await t.step("the edges of each rule are accepted, with defaults for absent fields", async () => {
    await withSimulator({}, async (base) => {
      const accepted: SubmitFields[] = [
        { prompt: "p", model: "doubao-seedance-2-0" },
        { ...VALID, model: "doubao-seedance-2-0", seconds: "4", resolution: "480p", size: "21:9" },
        { ...VALID, seconds: "15", size: "9:16" },
        { ...VALID, model: "doubao-seedance-1-5-pro", seconds: "12", resolution: "1080p" },
        { ...VALID, model: "doubao-seedance-1-0-pro", seconds: "2", resolution: "1080p" },
        { ...VALID, images: Array(9).fill(png) },
      ];
      for (const fields of accepted) {
        const response = await submit(base, fields);
        assert.equal(response.status, 200, await response.clone().text());
        const state = await task(base, String((await response.json()).id));
        if (fields.seconds === undefined) {
          assert.deepEqual([state.seconds, state.size, state.resolution], ["5", "16:9", "720p"]);
        }
      }
    });
  });
});

Deno.test("startSimulator() records each input_reference part of a real multipart request", async () => {
  const images = [
    { file: "ref.png", type: "image/png" },
    { file: "ref.jpg", type: "image/jpeg" },
    { file: "ref.webp", type: "image/webp" },
  ];
  await withSimulator({}, async (base, simulator) => {
    const answer = await created(base, { ...VALID, model: "doubao-seedance-2-0", images });
    const [submission] = simulator.stats().submissions;
    const expected = await Promise.all(images.map(async (image) => {
      const bytes = await Deno.readFile(new URL(image.file, FIXTURES));
      return {
        filename: image.file,
        contentType: image.type,
        bytes: bytes.length,
        sha256: await sha256(bytes),
      };
    }));
    assert.deepEqual(submission, {
      prompt: VALID.prompt,
      model: "doubao-seedance-2-0",
      seconds: "5",
      size: "16:9",
      resolution: "720p",
      images: expected,
      key: "key-1",
      idempotencyKey: null,
      outcome: "created",
      taskId: answer.id,
    });
  });
});

Deno.test("startSimulator() answers task_not_exist in the flat envelope for unknown and brand-new ids", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, faults: { taskVisibilityLagMs: 2_000 } }, async (base) => {
    const unknown = await retrieve(base, "task_nope");
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { code: "task_not_exist", message: "task_not_exist" });

    const id = String((await created(base)).id);
    const early = await retrieve(base, id);
    assert.equal(early.status, 400);
    assert.deepEqual(await early.json(), { code: "task_not_exist", message: "task_not_exist" });
    clock.advance(2_000);
    assert.equal((await task(base, id)).id, id);
  });
});

Deno.test("startSimulator() records Idempotency-Keys and creates a new task per POST unless told to honour them", async (t) => {
  for (const honourIdempotency of [false, true]) {
    await t.step(`honourIdempotency: ${honourIdempotency}`, async () => {
      await withSimulator({ honourIdempotency }, async (base, simulator) => {
        const headers = { "idempotency-key": "job-a-attempt-1" };
        const first = await (await submit(base, VALID, headers)).json();
        const second = await (await submit(base, VALID, headers)).json();
        await (await submit(base, VALID)).body?.cancel();
        const stats = simulator.stats();
        assert.equal(stats.postsByIdempotencyKey["job-a-attempt-1"], 2);
        assert.equal(stats.postsWithoutIdempotencyKey, 1);
        if (honourIdempotency) {
          assert.equal(second.id, first.id);
          assert.equal(stats.tasksCreated, 2);
          assert.equal(stats.submissions[1].outcome, "replayed");
        } else {
          assert.notEqual(second.id, first.id);
          assert.equal(stats.tasksCreated, 3);
        }
      });
    });
  }
});

Deno.test("startSimulator() caps tasks in flight per key with 429 and Retry-After", async () => {
  const clock = new ManualClock();
  const options = {
    clock,
    renderMs: 10_000,
    faults: { maxTasksInFlightPerKey: 2, retryAfterSeconds: 3 },
  };
  await withSimulator(options, async (base, simulator) => {
    await created(base);
    await created(base);
    const third = await submit(base, VALID);
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "3");
    assert.equal((await third.json()).error.code, "rate_limit_exceeded");

    const otherKey = await submit(base, VALID, { authorization: "Bearer sk-other" });
    assert.equal(otherKey.status, 200);
    await otherKey.body?.cancel();

    clock.advance(10_000);
    await created(base);
    const stats = simulator.stats();
    assert.equal(stats.tasksCreated, 4);
    assert.deepEqual(stats.maxTasksInFlightByKey, { "key-1": 2, "key-2": 1 });
    assert.equal(stats.maxTasksInFlight, 3);
    assert.equal(stats.submissions[2].outcome, "capped");
  });
});

Deno.test("startSimulator() counts requests, tasks per prompt and polls, over HTTP too, never the key", async () => {
  const key = "sk-VERY-SECRET-0123456789";
  const clock = new ManualClock();
  await withSimulator({ clock, renderMs: 0 }, async (base, simulator) => {
    const auth = { authorization: `Bearer ${key}` };
    const a = await (await submit(base, VALID, auth)).json();
    await (await submit(base, VALID, auth)).body?.cancel();
    await (await submit(base, { ...VALID, prompt: "another" }, auth)).body?.cancel();
    const state = await (await retrieve(base, a.id, auth)).json();
    await (await retrieve(base, a.id, auth)).body?.cancel();
    const file = await fetch(state.video_url);
    await file.arrayBuffer();
    await (await fetch(`${base}/nowhere`)).body?.cancel();

    const stats = simulator.stats();
    assert.deepEqual(stats.requests, { submit: 3, poll: 2, download: 1, other: 1 });
    assert.deepEqual(stats.tasksCreatedByPrompt, { [VALID.prompt!]: 2, another: 1 });
    assert.deepEqual(stats.pollsByTask, { [a.id]: 2 });
    assert.equal(stats.downloads, 1);
    assert.equal(stats.downloadsWithAuthorization, 0);
    assert.deepEqual(Object.keys(stats.servedSha256), [a.id]);

    const overHttp = await (await fetch(`${base}/_simulator/stats`)).json();
    assert.deepEqual(overHttp, stats);
    assert.equal(JSON.stringify(stats).includes(key), false);
    assert.equal(JSON.stringify(stats).includes("VERY-SECRET"), false);
  });
});

Deno.test("startSimulator() answers path mistakes like a web server: 404 HTML or a redirect", async (t) => {
  await withSimulator({}, async (base) => {
    const auth = { authorization: "Bearer k" };
    for (
      const [method, path] of [["GET", "/"], ["GET", "/v1/videos"], ["PUT", "/v1/videos"], [
        "POST",
        "/v1/video",
      ], ["GET", "/v2/videos/task_x"]]
    ) {
      await t.step(`${method} ${path} is a 404 page`, async () => {
        const response = await fetch(`${base}${path}`, { method, headers: auth });
        assert.equal(response.status, 404);
        assert.match(response.headers.get("content-type") ?? "", /text\/html/);
        assert.match(await response.text(), /<html/);
      });
    }
    await t.step("a trailing slash is redirected with 308", async () => {
      const response = await fetch(`${base}/v1/videos/`, {
        method: "POST",
        headers: auth,
        redirect: "manual",
      });
      assert.equal(response.status, 308);
      assert.equal(response.headers.get("location"), "/v1/videos");
      await response.body?.cancel();
    });
  });
});

Deno.test("createSimulator().handler answers a Request directly, with video URLs on the request's origin", async () => {
  const clock = new ManualClock();
  const simulator = createSimulator({ seed: 9, clock, renderMs: 0 });
  const form = new FormData();
  form.append("prompt", "direct");
  form.append("model", "doubao-seedance-1-0-pro");
  const auth = { authorization: "Bearer k" };
  const created = await simulator.handler(
    new Request("http://sim.test/v1/videos", { method: "POST", headers: auth, body: form }),
  );
  assert.equal(created.status, 200);
  const { id } = await created.json();
  const state = await (await simulator.handler(
    new Request(`http://sim.test/v1/videos/${id}`, { headers: auth }),
  )).json();
  assert.equal(state.status, "SUCCESS");
  assert.ok(String(state.video_url).startsWith(`http://sim.test/files/${id}.mp4?`));
  const file = await simulator.handler(new Request(state.video_url));
  assert.equal(file.status, 200);
  await file.arrayBuffer();
  assert.equal(simulator.stats().requests.download, 1);
  simulator.close();
});
