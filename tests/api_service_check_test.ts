import assert from "node:assert/strict";
import { type CheckAnswer, judgeServiceAnswer } from "../src/api/service_check.ts";

const PROBE = "seedance-batch-check-1";

function answer(status: number, text: string, extra: Partial<CheckAnswer> = {}): CheckAnswer {
  const json = text.startsWith("{");
  return {
    status,
    contentType: json ? "application/json" : "text/html; charset=utf-8",
    location: null,
    text,
    ...extra,
  };
}

Deno.test("`judgeServiceAnswer()` tells the video API from other hosts", async (t) => {
  const cases: Array<[string, CheckAnswer, string]> = [
    [
      "the flat task_not_exist error",
      answer(400, '{"code":"x","message":"task_not_exist"}'),
      "api",
    ],
    [
      "the nested error envelope",
      answer(400, '{"error":{"message":"task_not_exist","type":"invalid_request_error"}}'),
      "api",
    ],
    ["a task object", answer(200, '{"id":"t1","status":"queued"}'), "api"],
    [
      "a JSON 404 about the task",
      answer(404, '{"error":{"message":"video task not found"}}'),
      "api",
    ],
    ["a JSON 404 quoting the id", answer(404, `{"message":"no such id ${PROBE}"}`), "api"],
    ["a JSON 429 (busy, but the API)", answer(429, '{"error":{"message":"slow down"}}'), "api"],
    ["a JSON 500", answer(500, '{"error":{"message":"boom","code":"internal"}}'), "api"],
    ["401 with a JSON error", answer(401, '{"error":{"message":"invalid key"}}'), "unauthorized"],
    ["a web page with 200", answer(200, "<!doctype html><title>Welcome</title>"), "not_api"],
    ["a web page with 501", answer(501, "<html><body>Not Implemented</body></html>"), "not_api"],
    ["a web page with 401", answer(401, "<html>login</html>"), "not_api"],
    [
      "a plain 404 for the route",
      answer(404, "404 page not found", { contentType: "text/plain" }),
      "not_api",
    ],
    [
      "a JSON 404 for an unknown route",
      answer(404, '{"error":{"message":"Invalid URL (GET /v1/v1/videos/x)"}}'),
      "not_api",
    ],
    ["a framework's JSON 404", answer(404, '{"detail":"Not Found"}'), "not_api"],
    ["a redirect", answer(301, "", { location: "https://example.test/login" }), "not_api"],
    ["an empty 200", answer(200, ""), "not_api"],
    ["a gateway's 502 page", answer(502, "<html>Bad Gateway</html>"), "busy"],
    ["an empty 503", answer(503, "", { retryAfterMs: 5000 }), "busy"],
  ];
  for (const [name, given, kind] of cases) {
    await t.step(`${name} is ${kind}`, () => {
      assert.equal(judgeServiceAnswer(given, PROBE).kind, kind);
    });
  }
});

Deno.test("`judgeServiceAnswer()` says what answered instead of the API", () => {
  const redirect = judgeServiceAnswer(answer(302, "", { location: "https://x.test/" }), PROBE);
  assert.deepEqual(redirect, {
    kind: "not_api",
    reason: 'it answered 302, a redirect to "https://x.test/"',
  });
  const page = judgeServiceAnswer(answer(501, "<html></html>"), PROBE);
  assert.deepEqual(page, { kind: "not_api", reason: "it answered 501 with a web page (HTML)" });
  const busy = judgeServiceAnswer(answer(503, "", { retryAfterMs: 7000 }), PROBE);
  assert.deepEqual(busy, {
    kind: "busy",
    reason: "it answered 503 with an empty body",
    retryAfterMs: 7000,
  });
});
