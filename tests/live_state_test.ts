import assert from "node:assert/strict";
import {
  etaMs,
  formatDuration,
  inFlight,
  initialLiveState,
  type LiveState,
  reduceLive,
  renderStatusBlock,
  renderStatusLine,
} from "../src/cli/live_state.ts";
import type { RunEvent } from "../src/runner/events.ts";

/** The state after `events`, each given with its arrival time in seconds. */
function stateOf(events: Array<[number, RunEvent]>): LiveState {
  return events.reduce(
    (state, [seconds, event]) => reduceLive(state, event, seconds * 1000),
    initialLiveState(),
  );
}

const failure = { code: "task_failed", message: "render failed" };

/** Ten jobs at concurrency 3: two done (60 s and 40 s renders), one failed, one uncertain. */
const RUN: Array<[number, RunEvent]> = [
  [0, { type: "run_started", jobs: 12, toSubmit: 10, toPoll: 0, toDownload: 0, skipped: 2 }],
  [0, { type: "job_submitted", job: "a", task: "t-a" }],
  [0, { type: "job_submitted", job: "b", task: "t-b" }],
  [1, { type: "job_submitted", job: "c", task: "t-c" }],
  [20, { type: "status_changed", job: "a", task: "t-a", status: "in_progress", progress: 30 }],
  [40, { type: "status_changed", job: "b", task: "t-b", status: "succeeded", progress: 100 }],
  [41, {
    type: "download_finished",
    job: "b",
    output: "videos/b.mp4",
    bytes: 5334,
    sha256: "x",
  }],
  [41, { type: "job_submitted", job: "d", task: "t-d" }],
  [50, { type: "job_failed", job: "c", task: "t-c", error: failure }],
  [51, { type: "job_uncertain", job: "e", message: "connection reset" }],
  [52, { type: "job_submitted", job: "f", task: "t-f" }],
  [60, { type: "status_changed", job: "a", task: "t-a", status: "succeeded" }],
  [61, { type: "download_finished", job: "a", output: "videos/a.mp4", bytes: 1, sha256: "y" }],
  [62, { type: "job_submitted", job: "g", task: "t-g" }],
  [70, { type: "status_changed", job: "d", task: "t-d", status: "in_progress", progress: 45 }],
];

Deno.test("`renderStatusBlock()` shows jobs by state, the pace with an ETA, and the oldest live tasks", () => {
  const state = stateOf(RUN);
  assert.deepEqual(renderStatusBlock(state, { now: 90_000, width: 120, concurrency: 3 }), [
    "[########............] 2/10 done · 3 running · 3 pending · 1 failed · 1 uncertain · 2 with nothing to do",
    "in flight 3/3 · elapsed 1m30s · 1.3 jobs/min · ETA 1m02s",
    "  d: rendering 45%, 49s (task t-d)",
    "  f: queued, 38s (task t-f)",
    "  g: queued, 28s (task t-g)",
  ]);
});

Deno.test("`etaMs()` shares the render time left among the slots: mean less age for tasks in flight, a whole mean per job to submit", () => {
  const state = stateOf(RUN);
  // Mean render 50 s. In flight: d 49 s old (1 s left), f 38 s (12 s), g 28 s (22 s); 3 to
  // submit (150 s). 185 s of work over 3 slots.
  assert.equal(Math.round(etaMs(state, 90_000, 3)!), Math.round(185_000 / 3));
});

Deno.test("`renderStatusBlock()` says ETA unknown until a task has finished", () => {
  const state = stateOf(RUN.slice(0, 5));
  const block = renderStatusBlock(state, { now: 30_000, width: 120, concurrency: 3 });
  assert.equal(block[1], "in flight 3/3 · elapsed 30s · 0.0 jobs/min · ETA unknown");
});

Deno.test("`renderStatusBlock()` cuts every line to the width, and escapes control characters of ids", () => {
  const state = stateOf([
    [0, { type: "run_started", jobs: 1, toSubmit: 1, toPoll: 0, toDownload: 0, skipped: 0 }],
    [0, { type: "job_submitted", job: "evil\x1b[2Jid", task: "t\x07" }],
  ]);
  const block = renderStatusBlock(state, { now: 5_000, width: 30, concurrency: 5 });
  for (const line of block) {
    assert.ok([...line].length <= 30, line);
    assert.ok([...line].every((char) => char.charCodeAt(0) >= 0x20), line);
  }
  assert.equal(block[2], "  evil\\x1b[2Jid: queued, 5s (…");
});

Deno.test("`renderStatusBlock()` is empty before the run started", () => {
  assert.deepEqual(
    renderStatusBlock(initialLiveState(), { now: 0, width: 80, concurrency: 5 }),
    [],
  );
});

Deno.test("`reduceLive()` counts tasks an earlier run left as running until their events name them", () => {
  let state = stateOf([
    [0, { type: "run_started", jobs: 4, toSubmit: 1, toPoll: 2, toDownload: 1, skipped: 0 }],
  ]);
  assert.equal(inFlight(state), 2, "the finished task to download is not in flight");
  state = reduceLive(
    state,
    { type: "status_changed", job: "old", task: "t-old", status: "in_progress", progress: 80 },
    1000,
  );
  assert.equal(inFlight(state), 2, "the same task, now by name");
  state = reduceLive(
    state,
    { type: "job_failed", job: "old2", task: "t-old2", error: failure },
    2000,
  );
  assert.equal(inFlight(state), 2, "the failure was the download's");
  state = reduceLive(
    state,
    { type: "job_failed", job: "old3", task: "t-old3", error: failure },
    2500,
  );
  assert.equal(inFlight(state), 1, "then a render's");
  assert.match(
    renderStatusBlock(state, { now: 2500, width: 200, concurrency: 5 })[0],
    / 0\/4 done · 1 running · 1 pending · 2 failed /,
  );
  // A render time is only learnt from tasks this run submitted.
  state = reduceLive(state, {
    type: "status_changed",
    job: "old",
    task: "t-old",
    status: "succeeded",
  }, 3000);
  assert.equal(etaMs(state, 3000, 5), undefined);
});

Deno.test("`reduceLive()` counts edited jobs as changed, and jobs left for the next run as pending", () => {
  const state = stateOf([
    [0, { type: "run_started", jobs: 3, toSubmit: 3, toPoll: 0, toDownload: 0, skipped: 0 }],
    [1, {
      type: "job_failed",
      job: "x",
      error: { code: "job_changed", message: "edited" },
    }],
    [2, { type: "job_deferred", job: "y", message: "the run stops" }],
  ]);
  assert.equal(
    renderStatusBlock(state, { now: 2000, width: 200, concurrency: 5 })[0],
    "[#######.............] 0/3 done · 0 running · 2 pending · 1 failed · 0 uncertain · 1 changed",
  );
});

Deno.test("`renderStatusLine()` is the block's first two lines on one line", () => {
  const state = stateOf(RUN);
  assert.equal(
    renderStatusLine(state, { now: 90_000, concurrency: 3 }),
    "status: 2/10 done · 3 running · 3 pending · 1 failed · 1 uncertain · 2 with nothing to do" +
      " | in flight 3/3 · elapsed 1m30s · 1.3 jobs/min · ETA 1m02s",
  );
});

Deno.test("`formatDuration()` gives seconds, minutes and hours", () => {
  assert.deepEqual(
    [0, 45_400, 185_000, 3_720_000].map(formatDuration),
    ["0s", "45s", "3m05s", "1h02m"],
  );
});

Deno.test("`reduceLive()` counts a job_changed event as changed unless the run re-renders it", () => {
  const state = stateOf([
    [0, { type: "job_changed", job: "x", task: "T", rerender: false }],
    [0, { type: "job_changed", job: "y", task: "U", rerender: true }],
    [0, { type: "run_started", jobs: 3, toSubmit: 2, toPoll: 0, toDownload: 0, skipped: 1 }],
  ]);
  assert.equal(state.changed, 1);
  assert.match(
    renderStatusBlock(state, { now: 0, width: 200, concurrency: 5 })[0],
    / · 1 changed · 1 with nothing to do$/,
  );
});
