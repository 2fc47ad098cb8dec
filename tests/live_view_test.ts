import assert from "node:assert/strict";
import { LiveView, type Ticker } from "../src/cli/live_view.ts";
import type { RunEvent } from "../src/runner/events.ts";
import { Screen } from "./helpers/screen.ts";

/** A timer the test fires by hand. */
function manualTicker(): {
  ticker: Ticker;
  fire: () => void;
  intervals: number[];
  live: () => number;
} {
  const timers = new Set<{ ms: number; fn: () => void }>();
  const intervals: number[] = [];
  return {
    ticker: (ms, fn) => {
      const timer = { ms, fn };
      timers.add(timer);
      intervals.push(ms);
      return () => timers.delete(timer);
    },
    fire: () => {
      for (const timer of [...timers]) timer.fn();
    },
    intervals,
    live: () => timers.size,
  };
}

const STARTED: RunEvent = {
  type: "run_started",
  jobs: 3,
  toSubmit: 3,
  toPoll: 0,
  toDownload: 0,
  skipped: 0,
};

Deno.test("the live view keeps one block below the event lines on a terminal, redraws it in place, and clears it at the end", () => {
  const screen = new Screen();
  const clock = { now: 0 };
  const timer = manualTicker();
  const view = new LiveView({
    terminal: { write: (text) => screen.write(text), columns: () => 60 },
    print: () => assert.fail("nothing is printed plainly on a terminal"),
    concurrency: 2,
    now: () => clock.now,
    ticker: timer.ticker,
  });
  view.event(STARTED);
  assert.deepEqual(timer.intervals, [250]);
  view.event({ type: "job_submitted", job: "a", task: "t-a" });
  view.print("a: submitted as task t-a");
  clock.now = 12_000;
  view.event({
    type: "status_changed",
    job: "a",
    task: "t-a",
    status: "in_progress",
    progress: 40,
  });
  timer.fire();
  assert.deepEqual(screen.lines, [
    "a: submitted as task t-a",
    "[....................] 0/3 done · 1 running · 2 pending · …",
    "in flight 1/2 · elapsed 12s · 0.0 jobs/min · ETA unknown",
    "  a: rendering 40%, 12s (task t-a)",
  ]);
  const writes = screen.writes.length;
  timer.fire();
  assert.equal(screen.writes.length, writes, "an unchanged block is not written again");

  view.print("a: FAILED: \x1b[31mred\x1b[0m");
  view.finish();
  assert.deepEqual(screen.lines, [
    "a: submitted as task t-a",
    "a: FAILED: \\x1b[31mred\\x1b[0m",
  ]);
  assert.equal(timer.live(), 0, "the timer is stopped");
  // Every frame is one write: erase and draw together, never an erase alone mid-run.
  for (const write of screen.writes.slice(0, -1)) {
    assert.ok(!write.endsWith("\x1b[J"), JSON.stringify(write));
  }
});

Deno.test("the live view cuts the block to the terminal's width", () => {
  const screen = new Screen();
  const view = new LiveView({
    terminal: { write: (text) => screen.write(text), columns: () => 20 },
    print: () => {},
    concurrency: 5,
    now: () => 0,
    ticker: manualTicker().ticker,
  });
  view.event(STARTED);
  for (const line of screen.lines) assert.ok([...line].length <= 19, line);
  view.finish();
  assert.deepEqual(screen.lines, []);
});

Deno.test("off a terminal, the live view prints the event lines and a status line at its interval, no escape sequence", () => {
  const printed: string[] = [];
  const clock = { now: 0 };
  const timer = manualTicker();
  const view = new LiveView({
    print: (line) => printed.push(line),
    concurrency: 2,
    now: () => clock.now,
    ticker: timer.ticker,
    statusEveryMs: 30_000,
  });
  view.event(STARTED);
  view.print("run: 3 jobs");
  assert.deepEqual(timer.intervals, [30_000]);
  assert.deepEqual(printed, ["run: 3 jobs"], "no status line before the interval");
  clock.now = 30_000;
  timer.fire();
  assert.deepEqual(printed, [
    "run: 3 jobs",
    "status: 0/3 done · 0 running · 3 pending · 0 failed · 0 uncertain | " +
    "in flight 0/2 · elapsed 30s · 0.0 jobs/min · ETA unknown",
  ]);
  view.finish();
  assert.equal(timer.live(), 0);
  assert.ok(printed.every((line) => !line.includes("\x1b")));
});

Deno.test("with --quiet, the live view draws no block and prints no status line", () => {
  const printed: string[] = [];
  const timer = manualTicker();
  const view = new LiveView({
    terminal: { write: () => assert.fail("no block with --quiet"), columns: () => 80 },
    print: (line) => printed.push(line),
    concurrency: 2,
    ticker: timer.ticker,
    quiet: true,
  });
  view.event(STARTED);
  view.print("a: FAILED: x");
  view.finish();
  assert.deepEqual(timer.intervals, []);
  assert.deepEqual(printed, ["a: FAILED: x"]);
});

Deno.test("the live view erases the whole block after the terminal was made narrower and wrapped it", () => {
  const screen = new Screen(60);
  let columns = 60;
  const timer = manualTicker();
  const view = new LiveView({
    terminal: { write: (text) => screen.write(text), columns: () => columns },
    print: () => {},
    concurrency: 2,
    now: () => 0,
    ticker: timer.ticker,
  });
  view.event(STARTED);
  view.print("run: 3 jobs");
  columns = 25;
  screen.resize(25);
  view.print("a: FAILED: x");
  view.finish();
  assert.deepEqual(screen.lines, ["run: 3 jobs", "a: FAILED: x"]);
});
