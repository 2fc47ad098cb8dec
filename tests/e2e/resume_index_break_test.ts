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
import { lockOutDir } from "../../src/batch/folder.ts";
import { inputDigestsOf, resumeSettingsOf } from "../../src/batch/unchanged.ts";
import { validateManifest } from "../../src/manifest/validate.ts";
import { readResumeIndex } from "../../src/batch/resume_index_file.ts";

const INDEX = ".resume-index";

/** Identity of a file: a rewrite (remove, then rename a new one in) changes it. */
async function identity(path: string): Promise<string> {
  const info = await Deno.lstat(path);
  return `${info.ino}:${info.mtime?.getTime()}:${info.size}`;
}

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

/** Rewrite a file in place with text of the same length, keeping its modification time. */
async function editKeepingSizeAndTime(path: string, edit: (text: string) => string): Promise<void> {
  const info = await Deno.lstat(path);
  const text = await Deno.readTextFile(path);
  const edited = edit(text);
  assert.notEqual(edited, text);
  assert.equal(edited.length, text.length);
  await Deno.writeTextFile(path, edited);
  await Deno.utime(path, info.atime ?? new Date(0), info.mtime ?? new Date(0));
}

Deno.test("after a finished run, a manifest edited with its size and time kept makes the edited job changed (the index is not used)", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.lstat(join(dir, "batch.out", INDEX));
      await editKeepingSizeAndTime(manifest, (text) => text.replace("Scene 3", "Scene 9"));
      const posts = service.stats().requests.submit;
      const run = await runAgainst(manifest, service);
      assert.ok(
        run.stderr.some((line) => /clip-003/.test(line) && /changed|edited/.test(line)),
        run.stderr.join("\n"),
      );
      assert.equal(service.stats().requests.submit, posts, "a changed job is not paid for again");
    } finally {
      await service.close();
    }
  });
});

Deno.test("after a finished run, the journal edited with its size and time kept is replayed: a recorded size changed makes the video fetched again", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.lstat(join(outDir, INDEX));
      await editKeepingSizeAndTime(
        join(outDir, "state.jsonl"),
        (text) =>
          text.replace(
            /"bytes":(\d*)(\d)/,
            (_all, head, last) => `"bytes":${head}${(Number(last) + 1) % 10}`,
          ),
      );
      const posts = service.stats().requests.submit;
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.ok(
        run.stderr.some((line) => /video altered on disk/.test(line)),
        run.stderr.join("\n"),
      );
      assert.equal(service.stats().requests.submit, posts);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run over a finished batch exits 75 while another run holds its folder, from the index too", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(2));
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      const index = await Deno.readFile(join(outDir, INDEX));
      const lock = await lockOutDir(outDir);
      try {
        const fast = await runAgainst(manifest, service);
        assert.equal(fast.code, 75, fast.stderr.join("\n"));
        assert.deepEqual(await Deno.readFile(join(outDir, INDEX)), index);
      } finally {
        await lock.release();
      }
    } finally {
      await service.close();
    }
  });
});

Deno.test("after a job was dropped from the manifest, deleting its video does not keep later runs off the index", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await writeManifest(dir, sampleJobs(2));
      assert.equal((await runAgainst(manifest, service)).code, 0);
      // The dropped job's video is the user's to delete: no run fetches it again.
      await Deno.remove(join(outDir, "videos/clip-003.mp4"));
      const index = await identity(join(outDir, INDEX));
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.equal(await identity(join(outDir, INDEX)), index, "the index was used");
      await assert.rejects(Deno.lstat(join(outDir, "videos/clip-003.mp4")), Deno.errors.NotFound);
    } finally {
      await service.close();
    }
  });
});
