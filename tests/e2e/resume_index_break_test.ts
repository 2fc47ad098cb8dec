/**
 * An adversarial pass over the resume index (issue 11): a run answered from
 * the index must do, print and leave exactly what the whole path would.
 * Each test here makes the two paths meet the same situation and compares.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import { runAgainst, sampleJobs, startService, TEST_KEY, writeManifest } from "./harness.ts";
import { runBatch } from "../../src/batch/run.ts";
import { inputDigestsOf, resumeSettingsOf } from "../../src/batch/unchanged.ts";
import { validateManifest } from "../../src/manifest/validate.ts";
import { readResumeIndex } from "../../src/batch/resume_index_file.ts";

const INDEX = ".resume-index";

/** What a run printed, its times and durations blanked. */
function printed(lines: string[]): string[] {
  return lines.map((line) =>
    line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>").replace(/\b\d+(\.\d+)? ?m?s\b/g, "<dur>")
  );
}

Deno.test("run interrupted before it starts prints the same stop line and exit code with or without the index", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.lstat(join(outDir, INDEX));
      const stopped = new AbortController();
      stopped.abort();
      const fast = await runAgainst(manifest, service, [], stopped.signal);
      await Deno.remove(join(outDir, INDEX)).catch(() => {});
      const whole = await runAgainst(manifest, service, [], stopped.signal);
      assert.equal(whole.code, 130, whole.stderr.join("\n"));
      assert.equal(fast.code, whole.code);
      assert.deepEqual(printed(fast.stderr), printed(whole.stderr));
      assert.deepEqual(printed(fast.stdout), printed(whole.stdout));
    } finally {
      await service.close();
    }
  });
});

/** The process's peak resident memory so far, in bytes (Linux). */
async function peakMemory(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  assert.ok(match, "VmHWM in /proc/self/status");
  return Number(match[1]) * 1024;
}

Deno.test({
  name:
    "readResumeIndex does not load a large file that does not begin and end as an index (a sparse file of 300 MB costs no memory)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, INDEX);
      {
        using file = await Deno.open(path, { write: true, create: true });
        await file.truncate(300 * 1024 * 1024);
      }
      const before = await peakMemory();
      assert.equal(await readResumeIndex(dir), undefined);
      const grown = (await peakMemory()) - before;
      assert.ok(grown < 64 * 1024 * 1024, `the peak memory grew by ${grown} bytes`);
    });
  },
});

Deno.test("runBatch given the inputs' digests but only some of the manifest's jobs leaves no index, so the next run submits the others", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(4));
      const outDir = join(dir, "batch.out");
      const settings = resumeSettingsOf({ manifest, out: outDir });
      const inputDigests = await inputDigestsOf(settings);
      assert.ok(inputDigests);
      const validation = await validateManifest(manifest);
      // A library user runs a subset of the jobs.
      const subset = { ...validation, jobs: validation.jobs.slice(0, 2) };
      const first = await runBatch(subset, {
        baseUrl: service.url,
        apiKey: TEST_KEY,
        out: outDir,
        pollIntervalSeconds: 0.02,
        inputDigests,
      });
      assert.equal(first.exitCode, 0);
      assert.equal(service.stats().requests.submit, 2);
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.equal(service.stats().requests.submit, 4, "the two jobs left out are submitted");
    } finally {
      await service.close();
    }
  });
});

Deno.test("run after the kept old videos' names changed writes the reports the whole path writes, even when the names joined by line breaks read the same", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(2));
      const outDir = join(dir, "batch.out");
      const previous = join(outDir, "videos/previous");
      await Deno.mkdir(previous, { recursive: true });
      await Deno.writeTextFile(join(previous, "a.0123abcd.mp4"), "old a");
      await Deno.writeTextFile(join(previous, "b.0123abcd.mp4"), "old b");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.lstat(join(outDir, INDEX));
      // Two names become one that holds a line break between them.
      await Deno.remove(join(previous, "a.0123abcd.mp4"));
      await Deno.rename(
        join(previous, "b.0123abcd.mp4"),
        join(previous, "a.0123abcd.mp4\nb.0123abcd.mp4"),
      );
      const before = await Deno.readTextFile(join(outDir, "report.json"));
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.notEqual(
        await Deno.readTextFile(join(outDir, "report.json")),
        before,
        "the reports were written again",
      );
    } finally {
      await service.close();
    }
  });
});
