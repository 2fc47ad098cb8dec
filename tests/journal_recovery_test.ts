import assert from "node:assert/strict";
import { join } from "node:path";
import { BatchError } from "../src/errors.ts";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { foldRecoveryFiles, parseRecoveryText, RecoveryFile } from "../src/journal/recovery.ts";
import { readJournal } from "../src/journal/replay.ts";
import { openJournal } from "../src/journal/writer.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const AT = "2025-01-01T00:00:00.000Z";
const NOW = new Date(AT);
const NAME = "recovered-2025-01-01T00-00-00-000Z.jsonl";

const SUBMITTING: JournalEvent = {
  type: "submitting",
  at: AT,
  job: "a",
  fingerprint: "fp",
  key: "k1",
};
const SUBMITTED: JournalEvent = { type: "submitted", at: AT, job: "a", key: "k1", task: "t1" };
const STATUS: JournalEvent = {
  type: "status",
  at: AT,
  job: "a",
  task: "t1",
  status: "in_progress",
  progress: 40,
};

Deno.test("`RecoveryFile.reserve()` reserves newlines that kept events are written over", async () => {
  await withTempDir(async (dir) => {
    const recovery = await RecoveryFile.reserve(dir, { bytes: 4096, now: NOW });
    const path = join(dir, NAME);
    assert.equal(recovery.path, path);
    assert.equal((await Deno.stat(path)).size, 4096);
    assert.equal(await recovery.keep(SUBMITTED), path);
    assert.equal(await recovery.keep(STATUS), path);
    await recovery.close();
    const text = await Deno.readTextFile(path);
    // Written over the reserve: the file did not grow.
    assert.equal(text.length, 4096);
    assert.deepEqual(parseRecoveryText(text, path), {
      events: [SUBMITTED, STATUS],
      tornTail: false,
    });
  });
});

Deno.test("`RecoveryFile.close()` removes a file that kept nothing", async () => {
  await withTempDir(async (dir) => {
    const recovery = await RecoveryFile.reserve(dir, { now: NOW });
    await recovery.close();
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  });
});

Deno.test("`RecoveryFile.reserve()` never writes through a symlink that has its name", async () => {
  await withTempDir(async (dir) => {
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "precious");
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await Deno.symlink(outside, join(out, NAME));
    const recovery = await RecoveryFile.reserve(out, { bytes: 1024, now: NOW });
    await recovery.keep(SUBMITTED);
    await recovery.close();
    assert.equal(await Deno.readTextFile(outside), "precious");
    assert.equal(recovery.path, join(out, "recovered-2025-01-01T00-00-00-000Z-1.jsonl"));
  });
});

Deno.test("`parseRecoveryText()` drops a torn last line and refuses a corrupt one before it", () => {
  const good = encodeEvent(SUBMITTED);
  assert.deepEqual(parseRecoveryText(`${good}\n{"type":"sta\n\n\n`, "r.jsonl"), {
    events: [SUBMITTED],
    tornTail: true,
  });
  assert.throws(
    () => parseRecoveryText(`${good}\njob a task t1\n${good}\n`, "out/r.jsonl"),
    (error: unknown) =>
      error instanceof BatchError && error.exitCode === 2 &&
      /^Cannot fold recovery file out\/r\.jsonl into the journal: line 2 /.test(error.message),
  );
});

Deno.test("`foldRecoveryFiles()` adds the events to the journal and removes the file", async () => {
  await withTempDir(async (dir) => {
    const journalFile = join(dir, "state.jsonl");
    await Deno.writeTextFile(journalFile, encodeEvent(SUBMITTING) + "\n");
    await Deno.writeTextFile(join(dir, NAME), encodeEvent(SUBMITTED) + "\n\n\n");
    const folded = await foldRecoveryFiles(dir, journalFile);
    assert.deepEqual(folded, [{ path: join(dir, NAME), events: 1, tornTail: false }]);
    const { states } = await readJournal(journalFile);
    assert.equal(states.get("a")?.phase, "running");
    assert.equal(states.get("a")?.task, "t1");
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name),
      ["state.jsonl"],
    );
  });
});

Deno.test("`foldRecoveryFiles()` after a crash between its append and its remove gives the same states", async () => {
  await withTempDir(async (dir) => {
    const journalFile = join(dir, "state.jsonl");
    await Deno.writeTextFile(journalFile, encodeEvent(SUBMITTING) + "\n");
    const recovered = encodeEvent(SUBMITTED) + "\n" + encodeEvent(STATUS) + "\n";
    // The crash: the events are in the journal, the file is still there.
    const journal = await openJournal(journalFile);
    await journal.append(SUBMITTED);
    await journal.append(STATUS);
    await journal.close();
    const once = (await readJournal(journalFile)).states;
    await Deno.writeTextFile(join(dir, NAME), recovered);
    await foldRecoveryFiles(dir, journalFile);
    assert.deepEqual((await readJournal(journalFile)).states, once);
  });
});

Deno.test("`foldRecoveryFiles()` refuses a recovery file that is a symlink, adding nothing", async () => {
  await withTempDir(async (dir) => {
    const journalFile = join(dir, "state.jsonl");
    const elsewhere = join(dir, "elsewhere.jsonl");
    await Deno.writeTextFile(elsewhere, encodeEvent(SUBMITTED) + "\n");
    await Deno.symlink(elsewhere, join(dir, "recovered-x.jsonl"));
    await assert.rejects(
      foldRecoveryFiles(dir, journalFile),
      (error: unknown) =>
        error instanceof BatchError && error.exitCode === 2 &&
        error.message.includes("recovered-x.jsonl") && /symbolic link/.test(error.message),
    );
    assert.equal((await readJournal(journalFile)).states.size, 0);
  });
});
