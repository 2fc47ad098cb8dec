import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeLine, encodeEvent } from "../src/journal/codec.ts";
import type { JournalEntry, JournalEvent, RunStartedEvent } from "../src/journal/events.ts";
import { lazyRunJournal } from "../src/journal/run_journal.ts";
import { JournalReplay, readJournal, replayEvents, replayText } from "../src/journal/replay.ts";
import {
  COMPACT_MIN_LINES,
  compactAfterRun,
  compactJournal,
  worthCompacting,
} from "../src/journal/compact.ts";
import { createRandom } from "../src/simulator/random.ts";
import { parseRecoveryText } from "../src/journal/recovery.ts";
import { randomEvents } from "./helpers/journal_events.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

/** The compacted form of events, as the lines a compaction writes. */
function compactedText(events: JournalEvent[]): string {
  const replay = new JournalReplay();
  for (const event of events) replay.apply(event);
  return [...replay.compacted()].map((event) => encodeEvent(event) + "\n").join("");
}

function text(events: JournalEntry[]): string {
  return events.map((event) => encodeEvent(event) + "\n").join("");
}

Deno.test("replay of a compacted journal equals replay of the journal, and so do later events", () => {
  for (let seed = 1; seed <= 400; seed++) {
    const random = createRandom(seed * 7919);
    const events = randomEvents(seed, 5 + Math.floor(random() * 80), 1 + (seed % 4));
    const cut = Math.floor(random() * (events.length + 1));
    const [before, after] = [events.slice(0, cut), events.slice(cut)];
    const compacted = compactedText(before);
    assert.deepEqual(replayText(compacted).states, replayEvents(before), `seed ${seed}`);
    assert.deepEqual(
      replayText(compacted + text(after)).states,
      replayEvents(events),
      `seed ${seed}, events after the compaction`,
    );
    // Compacting a compacted journal (with more events) changes nothing either.
    const again = new JournalReplay();
    replayTextInto(again, compacted + text(after));
    const twice = [...again.compacted()].map((e) => encodeEvent(e) + "\n").join("");
    assert.deepEqual(replayText(twice).states, replayEvents(events), `seed ${seed}, twice`);
  }
});

function replayTextInto(replay: JournalReplay, journal: string): void {
  for (const line of journal.split("\n")) replay.applyLine(line);
}

Deno.test("a compacted journal holds one line per job", () => {
  const events = randomEvents(42, 500, 7);
  const lines = compactedText(events).trimEnd().split("\n");
  assert.equal(lines.length, replayEvents(events).size);
  assert.ok(lines.every((line) => decodeLine(line)?.type === "job_state"));
});

Deno.test("`decodeLine()` refuses a job_state whose state is not one a replay builds", async (t) => {
  const done = {
    job: "a",
    phase: "done",
    attempts: 1,
    task: "t",
    createdAt: "x",
    output: "videos/a.mp4",
    bytes: 1,
    sha256: "ab",
    downloadedAt: "y",
  };
  const line = (state: unknown): string => JSON.stringify({ type: "job_state", key: "k", state });
  assert.equal(decodeLine(line(done))?.type, "job_state");
  const bad: Record<string, unknown> = {
    "an unknown phase": { ...done, phase: "finished" },
    "a field its phase never has": { ...done, phase: "running", output: undefined, error: {} },
    "a pending job with a task": { job: "a", phase: "pending", attempts: 1, task: "t" },
    "a done job without its video": { ...done, sha256: undefined },
    "a failure of no known kind": { ...done, phase: "failed", failure: "other" },
    "attempts that are not a number": { ...done, attempts: "1" },
    "no state": undefined,
  };
  for (const [name, state] of Object.entries(bad)) {
    await t.step(name, () => assert.equal(decodeLine(line(state)), undefined));
  }
  assert.equal(decodeLine(JSON.stringify({ type: "job_state", state: done })), undefined);
});

Deno.test("`JournalReplay` names an event type this version does not know", () => {
  const journal = text(randomEvents(3, 5)) + '{"type":"job_snapshot","job":"a"}\n' +
    text(randomEvents(4, 5));
  const replay = new JournalReplay();
  replayTextInto(replay, journal);
  assert.equal(replay.result.skipped, 1);
  assert.equal(replay.unknownType, "job_snapshot");
});

Deno.test("`compactJournal()` replaces the journal with one that replays the same, with its permissions", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const events = randomEvents(9, 3000, 50);
    await Deno.writeTextFile(path, text(events), { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    const replay = new JournalReplay();
    const before = await readJournal(path, replay);
    const compaction = await compactJournal(path, replay, { linesPerWrite: 7 });
    assert.equal(compaction.linesBefore, events.length);
    assert.equal(compaction.linesAfter, before.states.size);
    assert.equal(compaction.bytesAfter, (await Deno.stat(path)).size);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual((await readJournal(path)).states, replayEvents(events));
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), [
      "state.jsonl",
    ]);
  });
});

Deno.test("`compactAfterRun()` compacts only a long journal with no unread line or recovery file", async (t) => {
  assert.equal(worthCompacting(COMPACT_MIN_LINES - 1, 1), false);
  assert.equal(worthCompacting(COMPACT_MIN_LINES, COMPACT_MIN_LINES / 4), false);
  assert.equal(worthCompacting(COMPACT_MIN_LINES, COMPACT_MIN_LINES / 4 - 1), true);
  const started: JournalEvent = { type: "run_started", at: "x", pid: 1, host: "h", version: "0" };
  const long = text(randomEvents(5, 50, 5)) + text(Array(COMPACT_MIN_LINES).fill(started));
  const cases: { name: string; journal: string; recovery?: boolean; compacts: boolean }[] = [
    { name: "a long history", journal: long, compacts: true },
    { name: "a short one", journal: text(randomEvents(5, 50, 5)), compacts: false },
    { name: "a corrupt line", journal: "{oops\n" + long, compacts: false },
    { name: "an unfolded recovery file", journal: long, recovery: true, compacts: false },
  ];
  for (const { name, journal, recovery, compacts } of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "state.jsonl");
        await Deno.writeTextFile(path, journal);
        if (recovery) await Deno.writeTextFile(join(dir, "recovered-1.jsonl"), "\n");
        const replay = new JournalReplay();
        const { states } = await readJournal(path, replay);
        const said = await compactAfterRun(path, replay, 0);
        if (compacts) {
          assert.match(said ?? "", /^compacted .*state\.jsonl: 10,\d{3} lines → 5 lines/);
        } else assert.equal(said, undefined);
        const after = await Deno.readTextFile(path);
        if (!compacts) assert.equal(after, journal);
        else assert.equal(after.trimEnd().split("\n").length, states.size);
        assert.deepEqual((await readJournal(path)).states, states);
      });
    });
  }
});

Deno.test("`compactAfterRun()` leaves the journal as it was when the rewrite fails, and says why", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const started: JournalEvent = { type: "run_started", at: "x", pid: 1, host: "h", version: "0" };
    const journal = text(randomEvents(5, 50, 5)) + text(Array(COMPACT_MIN_LINES).fill(started));
    await Deno.writeTextFile(path, journal);
    // Something that is not a file where the new journal would be written.
    const blocker = join(dir, `state.jsonl.compact-${Deno.pid}`);
    await Deno.mkdir(blocker);
    await Deno.writeTextFile(join(blocker, "x"), "x");
    const replay = new JournalReplay();
    await readJournal(path, replay);
    const said = await compactAfterRun(path, replay, 0);
    assert.match(
      said ?? "",
      /^warning: Cannot compact journal .*state\.jsonl: .*; it is kept as it was$/,
    );
    assert.equal(await Deno.readTextFile(path), journal);
  });
});

Deno.test("`compactAfterRun()` removes its new journal when the rename over the old one fails", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const started: JournalEvent = { type: "run_started", at: "x", pid: 1, host: "h", version: "0" };
    await Deno.writeTextFile(
      path,
      text(randomEvents(5, 50, 5)) + text(Array(COMPACT_MIN_LINES).fill(started)),
    );
    const replay = new JournalReplay();
    await readJournal(path, replay);
    // The journal's name now holds a folder that is not empty: the rename cannot replace it.
    await Deno.remove(path);
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "x"), "x");
    const said = await compactAfterRun(path, replay, 0);
    assert.match(said ?? "", /^warning: Cannot compact journal .*; it is kept as it was$/);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["state.jsonl"]);
  });
});

Deno.test("`parseRecoveryText()` refuses a job's whole state: a run never keeps one there", () => {
  const [line] = compactedText(randomEvents(2, 20, 1)).split("\n");
  assert.throws(
    () => parseRecoveryText(`${line}\n${text(randomEvents(3, 1, 1))}`, "recovered-x.jsonl"),
    /recovered-x\.jsonl .*line 1 is not a journal event/,
  );
});

Deno.test("`lazyRunJournal()` writes run_started just before the run's first event, and never without one", async () => {
  const written: JournalEvent[] = [];
  const writer = {
    append: (event: JournalEvent) => (written.push(event), Promise.resolve()),
    close: () => Promise.resolve(),
    fsyncs: 0,
  };
  const started: JournalEvent = { type: "run_started", at: "t0", pid: 1, host: "h", version: "0" };
  const idle = lazyRunJournal(writer, () => started as RunStartedEvent);
  await idle.close();
  assert.deepEqual(written, []);
  assert.equal(idle.appended, 0);

  const busy = lazyRunJournal(writer, () => started as RunStartedEvent);
  const [a, b] = randomEvents(8, 2, 1);
  await Promise.all([busy.append(a), busy.append(b)]);
  assert.deepEqual(written, [started, a, b]);
  assert.equal(busy.appended, 3);
});
