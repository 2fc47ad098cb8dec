import assert from "node:assert/strict";
import { decodeLine, encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";

const AT = "2025-01-01T00:00:00.000Z";

/** One event of every type. */
const EVERY_TYPE: JournalEvent[] = [
  { type: "run_started", at: AT, pid: 42, host: "box", version: "0.1.0" },
  { type: "submitting", at: AT, job: "intro", fingerprint: "f1", key: "k1" },
  { type: "not_created", at: AT, job: "intro", key: "k1", status: 429, message: "slow down" },
  { type: "submitted", at: AT, job: "intro", key: "k1", task: "task_1" },
  {
    type: "rejected",
    at: AT,
    job: "intro",
    key: "k1",
    status: 400,
    error: { code: "invalid_request", message: "bad prompt" },
  },
  { type: "outcome_unknown", at: AT, job: "intro", key: "k1", message: "socket hang up" },
  { type: "status", at: AT, job: "intro", task: "task_1", status: "in_progress", progress: 40 },
  { type: "status", at: AT, job: "intro", task: "task_1", status: "queued" },
  {
    type: "task_failed",
    at: AT,
    job: "intro",
    task: "task_1",
    error: { code: "FAILED", message: "content policy" },
  },
  { type: "task_succeeded", at: AT, job: "intro", task: "task_1" },
  {
    type: "downloaded",
    at: AT,
    job: "intro",
    task: "task_1",
    output: "videos/intro.mp4",
    bytes: 1234,
    sha256: "ab".repeat(32),
  },
  {
    type: "downloaded",
    at: AT,
    job: "intro",
    task: "task_1",
    output: "videos/intro.mp4",
    bytes: 1234,
    sha256: "ab".repeat(32),
    video: { duration: 5.042, width: 1280, height: 720, codec: "avc1" },
  },
  {
    type: "download_failed",
    at: AT,
    job: "intro",
    task: "task_1",
    error: { code: "download", message: "403 after renewal" },
  },
];

Deno.test("`decodeLine()` returns what encodeEvent() encoded for every event type", async (t) => {
  for (const event of EVERY_TYPE) {
    await t.step(event.type, () => {
      assert.deepEqual(decodeLine(encodeEvent(event)), event);
    });
  }
});

Deno.test("`encodeEvent()` writes one line when strings hold line breaks", () => {
  const event: JournalEvent = {
    type: "outcome_unknown",
    at: AT,
    job: "multi\nline\r\nid\u2028",
    key: "k",
    message: "first\nsecond",
  };
  const line = encodeEvent(event);
  assert.equal(line.includes("\n"), false);
  assert.equal(line.includes("\r"), false);
  assert.deepEqual(decodeLine(line), event);
});

Deno.test("`decodeLine()` accepts a line with its line ending", () => {
  const event = EVERY_TYPE[1];
  assert.deepEqual(decodeLine(encodeEvent(event) + "\r\n"), event);
});

Deno.test("`decodeLine()` accepts a line with spaces, a byte order mark or a no-break space around it", () => {
  const event = EVERY_TYPE[1];
  for (const [before, after] of [[" \t", " "], ["\uFEFF", ""], ["\u00A0", "\u00A0\r"]]) {
    assert.deepEqual(
      decodeLine(before + encodeEvent(event) + after),
      event,
      JSON.stringify(before),
    );
  }
});

Deno.test("`decodeLine()` keeps fields it does not know", () => {
  const line = JSON.stringify({ type: "task_succeeded", at: AT, job: "a", task: "t", extra: 1 });
  assert.deepEqual(decodeLine(line), {
    type: "task_succeeded",
    at: AT,
    job: "a",
    task: "t",
    extra: 1,
  });
});

Deno.test("`decodeLine()` returns undefined for lines it cannot trust", async (t) => {
  const cases: [string, string][] = [
    ["an empty line", ""],
    ["a blank line", "   \t"],
    ["text", "hello"],
    ["a JSON array", "[1,2]"],
    ["a JSON string", '"submitting"'],
    ["JSON null", "null"],
    ["a torn line", encodeEvent(EVERY_TYPE[1]).slice(0, 30)],
    ["no type", JSON.stringify({ at: AT, job: "a" })],
    ["an unknown type", JSON.stringify({ type: "exploded", at: AT, job: "a" })],
    ["an inherited type name", JSON.stringify({ type: "toString", at: AT })],
    ["a missing field", JSON.stringify({ type: "submitted", at: AT, job: "a", key: "k" })],
    [
      "a field of the wrong type",
      JSON.stringify({ type: "submitted", at: AT, job: "a", key: "k", task: 7 }),
    ],
    [
      "a number that is not finite",
      '{"type":"downloaded","at":"x","job":"a","task":"t","output":"o","bytes":1e999,"sha256":"s"}',
    ],
    [
      "an unknown status word",
      JSON.stringify({ type: "status", at: AT, job: "a", task: "t", status: "SUCCESS" }),
    ],
    [
      "a progress that is not a number",
      JSON.stringify({
        type: "status",
        at: AT,
        job: "a",
        task: "t",
        status: "queued",
        progress: "5",
      }),
    ],
    [
      "an error without a message",
      JSON.stringify({ type: "task_failed", at: AT, job: "a", task: "t", error: { code: "x" } }),
    ],
    [
      "an error that is a string",
      JSON.stringify({ type: "task_failed", at: AT, job: "a", task: "t", error: "boom" }),
    ],
  ];
  for (const [name, line] of cases) {
    await t.step(name, () => {
      assert.equal(decodeLine(line), undefined);
    });
  }
});
