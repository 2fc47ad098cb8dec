import assert from "node:assert/strict";
import { join } from "node:path";
import { BatchError } from "../src/errors.ts";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JobError } from "../src/domain/job_error.ts";
import type { JobState, JournalEvent } from "../src/journal/events.ts";
import {
  JournalReplay,
  readJournal,
  readJournalStates,
  replayEvents,
  replayText,
} from "../src/journal/replay.ts";

const T = (n: number): string => `2025-01-01T00:00:0${n}.000Z`;
const POLICY: JobError = { code: "FAILED", message: "content policy" };
const BAD_PROMPT: JobError = { code: "invalid_request", message: "bad prompt" };
const EXPIRED: JobError = { code: "download_failed", message: "URL expired" };

/** Event builders for job "a"; `n` picks the timestamp. */
const ev = {
  started: (n = 0): JournalEvent => ({
    type: "run_started",
    at: T(n),
    pid: 1,
    host: "h",
    version: "0",
  }),
  submitting: (key: string, n = 0, fingerprint = "fp1"): JournalEvent => ({
    type: "submitting",
    at: T(n),
    job: "a",
    fingerprint,
    key,
  }),
  notCreated: (key: string, n = 0): JournalEvent => ({
    type: "not_created",
    at: T(n),
    job: "a",
    key,
    status: 429,
    message: "slow down",
  }),
  submitted: (key: string, task: string, n = 2): JournalEvent => ({
    type: "submitted",
    at: T(n),
    job: "a",
    key,
    task,
  }),
  rejected: (key: string, n = 0): JournalEvent => ({
    type: "rejected",
    at: T(n),
    job: "a",
    key,
    status: 400,
    error: BAD_PROMPT,
  }),
  unknown: (key: string, n = 0): JournalEvent => ({
    type: "outcome_unknown",
    at: T(n),
    job: "a",
    key,
    message: "socket hang up",
  }),
  status: (task: string, progress?: number, n = 0): JournalEvent => ({
    type: "status",
    at: T(n),
    job: "a",
    task,
    status: "in_progress",
    ...(progress === undefined ? {} : { progress }),
  }),
  taskFailed: (task: string, n = 0): JournalEvent => ({
    type: "task_failed",
    at: T(n),
    job: "a",
    task,
    error: POLICY,
  }),
  succeeded: (task: string, n = 0): JournalEvent => ({
    type: "task_succeeded",
    at: T(n),
    job: "a",
    task,
  }),
  downloaded: (task: string, n = 0): JournalEvent => ({
    type: "downloaded",
    at: T(n),
    job: "a",
    task,
    output: "videos/a.mp4",
    bytes: 100,
    sha256: "abc",
  }),
  downloadFailed: (task: string, n = 0): JournalEvent => ({
    type: "download_failed",
    at: T(n),
    job: "a",
    task,
    error: EXPIRED,
  }),
};

/** The state of job "a" after sending key k1 at T(1) and learning at T(2) it is task t1. */
const RUNNING: JobState = {
  job: "a",
  phase: "running",
  fingerprint: "fp1",
  attempts: 1,
  submittedAt: T(1),
  task: "t1",
  createdAt: T(2),
};

const TRANSITIONS: { name: string; events: JournalEvent[]; state: JobState | undefined }[] = [
  { name: "no events leave no state", events: [], state: undefined },
  { name: "run_started is ignored", events: [ev.started()], state: undefined },
  {
    name: "submitting makes a job uncertain with its key open",
    events: [ev.submitting("k1", 1)],
    state: {
      job: "a",
      phase: "uncertain",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
    },
  },
  {
    name: "not_created makes it pending, keeps the key for the next send and says why",
    events: [ev.submitting("k1", 1), ev.notCreated("k1", 2)],
    state: {
      job: "a",
      phase: "pending",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
      error: { code: "http_429", message: "slow down" },
    },
  },
  {
    name: "not_created when nothing was sent says so without a status",
    events: [
      ev.submitting("k1", 1),
      { ...ev.notCreated("k1", 2), status: 0, message: "could not connect" } as JournalEvent,
    ],
    state: {
      job: "a",
      phase: "pending",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
      error: { code: "not_created", message: "could not connect" },
    },
  },
  {
    name: "a resend with the same key keeps the first send's time and attempt",
    events: [ev.submitting("k1", 1), ev.notCreated("k1", 2), ev.submitting("k1", 3)],
    state: {
      job: "a",
      phase: "uncertain",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
    },
  },
  {
    name: "submitted makes it running with its task and closes the key",
    events: [ev.submitting("k1", 1), ev.submitted("k1", "t1", 2)],
    state: RUNNING,
  },
  {
    name: "rejected makes it failed with the service's error",
    events: [ev.submitting("k1", 1), ev.rejected("k1", 2)],
    state: {
      job: "a",
      phase: "failed",
      fingerprint: "fp1",
      attempts: 1,
      submittedAt: T(1),
      failure: "rejected",
      error: BAD_PROMPT,
    },
  },
  {
    name: "outcome_unknown keeps it uncertain with its key open",
    events: [ev.submitting("k1", 1), ev.unknown("k1", 2)],
    state: {
      job: "a",
      phase: "uncertain",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
    },
  },
  {
    name: "resubmitting an uncertain job with its key and succeeding counts one attempt",
    events: [
      ev.submitting("k1", 1),
      ev.unknown("k1", 2),
      ev.submitting("k1", 3),
      ev.submitted("k1", "t1", 4),
    ],
    state: { ...RUNNING, createdAt: T(4) },
  },
  {
    name: "status records the status and progress and keeps the phase",
    events: [ev.submitting("k1", 1), ev.submitted("k1", "t1"), ev.status("t1", 40)],
    state: { ...RUNNING, status: "in_progress", progress: 40 },
  },
  {
    name: "status without progress keeps the last progress",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.status("t1", 40),
      ev.status("t1"),
    ],
    state: { ...RUNNING, status: "in_progress", progress: 40 },
  },
  {
    name: "task_failed makes it failed with the task's error and completion time",
    events: [ev.submitting("k1", 1), ev.submitted("k1", "t1"), ev.taskFailed("t1", 5)],
    state: { ...RUNNING, phase: "failed", failure: "task", error: POLICY, completedAt: T(5) },
  },
  {
    name: "task_succeeded makes it succeeded with its completion time",
    events: [ev.submitting("k1", 1), ev.submitted("k1", "t1"), ev.succeeded("t1", 5)],
    state: { ...RUNNING, phase: "succeeded", completedAt: T(5) },
  },
  {
    name: "downloaded makes it done with the file's facts",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.succeeded("t1", 5),
      ev.downloaded("t1", 6),
    ],
    state: {
      ...RUNNING,
      phase: "done",
      completedAt: T(5),
      output: "videos/a.mp4",
      bytes: 100,
      sha256: "abc",
      downloadedAt: T(6),
    },
  },
  {
    name: "download_failed makes it failed and keeps the task",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.succeeded("t1", 5),
      ev.downloadFailed("t1", 6),
    ],
    state: { ...RUNNING, phase: "failed", completedAt: T(5), failure: "download", error: EXPIRED },
  },
  {
    name: "downloaded after download_failed clears the error",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.succeeded("t1", 5),
      ev.downloadFailed("t1", 6),
      ev.downloaded("t1", 7),
    ],
    state: {
      ...RUNNING,
      phase: "done",
      completedAt: T(5),
      output: "videos/a.mp4",
      bytes: 100,
      sha256: "abc",
      downloadedAt: T(7),
    },
  },
  {
    name: "a new key after a failed task starts a fresh submission and counts an attempt",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.status("t1", 90),
      ev.taskFailed("t1", 5),
      ev.submitting("k2", 6, "fp2"),
    ],
    state: {
      job: "a",
      phase: "uncertain",
      fingerprint: "fp2",
      openKey: "k2",
      attempts: 2,
      submittedAt: T(6),
    },
  },
  {
    name: "a new key after a done job forgets the old video",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t1"),
      ev.succeeded("t1", 2),
      ev.downloaded("t1", 3),
      ev.submitting("k2", 4, "fp2"),
      ev.submitted("k2", "t2", 5),
    ],
    state: {
      job: "a",
      phase: "running",
      fingerprint: "fp2",
      attempts: 2,
      submittedAt: T(4),
      task: "t2",
      createdAt: T(5),
    },
  },
  {
    name: "events about an earlier task are ignored",
    events: [
      ev.submitting("k1", 1),
      ev.submitted("k1", "t0"),
      ev.taskFailed("t0", 2),
      ev.submitting("k2", 3),
      ev.submitted("k2", "t1"),
      ev.status("t0", 99),
      ev.succeeded("t0"),
      ev.downloaded("t0"),
      ev.downloadFailed("t0"),
      ev.taskFailed("t0"),
    ],
    state: { ...RUNNING, attempts: 2, submittedAt: T(3) },
  },
  {
    name: "task events before any task are ignored",
    events: [ev.submitting("k1", 1), ev.status("t1", 5), ev.succeeded("t1")],
    state: {
      job: "a",
      phase: "uncertain",
      fingerprint: "fp1",
      openKey: "k1",
      attempts: 1,
      submittedAt: T(1),
    },
  },
  {
    name: "task events for a job never submitted are ignored",
    events: [ev.status("t1", 5), ev.downloaded("t1")],
    state: undefined,
  },
  {
    name: "an outcome for an earlier submission's key is ignored",
    events: [
      ev.submitting("k1", 1),
      ev.rejected("k1"),
      ev.submitting("k2", 2),
      ev.submitted("k2", "t1"),
      ev.rejected("k1"),
      ev.notCreated("k1"),
      ev.unknown("k1"),
    ],
    state: { ...RUNNING, attempts: 2, submittedAt: T(2) },
  },
  {
    name: "a submitted without its submitting is adopted, never dropped",
    events: [ev.submitted("k1", "t1", 1)],
    state: {
      job: "a",
      phase: "running",
      attempts: 1,
      submittedAt: T(1),
      task: "t1",
      createdAt: T(1),
    },
  },
];

Deno.test("`replayEvents()` applies each transition", async (t) => {
  for (const { name, events, state } of TRANSITIONS) {
    await t.step(name, () => {
      assert.deepEqual(replayEvents(events).get("a"), state);
    });
  }
});

Deno.test("`replayEvents()` keeps jobs apart", () => {
  const states = replayEvents([
    { type: "submitting", at: T(1), job: "a", fingerprint: "fa", key: "ka" },
    { type: "submitting", at: T(2), job: "b", fingerprint: "fb", key: "kb" },
    { type: "submitted", at: T(3), job: "a", key: "ka", task: "ta" },
    { type: "task_succeeded", at: T(4), job: "b", task: "ta" },
  ]);
  assert.deepEqual([...states.keys()], ["a", "b"]);
  assert.equal(states.get("a")?.phase, "running");
  assert.equal(states.get("b")?.phase, "uncertain");
});

Deno.test("`JournalReplay.apply()` never changes a state it returned earlier", () => {
  const replay = new JournalReplay();
  replay.apply(ev.submitting("k1", 1));
  const before = replay.states.get("a");
  const copy = structuredClone(before);
  replay.apply(ev.submitted("k1", "t1"));
  assert.deepEqual(before, copy);
});

/** A small journal covering every phase, one event a line. */
const EVENTS: JournalEvent[] = [
  ev.started(),
  ev.submitting("k1", 1),
  ev.submitted("k1", "t1", 2),
  ev.status("t1", 50, 3),
  ev.succeeded("t1", 4),
  ev.downloaded("t1", 5),
];
const TEXT = EVENTS.map((e) => encodeEvent(e) + "\n").join("");

Deno.test("`replayText()` replays a whole journal like replayEvents()", () => {
  assert.deepEqual(replayText(TEXT), {
    states: replayEvents(EVENTS),
    tornTail: false,
    skipped: 0,
  });
});

Deno.test("`replayText()` drops a last line torn at any byte", async (t) => {
  const lastLine = encodeEvent(EVENTS.at(-1)!);
  const start = TEXT.length - lastLine.length - 1;
  const before = replayEvents(EVENTS.slice(0, -1));
  for (const cut of [1, 2, 10, Math.floor(lastLine.length / 2), lastLine.length - 1]) {
    await t.step(`cut after ${cut} of ${lastLine.length} bytes`, () => {
      assert.deepEqual(replayText(TEXT.slice(0, start + cut)), {
        states: before,
        tornTail: true,
        skipped: 0,
      });
    });
  }
  await t.step("a torn line that a later run terminated with a newline", () => {
    assert.deepEqual(replayText(TEXT.slice(0, start + 10) + "\n"), {
      states: before,
      tornTail: true,
      skipped: 0,
    });
  });
});

Deno.test("`replayText()` applies an unterminated last line that is complete", () => {
  assert.deepEqual(replayText(TEXT.slice(0, -1)), {
    states: replayEvents(EVENTS),
    tornTail: false,
    skipped: 0,
  });
});

Deno.test("`replayText()` skips and counts corrupt lines before the last", () => {
  const lines = TEXT.split("\n");
  const text = [lines[0], lines[1], "garbage{", lines[2], '{"type":"nope"}', ...lines.slice(3)]
    .join("\n");
  assert.deepEqual(replayText(text), {
    states: replayEvents(EVENTS),
    tornTail: false,
    skipped: 2,
  });
});

Deno.test("`replayText()` ignores blank lines and CRLF endings", () => {
  const text = "\n\n" + TEXT.replaceAll("\n", "\r\n\r\n") + "   \n";
  assert.deepEqual(replayText(text), {
    states: replayEvents(EVENTS),
    tornTail: false,
    skipped: 0,
  });
});

Deno.test("`replayText()` returns no states for an empty journal", () => {
  assert.deepEqual(replayText(""), { states: new Map(), tornTail: false, skipped: 0 });
});

Deno.test("`readJournalStates()` returns an empty map when the file does not exist", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await readJournalStates(join(dir, "state.jsonl")), new Map());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("`readJournal()` reads a large file like replayText() reads its text", async () => {
  // Many jobs with multi-byte ids, so lines and characters straddle read chunks.
  const events: JournalEvent[] = [];
  for (let i = 0; i < 3000; i++) {
    const job = `ジョブ-${i}-🎬`;
    events.push(
      { type: "submitting", at: T(1), job, fingerprint: `fp-${i}`, key: `k-${i}` },
      { type: "submitted", at: T(2), job, key: `k-${i}`, task: `t-${i}` },
    );
    if (i % 3 === 0) events.push({ type: "task_succeeded", at: T(3), job, task: `t-${i}` });
  }
  const text = events.map((e) => encodeEvent(e) + "\n").join("") + "garbage\n" +
    encodeEvent(events[0]).slice(0, 20);
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "state.jsonl");
    await Deno.writeTextFile(path, text);
    const result = await readJournal(path);
    assert.deepEqual(result, replayText(text));
    assert.equal(result.states.size, 3000);
    assert.equal(result.skipped, 1);
    assert.equal(result.tornTail, true);
    assert.deepEqual(await readJournalStates(path), result.states);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("`readJournal()` fails clearly when the journal is not a readable file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      readJournal(dir),
      (error: unknown) =>
        error instanceof BatchError && error.code === "journal_read" &&
        error.message.startsWith(`Cannot read journal ${dir}: `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replayEvents() keeps a succeeded job running when a local problem held its download", () => {
  const full: JobError = { code: "download_write", message: "Cannot write videos/a.mp4: No space" };
  const base = [ev.submitting("k1", 1), ev.submitted("k1", "t1"), ev.succeeded("t1", 3)];
  const localFailure: JournalEvent = {
    type: "download_failed",
    at: T(4),
    job: "a",
    task: "t1",
    error: full,
  };
  const held = replayEvents([...base, {
    type: "download_held",
    at: T(4),
    job: "a",
    task: "t1",
    error: full,
  }]).get("a")!;
  assert.equal(held.phase, "succeeded");
  assert.deepEqual(held.held, full);
  assert.equal(held.error, undefined);
  // A journal from before download_held: a local download_failed is not the job's failure.
  const old = replayEvents([...base, localFailure]).get("a")!;
  assert.equal(old.phase, "succeeded");
  assert.equal(old.failure, undefined);
  assert.deepEqual(old.held, full);
  // The service's verdict (no URL after renewal) still fails it; a later download clears all.
  assert.equal(replayEvents([...base, ev.downloadFailed("t1", 4)]).get("a")!.phase, "failed");
  const done = replayEvents([...base, localFailure, {
    ...ev.downloaded("t1", 5),
  }]).get("a")!;
  assert.equal(done.phase, "done");
  assert.equal(done.held, undefined);
});

Deno.test("replayEvents() brings a failed download back to running when a retry meets a local problem", () => {
  const full: JobError = { code: "disk_space", message: "not enough free disk space" };
  const state = replayEvents([
    ev.submitting("k1", 1),
    ev.submitted("k1", "t1"),
    ev.succeeded("t1", 3),
    ev.downloadFailed("t1", 4),
    { type: "download_held", at: T(5), job: "a", task: "t1", error: full },
  ]).get("a")!;
  assert.equal(state.phase, "succeeded");
  assert.equal(state.failure, undefined);
  assert.equal(state.error, undefined);
  assert.deepEqual(state.held, full);
});

Deno.test("replayEvents() makes a done job running again when its video was lost", () => {
  const lost: JobError = { code: "video_missing", message: "video missing on disk: videos/a.mp4" };
  const state = replayEvents([
    ev.submitting("k1", 1),
    ev.submitted("k1", "t1"),
    ev.succeeded("t1", 3),
    ev.downloaded("t1", 4),
    { type: "video_lost", at: T(5), job: "a", task: "t1", output: "videos/a.mp4", error: lost },
  ]).get("a")!;
  assert.equal(state.phase, "succeeded");
  assert.deepEqual(state.held, lost);
  assert.equal(state.sha256, undefined);
  assert.equal(state.output, undefined);
  assert.equal(state.task, "t1");
});

// ---- events read twice (issue 8: a journal append kept again, a recovery file folded again) ----

/**
 * What a run whose journal broke may have kept outside the journal (`block`,
 * after the journal's `before`), and what the next run journals after
 * folding it (`after`).
 */
const COPIES: {
  name: string;
  before: JournalEvent[];
  block: JournalEvent[];
  after: JournalEvent[];
}[] = [
  {
    name: "a created task",
    before: [ev.submitting("k1", 1)],
    block: [ev.submitted("k1", "t1", 2)],
    after: [ev.status("t1", 50, 3), ev.succeeded("t1", 4), ev.downloaded("t1", 5)],
  },
  {
    name: "nothing sent",
    before: [ev.submitting("k1", 1)],
    block: [ev.notCreated("k1", 2)],
    after: [ev.submitting("k1", 3), ev.submitted("k1", "t1", 4), ev.succeeded("t1", 5)],
  },
  {
    name: "an unknown outcome",
    before: [ev.submitting("k1", 1)],
    block: [ev.unknown("k1", 2)],
    after: [ev.submitting("k1", 3), ev.submitted("k1", "t1", 4)],
  },
  {
    name: "a rejection",
    before: [ev.submitting("k1", 1)],
    block: [ev.rejected("k1", 2)],
    after: [],
  },
  {
    name: "a status",
    before: [ev.submitting("k1", 1), ev.submitted("k1", "t1", 2)],
    block: [ev.status("t1", 10, 3)],
    after: [ev.status("t1", 90, 4), ev.succeeded("t1", 5), ev.downloaded("t1", 6)],
  },
  {
    name: "a success",
    before: [ev.submitting("k1", 1), ev.submitted("k1", "t1", 2)],
    block: [ev.succeeded("t1", 3)],
    after: [ev.downloaded("t1", 4)],
  },
  {
    name: "a failed task",
    before: [ev.submitting("k1", 1), ev.submitted("k1", "t1", 2)],
    block: [ev.taskFailed("t1", 3)],
    after: [],
  },
  {
    name: "a download",
    before: [ev.submitting("k1", 1), ev.submitted("k1", "t1", 2), ev.succeeded("t1", 3)],
    block: [ev.downloaded("t1", 4)],
    after: [],
  },
];

Deno.test("`replayEvents()` reads a recovery block folded twice as folded once", async (t) => {
  for (const { name, before, block } of COPIES) {
    await t.step(name, () => {
      assert.deepEqual(
        replayEvents([...before, ...block, ...block]),
        replayEvents([...before, ...block]),
      );
    });
  }
});

Deno.test("`replayEvents()` ignores a late copy of an event after the job moved on", async (t) => {
  for (const { name, before, block, after } of COPIES) {
    await t.step(name, () => {
      assert.deepEqual(
        replayEvents([...before, ...block, ...after, ...block]),
        replayEvents([...before, ...block, ...after]),
      );
    });
  }
});

Deno.test("`replayText()` makes a done job of a `downloaded` line with or without the video's facts", () => {
  const lines = (downloaded: Record<string, unknown>): string =>
    [
      { type: "submitting", at: T(1), job: "a", fingerprint: "f", key: "k1" },
      { type: "submitted", at: T(2), job: "a", key: "k1", task: "t1" },
      {
        type: "downloaded",
        at: T(3),
        job: "a",
        task: "t1",
        output: "videos/a.mp4",
        bytes: 10,
        sha256: "ab",
        ...downloaded,
      },
    ].map((event) => JSON.stringify(event)).join("\n") + "\n";
  // A journal written before the facts existed replays as it always did.
  const old = replayText(lines({})).states.get("a");
  assert.equal(old?.phase, "done");
  assert.equal(old.video, undefined);
  assert.equal(old.sha256, "ab");
  const video = { duration: 5.042, width: 1280, height: 720, codec: "avc1" };
  const now = replayText(lines({ video })).states.get("a");
  assert.equal(now?.phase, "done");
  assert.deepEqual(now.video, video);
  // Facts that cannot be read are dropped, never the download with them.
  for (const bad of [{ duration: "5" }, "avc1", null, { ...video, width: Infinity }]) {
    const state = replayText(lines({ video: bad })).states.get("a");
    assert.equal(state?.phase, "done", JSON.stringify(bad));
    assert.equal(state.video, undefined);
  }
});
