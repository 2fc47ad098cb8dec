import assert from "node:assert/strict";
import type { DoneState, JobState } from "../src/journal/events.ts";
import {
  currentStatesOf,
  judgeHash,
  judgeLook,
  lostVideoEvents,
  type RecordedVideo,
  recordedVideo,
  withVideoFindings,
} from "../src/done_videos.ts";

const AT = "2025-01-01T00:00:10.000Z";
const DONE: DoneState = {
  job: "a",
  phase: "done",
  attempts: 1,
  task: "t1",
  createdAt: AT,
  output: "videos/a.mp4",
  bytes: 100,
  sha256: "ab".repeat(32),
  downloadedAt: AT,
};
const VIDEO: RecordedVideo = recordedVideo(DONE);

Deno.test("judgeLook() compares the size always and the hash only for a file changed since the download", () => {
  const at = Date.parse(AT);
  assert.equal(judgeLook(VIDEO, { kind: "missing" }).valueOf() !== "ok", true);
  assert.equal(
    (judgeLook(VIDEO, { kind: "missing" }) as { error: { code: string } }).error.code,
    "video_missing",
  );
  assert.equal(
    (judgeLook(VIDEO, { kind: "file", size: 99, mtimeMs: at }) as { error: { code: string } }).error
      .code,
    "video_altered",
  );
  assert.equal(judgeLook(VIDEO, { kind: "file", size: 100, mtimeMs: at }), "ok");
  assert.equal(judgeLook(VIDEO, { kind: "file", size: 100, mtimeMs: at + 1 }), "hash");
  assert.equal(judgeLook(VIDEO, { kind: "file", size: 100, mtimeMs: null }), "hash");
  assert.equal(judgeLook(VIDEO, { kind: "file", size: 100, mtimeMs: at }, "always"), "hash");
  assert.equal(judgeLook(VIDEO, { kind: "file", size: 100, mtimeMs: at + 1 }, "never"), "ok");
  assert.equal(judgeHash(VIDEO, DONE.sha256), "ok");
  assert.equal(
    (judgeHash(VIDEO, "cd".repeat(32)) as { error: { code: string } }).error.code,
    "video_altered",
  );
});

Deno.test("withVideoFindings() makes a lost video's job running without touching the input", () => {
  const states = new Map([["a", DONE]]);
  const finding = judgeLook(VIDEO, { kind: "missing" });
  assert.ok(typeof finding === "object");
  const result = withVideoFindings(states, [finding]);
  assert.equal(result.get("a")!.phase, "succeeded");
  assert.equal(result.get("a")!.held?.code, "video_missing");
  assert.equal(states.get("a")!.phase, "done");
  // A finding about another task (the job was resubmitted since) changes nothing.
  assert.equal(withVideoFindings(states, [{ ...finding, task: "t0" }]).get("a")!.phase, "done");
});

Deno.test("currentStatesOf() keeps the manifest's jobs whose state is for their current content", () => {
  const states = new Map<string, JobState>([
    ["a", { ...DONE, fingerprint: "f1" }],
    ["b", { ...DONE, job: "b", fingerprint: "old" }],
    ["gone", { ...DONE, job: "gone", fingerprint: "f3" }],
  ]);
  const kept = currentStatesOf(
    [{ id: "a", fingerprint: "f1" }, { id: "b", fingerprint: "new" }],
    states,
  );
  assert.deepEqual([...kept].map((state) => state.job), ["a"]);
});

Deno.test("lostVideoEvents() journals each finding as a video_lost event", () => {
  const finding = judgeLook(VIDEO, { kind: "missing" });
  assert.ok(typeof finding === "object");
  assert.deepEqual(lostVideoEvents([finding], AT), [{
    type: "video_lost",
    at: AT,
    job: "a",
    task: "t1",
    output: "videos/a.mp4",
    error: finding.error,
  }]);
});
