/**
 * A journal on a disk that fills up while a POST is in flight (issue 8, item
 * 4), on a real tmpfs: the run stops submitting, keeps the task the service
 * created in its recovery file (reserved while there was room), prints it,
 * and the next run, with space freed, polls and downloads it without a new POST.
 *
 * Mounting needs root (CI runs as root); where it is not permitted the test is
 * ignored with the reason, decided once when this module loads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { startHookedSimulator } from "../helpers/hooked_simulator.ts";
import { decodeLine } from "../../src/journal/codec.ts";
import type { JournalEntry, JournalEvent } from "../../src/journal/events.ts";
import { isRecoveryFileName, parseRecoveryText } from "../../src/journal/recovery.ts";
import { readReport, sampleJobs, sha256File, TEST_KEY, writeManifest } from "./harness.ts";

/** tmpfs allocates whole pages. */
const PAGE = 4096;

/** Mount a tmpfs of `size` at `dir`; the error text when it cannot be done. */
async function mountTmpfs(dir: string, size: string): Promise<string | undefined> {
  try {
    const result = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    return result.success ? undefined : new TextDecoder().decode(result.stderr).trim() ||
      `mount exited with code ${result.code}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

/** Whether this process may mount a tmpfs, found out once at load. */
async function probeTmpfs(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "tmpfs mounts need Linux";
  const dir = await Deno.makeTempDir({ prefix: "tmpfs-probe-" });
  try {
    const failure = await mountTmpfs(dir, "64k");
    if (failure !== undefined) return `cannot mount a tmpfs: ${failure}`;
    await unmount(dir);
    return undefined;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

const noTmpfs = await probeTmpfs();

/** Write into `path` until the file system has not one byte left. */
function fillDisk(path: string): void {
  using file = Deno.openSync(path, { write: true, create: true });
  for (const size of [65536, PAGE, 1]) {
    const chunk = new Uint8Array(size);
    try {
      for (;;) file.writeSync(chunk);
    } catch (error) {
      if (!/No space left|os error 28/.test(String(error))) throw error;
    }
  }
}

/**
 * End the journal at a page boundary with newlines (blank lines replay as
 * nothing) so that its next event needs a page the disk no longer has.
 */
function padToPage(path: string): void {
  const pad = (PAGE - Deno.statSync(path).size % PAGE) % PAGE;
  using file = Deno.openSync(path, { append: true });
  file.writeSync(new Uint8Array(pad).fill(0x0a));
}

function journalEvents(text: string): JournalEntry[] {
  return text.split("\n").flatMap((line) => decodeLine(line) ?? []);
}

Deno.test({
  name:
    "run keeps a task created while the disk filled up and the next run downloads it without a new POST" +
    (noTmpfs ? ` [ignored: ${noTmpfs}]` : ""),
  ignore: noTmpfs !== undefined,
  fn: async () => {
    await withTempDir(async (dir) => {
      const disk = join(dir, "disk");
      await Deno.mkdir(disk);
      const failure = await mountTmpfs(disk, "2m");
      assert.equal(failure, undefined);
      const sim = startHookedSimulator({
        seed: 5,
        key: TEST_KEY,
        renderMs: { min: 50, max: 150 },
        urlTtlMs: 60_000,
      });
      try {
        const jobs = sampleJobs(6);
        const manifest = await writeManifest(dir, jobs);
        const outDir = join(disk, "out");
        const journalFile = join(outDir, "state.jsonl");
        const filler = join(disk, "filler");
        const env = { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: sim.url };
        // The disk fills up while the service receives the second POST:
        // the task it creates cannot be journaled.
        let posts = 0;
        sim.onRequest = (kind) => {
          if (kind !== "submit" || ++posts !== 2) return;
          fillDisk(filler);
          padToPage(journalFile);
        };
        const first = await runCli(
          ["run", manifest, "--out", outDir, "--poll-interval", "0.02", "--concurrency", "3"],
          {
            env,
            // Space comes back once the run has said what it could not journal,
            // so its reports can be written.
            onStderr: (line) => {
              if (line.includes("the run stopped submitting at once")) Deno.removeSync(filler);
            },
          },
        );
        sim.onRequest = () => {};
        const printed = first.stderr.join("\n");
        assert.equal(first.code, 3, printed);
        assert.match(printed, /Cannot append to journal .*state\.jsonl.*No space left/);

        const stats = sim.stats();
        const journal = journalEvents(await Deno.readTextFile(journalFile));
        const recovered: JournalEvent[] = [];
        for (const entry of await Array.fromAsync(Deno.readDir(outDir))) {
          if (!isRecoveryFileName(entry.name)) continue;
          const path = join(outDir, entry.name);
          recovered.push(...parseRecoveryText(await Deno.readTextFile(path), path).events);
        }
        const holds = (events: JournalEntry[], task: string): boolean =>
          events.some((e) => e.type === "submitted" && e.task === task);
        // No POST without a durable `submitting`: nothing was sent once the disk was full.
        const journaledKeys = new Set(journal.flatMap((e) => e.type === "submitting" ? e.key : []));
        for (const sent of stats.submissions) assert.ok(journaledKeys.has(sent.idempotencyKey!));
        assert.ok(stats.submissions.length < jobs.length, `${stats.submissions.length} POSTs`);
        // Every task the service created is in the journal, or kept and printed.
        const created = stats.submissions.flatMap((s) => s.taskId ?? []);
        assert.ok(created.length >= 2);
        let kept = 0;
        for (const task of created) {
          if (holds(journal, task)) continue;
          kept++;
          assert.ok(holds(recovered, task), `task ${task} is in no file`);
          assert.ok(printed.includes(`task ${task}`), `task ${task} was not printed:\n${printed}`);
        }
        assert.ok(kept >= 1, "the second POST's task was journaled: the disk did not fill");
        // The jobs never sent are pending, not uncertain.
        const report = await readReport(outDir);
        const sentPrompts = new Set(stats.submissions.map((s) => s.prompt));
        for (const row of report.jobs) {
          const job = jobs.find((j) => j.id === row.id)!;
          if (!sentPrompts.has(job.prompt)) assert.equal(row.status, "pending", row.id);
        }

        // With space again: the kept tasks are polled and downloaded, never POSTed again.
        const second = await runCli(["run", manifest, "--out", outDir, "--poll-interval", "0.02"], {
          env,
        });
        assert.equal(second.code, 0, second.stderr.join("\n"));
        assert.match(second.stderr.join("\n"), /recovered: \d+ events? from .*recovered-.*\.jsonl/);
        const after = sim.stats();
        for (const job of jobs) {
          assert.equal(after.tasksCreatedByPrompt[job.prompt], 1, job.id);
          const sends = after.submissions.filter((s) => s.prompt === job.prompt).length;
          assert.equal(sends, 1, `${job.id}: ${sends} POSTs`);
        }
        const done = await readReport(outDir);
        assert.equal(done.totals.done, jobs.length);
        for (const row of done.jobs) {
          const sha = await sha256File(join(outDir, row.output as string));
          assert.equal(sha, after.servedSha256[row.task_id as string], row.id);
        }
        const left = (await Array.fromAsync(Deno.readDir(outDir))).map((e) => e.name);
        assert.deepEqual(left.filter(isRecoveryFileName), []);
      } finally {
        await sim.close();
        await unmount(disk);
      }
    });
  },
});
