import assert from "node:assert/strict";
import { join } from "node:path";
import { BatchError } from "../src/errors.ts";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { readJournal, replayEvents, replayText } from "../src/journal/replay.ts";
import { openJournal } from "../src/journal/writer.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const AT = "2025-01-01T00:00:00.000Z";
const CHILD = new URL("./fixtures/journal/append_until_killed.ts", import.meta.url);

function submitting(index: number): JournalEvent {
  return { type: "submitting", at: AT, job: `job-${index}`, fingerprint: "fp", key: `k-${index}` };
}

Deno.test("`openJournal()` appends one line per event that replays to the same states", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const events: JournalEvent[] = [
      submitting(1),
      { type: "submitted", at: AT, job: "job-1", key: "k-1", task: "t-1" },
      { type: "task_succeeded", at: AT, job: "job-1", task: "t-1" },
    ];
    const journal = await openJournal(path);
    for (const event of events) await journal.append(event);
    await journal.close();
    const text = await Deno.readTextFile(path);
    assert.equal(text, events.map((e) => encodeEvent(e) + "\n").join(""));
    assert.deepEqual(replayText(text).states, replayEvents(events));
  });
});

Deno.test("`append()` shares fsyncs among 1000 concurrent appends (group commit)", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    let fsyncs = 0;
    const journal = await openJournal(path, {
      fsync: (file) => {
        fsyncs += 1;
        return file.syncData();
      },
    });
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) appends.push(journal.append(submitting(i)));
    await Promise.all(appends);
    await journal.close();
    const result = await readJournal(path);
    assert.equal(result.states.size, 1000);
    assert.equal((await Deno.readTextFile(path)).split("\n").length, 1001);
    assert.ok(fsyncs < 1000 / 10, `${fsyncs} fsyncs for 1000 appends`);
    assert.equal(journal.fsyncs, fsyncs);
  });
});

Deno.test("`append()` resolves only after the event's fsync, batching appends made meanwhile", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const firstFsync = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    let fsyncs = 0;
    const journal = await openJournal(path, {
      fsync: async (file) => {
        fsyncs += 1;
        if (fsyncs === 1) {
          firstFsync.resolve();
          await gate.promise;
        }
        await file.syncData();
      },
    });
    let firstDurable = false;
    const first = journal.append(submitting(0)).then(() => {
      firstDurable = true;
    });
    await firstFsync.promise;
    const later = Array.from({ length: 10 }, (_, i) => journal.append(submitting(i + 1)));
    assert.equal(firstDurable, false);
    gate.resolve();
    await Promise.all([first, ...later]);
    assert.equal(firstDurable, true);
    assert.equal(fsyncs, 2);
    await journal.close();
    assert.equal((await readJournal(path)).states.size, 11);
  });
});

Deno.test("`append()` rejects the batch whose fsync fails and writes a later append on a line of its own", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const gate = Promise.withResolvers<void>();
    const failing = Promise.withResolvers<void>();
    let fsyncs = 0;
    const journal = await openJournal(path, {
      fsync: async (file) => {
        fsyncs += 1;
        if (fsyncs === 2) {
          failing.resolve();
          await gate.promise;
          // As a full disk does: part of a line written, then the failure.
          await file.write(new TextEncoder().encode('{"type":"subm'));
          throw new Error("No space left on device");
        }
        await file.syncData();
      },
    });
    await journal.append(submitting(0));
    const failed = journal.append(submitting(1));
    await failing.promise;
    // This one arrives while the failing fsync runs: it goes in the next batch.
    const later = journal.append(submitting(2));
    gate.resolve();
    await assert.rejects(failed, (error: unknown) => {
      assert.ok(error instanceof BatchError);
      assert.equal(error.code, "journal_write");
      assert.match(error.message, /^Cannot append to journal .*state\.jsonl/);
      assert.match(error.message, /No space left on device/);
      return true;
    });
    await later;
    await journal.append(submitting(1));
    await journal.close();
    const result = await readJournal(path);
    assert.deepEqual([...result.states.keys()].sort(), ["job-0", "job-1", "job-2"]);
    // The torn piece is one corrupt line; no event was glued to it.
    assert.equal(result.skipped, 1);
    assert.equal(journal.fsyncs, 3);
  });
});

Deno.test("`append()` rejects after `close()`", async () => {
  await withTempDir(async (dir) => {
    const journal = await openJournal(join(dir, "state.jsonl"));
    const pending = journal.append(submitting(0));
    await journal.close();
    await pending;
    await journal.close();
    await assert.rejects(
      journal.append(submitting(1)),
      (error: unknown) =>
        error instanceof BatchError &&
        /Cannot append to journal .*: it is closed/.test(error.message),
    );
  });
});

Deno.test("`openJournal()` ends a torn last line before appending", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const before = encodeEvent(submitting(0)) + "\n" + encodeEvent(submitting(1)).slice(0, 25);
    await Deno.writeTextFile(path, before);
    const journal = await openJournal(path);
    await journal.append(submitting(2));
    await journal.close();
    const text = await Deno.readTextFile(path);
    assert.equal(text, before + "\n" + encodeEvent(submitting(2)) + "\n");
    const result = replayText(text);
    assert.deepEqual([...result.states.keys()], ["job-0", "job-2"]);
    assert.equal(result.skipped, 1);
    assert.equal(result.tornTail, false);
  });
});

Deno.test("`openJournal()` adds nothing to a journal that ends with a newline", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const before = encodeEvent(submitting(0)) + "\n";
    await Deno.writeTextFile(path, before);
    const journal = await openJournal(path);
    await journal.close();
    assert.equal(await Deno.readTextFile(path), before);
  });
});

Deno.test("`openJournal()` fails clearly when the folder does not exist", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      openJournal(join(dir, "missing", "state.jsonl")),
      (error: unknown) =>
        error instanceof BatchError && error.code === "journal_write" &&
        /^Cannot open journal .*missing/.test(error.message),
    );
  });
});

/**
 * Starts the appending child, waits until it has acknowledged at least
 * `atLeast` events, kills it with SIGKILL and returns every index it printed
 * as acknowledged.
 */
async function appendUntilKilled(path: string, prefix: string, atLeast: number): Promise<number[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", CHILD.pathname, path, prefix],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const acked: number[] = [];
  let carry = "";
  let killed = false;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    acked.push(...lines.map(Number));
    if (!killed && acked.length >= atLeast) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", "the child ended before it was killed");
  return acked;
}

Deno.test("`openJournal()` keeps every acknowledged event when its process is killed mid-write", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.jsonl");
    const rounds = [{ prefix: "r1", atLeast: 300 }, { prefix: "r2", atLeast: 700 }, {
      prefix: "r3",
      atLeast: 150,
    }];
    const ackedJobs: string[] = [];
    for (const [round, { prefix, atLeast }] of rounds.entries()) {
      // Every round after the first opens a journal a killed writer left behind.
      const acked = await appendUntilKilled(path, prefix, atLeast);
      assert.ok(acked.length >= atLeast);
      ackedJobs.push(...acked.map((index) => `${prefix}-${index}`));
      // SIGKILL does not cut a write() in half; a power cut can. Leave the
      // start of an unacknowledged event behind, as one would.
      const torn = encodeEvent(submitting(-1)).slice(0, 17 + round * 13);
      await Deno.writeTextFile(path, torn, { append: true });
    }
    const { states, tornTail, skipped } = await readJournal(path);
    const missing = ackedJobs.filter((job) => states.get(job)?.phase !== "uncertain");
    assert.deepEqual(missing, []);
    assert.equal(tornTail, true);
    assert.equal(skipped, rounds.length - 1);
  });
});
