import assert from "node:assert/strict";
import { journalFailureLines } from "../src/batch/recovery_notice.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { parseRecoveryText } from "../src/journal/recovery.ts";

const AT = "2025-01-01T00:00:00.000Z";
const KEPT: JournalEvent = { type: "submitted", at: AT, job: "a", key: "k-a", task: "t-a" };
const LOST: JournalEvent = { type: "submitted", at: AT, job: "b", key: "k-b", task: "t-b" };

Deno.test("`journalFailureLines()` names every job and task and prints lines that fold back", () => {
  const lines = journalFailureLines(
    new Error("Cannot append to journal out/state.jsonl: No space left on device"),
    [{ event: KEPT, keptIn: "out/recovered-1.jsonl" }, { event: LOST }],
    "out",
  );
  const text = lines.join("\n");
  assert.match(lines[0], /^error: Cannot append to journal out\/state\.jsonl: No space left/);
  assert.match(text, /job a, task t-a \(submitted\): kept in out\/recovered-1\.jsonl/);
  assert.match(text, /job b, task t-b \(submitted\): NOT KEPT/);
  assert.match(text, /save the next 1 line as out\/recovered-manual\.jsonl/);
  // What the user saves is what the next run folds.
  const saved = lines.slice(lines.findIndex((l) => l.includes("save the next")) + 1).join("\n");
  assert.deepEqual(parseRecoveryText(saved, "out/recovered-manual.jsonl").events, [LOST]);
});

Deno.test("`journalFailureLines()` says so when every event reached the journal after all", () => {
  const lines = journalFailureLines(new Error("Cannot append to journal x: EIO"), [], "out");
  assert.equal(lines.length, 2);
  assert.match(lines[1], /every event .* is in the journal/);
});

Deno.test("`journalFailureLines()` prints no control character from a hostile task id, and its line still folds back", () => {
  const hostile: JournalEvent = {
    type: "submitted",
    at: AT,
    job: "a",
    key: "k-a",
    task: "t\u001b]0;pwned\u0007\u009b31m",
  };
  const lines = journalFailureLines(new Error("Cannot append"), [{ event: hostile }], "out");
  // deno-lint-ignore no-control-regex -- the test looks for them
  const control = /[\u0000-\u001f\u007f-\u009f]/;
  for (const line of lines) assert.doesNotMatch(line, control);
  assert.deepEqual(parseRecoveryText(lines.at(-1)!, "r.jsonl").events, [hostile]);
});
