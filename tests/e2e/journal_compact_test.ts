import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { encodeEvent } from "../../src/journal/codec.ts";
import type { JobState, JournalEntry, JournalEvent } from "../../src/journal/events.ts";
import { JournalReplay, readJournal } from "../../src/journal/replay.ts";
import { COMPACT_MIN_LINES } from "../../src/journal/compact.ts";
import { createRandom } from "../../src/simulator/random.ts";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { randomEvents } from "../helpers/journal_events.ts";
import {
  runAgainst,
  sampleJobs,
  startService,
  type TestService,
  writeManifest,
} from "./harness.ts";

const CHILD = new URL("../fixtures/journal/compact_until_killed.ts", import.meta.url);

function text(events: JournalEntry[]): string {
  return events.map((event) => encodeEvent(event) + "\n").join("");
}

async function statesOf(out: string): Promise<Map<string, JobState>> {
  return (await readJournal(join(out, "state.jsonl"))).states;
}

/** A finished batch of three jobs in `dir`, its output folder, and the service it ran on. */
async function finishedBatch(
  dir: string,
  service: TestService,
): Promise<{ manifest: string; out: string }> {
  const manifest = await writeManifest(dir, sampleJobs(3));
  const first = await runAgainst(manifest, service);
  assert.equal(first.code, 0, first.stderr.join("\n"));
  return { manifest, out: join(dir, "batch.out") };
}

Deno.test("a second run of a finished batch leaves its journal byte for byte as it was", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, out } = await finishedBatch(dir, service);
      const path = join(out, "state.jsonl");
      const [bytes, mtime] = [await Deno.readFile(path), (await Deno.stat(path)).mtime];
      const submits = service.stats().requests.submit;
      const second = await runAgainst(manifest, service);
      assert.equal(second.code, 0, second.stderr.join("\n"));
      assert.deepEqual(await Deno.readFile(path), bytes);
      assert.deepEqual((await Deno.stat(path)).mtime, mtime);
      assert.equal(service.stats().requests.submit, submits);
    } finally {
      await service.close();
    }
  });
});

Deno.test("a cron pass over tasks still rendering whose status did not change leaves the journal as it was", async () => {
  await withTempDir(async (dir) => {
    // Renders of ten minutes: every task stays queued for the whole test.
    const service = await startService({ renderMs: { min: 600_000, max: 600_000 } });
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      // The first pass submits; the second sees each task queued and journals it.
      for (let pass = 0; pass < 2; pass += 1) {
        const run = await runAgainst(manifest, service, ["--once"]);
        assert.equal(run.code, 3, run.stderr.join("\n"));
      }
      const path = join(dir, "batch.out", "state.jsonl");
      const statuses = (await Deno.readTextFile(path)).split("\n")
        .filter((line) => line.includes('"type":"status"'));
      assert.equal(statuses.length, 3);
      const [bytes, mtime] = [await Deno.readFile(path), (await Deno.stat(path)).mtime];
      const polls = service.stats().requests.poll;
      const second = await runAgainst(manifest, service, ["--once"]);
      assert.equal(second.code, 3, second.stderr.join("\n"));
      // It did ask the service, and had nothing new to write.
      assert.ok(service.stats().requests.poll >= polls + 3);
      assert.deepEqual(await Deno.readFile(path), bytes);
      assert.deepEqual((await Deno.stat(path)).mtime, mtime);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run compacts a long journal at its end into one line per job, and says so", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, out } = await finishedBatch(dir, service);
      const path = join(out, "state.jsonl");
      // Years of cron passes, each of which wrote its `run_started`.
      const pass: JournalEvent = { type: "run_started", at: "x", pid: 1, host: "h", version: "0" };
      await Deno.writeTextFile(path, text(Array(COMPACT_MIN_LINES).fill(pass)), { append: true });
      const before = await statesOf(out);
      const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").length;
      const statusBefore = await runCli(["status", manifest]);
      const submits = service.stats().requests.submit;

      const second = await runAgainst(manifest, service);
      assert.equal(second.code, 0, second.stderr.join("\n"));
      const said = [...second.stdout, ...second.stderr].filter((l) => l.includes("compacted"));
      assert.equal(said.length, 1, [...second.stdout, ...second.stderr].join("\n"));
      assert.match(
        said[0],
        new RegExp(`state\\.jsonl: ${lines.toLocaleString("en-US")} lines → 3 lines`),
      );
      const after = (await Deno.readTextFile(path)).trimEnd().split("\n");
      assert.deepEqual(after.map((line) => JSON.parse(line).type), Array(3).fill("job_state"));
      assert.deepEqual(await statesOf(out), before);
      assert.deepEqual((await runCli(["status", manifest])).stdout, statusBefore.stdout);
      assert.equal(service.stats().requests.submit, submits);
      assert.ok(
        !(await Array.fromAsync(Deno.readDir(out))).some((e) => e.name.includes("compact")),
      );
    } finally {
      await service.close();
    }
  });
});

/** Start the compaction child, wait until it paused at `step`, and SIGKILL it. */
async function killCompactionAt(out: string, step: string, linesPerWrite: number): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD.pathname, out, step, String(linesPerWrite)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  child.kill("SIGKILL");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stdin.close().catch(() => {});
  const stderr = await new Response(child.stderr).text();
  assert.equal(said, "paused\n", `the child did not pause at ${step}: ${said}${stderr}`);
  assert.equal(status.signal, "SIGKILL");
}

Deno.test("a compaction killed at any point leaves the old journal or the new one, and the next run pays nothing again", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, out } = await finishedBatch(dir, service);
      const path = join(out, "state.jsonl");
      // A large journal: the batch's own jobs and 400 more with long histories.
      await Deno.writeTextFile(path, text(randomEvents(11, 20_000, 400)), { append: true });
      const old = await Deno.readFile(path);
      const replay = new JournalReplay();
      const { states } = await readJournal(path, replay);
      const compacted = new TextEncoder().encode(text([...replay.compacted()]));
      const submits = service.stats().requests.submit;

      const linesPerWrite = 50;
      const random = createRandom(11);
      const writes = Math.ceil(states.size / linesPerWrite);
      const steps = [
        "written:50",
        ...[1, 2].map(() => `written:${linesPerWrite * (2 + Math.floor(random() * (writes - 3)))}`),
        `written:${states.size}`,
        "synced",
        "renamed",
      ];
      for (const step of steps) {
        await Deno.writeFile(path, old);
        await killCompactionAt(out, step, linesPerWrite);
        const now = await Deno.readFile(path);
        const expected = step === "renamed" ? compacted : old;
        assert.ok(Buffer.from(now).equals(Buffer.from(expected)), `${step}: neither old nor new`);
        assert.deepEqual(await statesOf(out), states, step);
        const leftovers = (await Array.fromAsync(Deno.readDir(out)))
          .map((entry) => entry.name).filter((name) => name.startsWith("state.jsonl.compact-"));
        assert.equal(leftovers.length, step === "renamed" ? 0 : 1, step);

        const status = await runCli(["status", manifest]);
        assert.equal(status.code, 0, status.stderr.join("\n"));
        const next = await runAgainst(manifest, service);
        assert.equal(next.code, 0, next.stderr.join("\n"));
        assert.equal(service.stats().requests.submit, submits, `${step}: no POST again`);
        assert.deepEqual(await statesOf(out), states, `${step}: after the next run`);
        assert.ok(
          !(await Array.fromAsync(Deno.readDir(out))).some((e) => e.name.includes(".compact-")),
          `${step}: the leftover is swept`,
        );
      }
    } finally {
      await service.close();
    }
  });
});
