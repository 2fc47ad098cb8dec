import assert from "node:assert/strict";
import { isTerminal, normaliseStatus, parseErrorBody, parseTask } from "../src/api/wire.ts";
import type { TaskStatus } from "../src/domain/task_status.ts";

Deno.test("`normaliseStatus()` reads both dialects case-insensitively", async (t) => {
  const cases: [string, TaskStatus][] = [
    ["SUBMITTED", "queued"],
    ["queued", "queued"],
    ["Queued", "queued"],
    ["IN_PROGRESS", "in_progress"],
    ["in_progress", "in_progress"],
    ["SUCCESS", "succeeded"],
    ["completed", "succeeded"],
    ["Completed", "succeeded"],
    ["FAILED", "failed"],
    ["failed", "failed"],
    ["ERROR", "error"],
    ["error", "error"],
    [" success ", "succeeded"],
  ];
  for (const [word, expected] of cases) {
    await t.step(`"${word}" is ${expected}`, () => {
      assert.equal(normaliseStatus(word), expected);
    });
  }
});

Deno.test("`normaliseStatus()` returns unknown for a word it does not know", () => {
  for (const word of ["WEIRD", "", "done-ish", "successful"]) {
    assert.equal(normaliseStatus(word), "unknown", word);
    assert.equal(isTerminal(normaliseStatus(word)), false, word);
  }
});

Deno.test("`isTerminal()` is true only for succeeded, failed and error", () => {
  const terminal = (["queued", "in_progress", "succeeded", "failed", "error", "unknown"] as const)
    .filter(isTerminal);
  assert.deepEqual(terminal, ["succeeded", "failed", "error"]);
});

Deno.test("`parseTask()` reads the documented create answer", () => {
  const task = parseTask({
    id: "task_123",
    task_id: "task_123",
    object: "video",
    model: "doubao-seedance-2-0",
    status: "SUBMITTED",
    progress: 0,
    created_at: 1_760_000_000,
  });
  assert.deepEqual(task, {
    id: "task_123",
    status: "queued",
    rawStatus: "SUBMITTED",
    progress: 0,
    createdAt: 1_760_000_000,
  });
});

Deno.test("`parseTask()` takes the id from task_id when id is absent", () => {
  assert.equal(parseTask({ task_id: "t-9", status: "queued" }).id, "t-9");
});

Deno.test("`parseTask()` reads a succeeded task with its video URL", () => {
  const task = parseTask({
    id: "t1",
    status: "completed",
    progress: "100%",
    video_url: "https://cdn.example/v.mp4?sig=abc",
    created_at: 1_760_000_000_123,
  });
  assert.equal(task.status, "succeeded");
  assert.equal(task.progress, 100);
  assert.equal(task.videoUrl, "https://cdn.example/v.mp4?sig=abc");
  assert.equal(task.createdAt, 1_760_000_000);
});

Deno.test("`parseTask()` finds the video URL under content and inside a data wrapper", () => {
  const task = parseTask({
    code: "success",
    data: { task_id: "t2", status: "SUCCESS", content: { video_url: "https://x.example/a.mp4" } },
  });
  assert.equal(task.id, "t2");
  assert.equal(task.videoUrl, "https://x.example/a.mp4");
});

Deno.test("`parseTask()` reads a failed task's error", async (t) => {
  await t.step("nested error", () => {
    const task = parseTask({
      id: "t3",
      status: "FAILED",
      error: { code: "content_policy", message: "the prompt was refused" },
    });
    assert.deepEqual(task.error, { code: "content_policy", message: "the prompt was refused" });
  });
  await t.step("flat fail_reason", () => {
    const task = parseTask({ id: "t4", status: "failed", fail_reason: "upstream timeout" });
    assert.deepEqual(task.error, { code: "task_failed", message: "upstream timeout" });
  });
});

Deno.test("`parseTask()` keeps an unknown status word as unknown", () => {
  const task = parseTask({ id: "t5", status: "Thinking" });
  assert.equal(task.status, "unknown");
  assert.equal(task.rawStatus, "Thinking");
});

Deno.test("`parseTask()` throws when the body has no id", async (t) => {
  for (const body of [{ status: "queued" }, null, "task", [], { id: "" }]) {
    await t.step(JSON.stringify(body), () => {
      assert.throws(() => parseTask(body), TypeError);
    });
  }
});

Deno.test("`parseErrorBody()` reads the nested error envelope", () => {
  const body = parseErrorBody(
    400,
    "application/json",
    JSON.stringify({
      error: {
        message: "seconds must be 4..15",
        type: "invalid_request_error",
        param: "seconds",
        code: "invalid_parameter",
      },
    }),
  );
  assert.deepEqual(body, {
    message: "seconds must be 4..15",
    serviceCode: "invalid_parameter",
    fromService: true,
  });
});

Deno.test("`parseErrorBody()` reads the flat envelope", () => {
  const body = parseErrorBody(
    429,
    "application/json; charset=utf-8",
    '{"code":"rate_limited","message":"too many requests"}',
  );
  assert.equal(body.serviceCode, "rate_limited");
  assert.equal(body.message, "too many requests");
  assert.equal(body.fromService, true);
});

Deno.test("`parseErrorBody()` takes a bare identifier message as the code", () => {
  const body = parseErrorBody(400, "application/json", '{"message":"task_not_exist"}');
  assert.equal(body.serviceCode, "task_not_exist");
  assert.equal(body.message, "task_not_exist");
});

Deno.test("`parseErrorBody()` describes answers that are not JSON errors", async (t) => {
  await t.step("an HTML page", () => {
    const body = parseErrorBody(404, "text/html", "<!DOCTYPE html><html><body>Not found</body>");
    assert.equal(body.message, "the service answered 404 with an HTML page; is --base-url right?");
    assert.equal(body.fromService, false);
    assert.equal(body.serviceCode, undefined);
  });
  await t.step("an HTML page without a content type", () => {
    const body = parseErrorBody(502, null, "  <html><h1>Bad gateway</h1></html>");
    assert.match(body.message, /502 with an HTML page/);
  });
  await t.step("an empty body", () => {
    assert.equal(
      parseErrorBody(503, null, "").message,
      "the service answered 503 with an empty body",
    );
  });
  await t.step("plain text", () => {
    const body = parseErrorBody(500, "text/plain", "upstream\nconnect error");
    assert.equal(
      body.message,
      'the service answered 500 with a body that is not JSON: "upstream connect error"',
    );
  });
  await t.step("JSON that is not an error", () => {
    assert.match(parseErrorBody(500, "application/json", "[1,2]").message, /not an error/);
  });
});

Deno.test("`normaliseStatus()` treats words outside both dialects as unknown, never success", async (t) => {
  for (const word of ["succeeded", "done", "running", "pending", "failure", "cancelled", ""]) {
    await t.step(JSON.stringify(word), () => assert.equal(normaliseStatus(word), "unknown"));
  }
});
