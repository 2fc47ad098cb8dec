/**
 * Issue 11: a resume over a finished batch where nothing changed answers
 * from the output folder's resume index (no validation, no replay), and
 * says and leaves exactly what the whole path would. Anything that changed
 * (a video, the manifest, an image, a flag, the journal, a report, the index
 * itself) sends the run down the whole path, which acts on it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import { makePng } from "../helpers/images.ts";
import {
  readReport,
  runAgainst,
  sampleJobs,
  startService,
  TEST_KEY,
  type TestService,
  writeManifest,
} from "./harness.ts";
import { runBatch } from "../../src/batch/run.ts";
import { withWorkerLooks } from "../helpers/worker_looks.ts";
import { validateManifest } from "../../src/manifest/validate.ts";
import type { InputDigests } from "../../src/resume_index.ts";
import {
  inputDigestsOf,
  matchingResumeIndex,
  resumeSettingsOf,
} from "../../src/batch/unchanged.ts";

const INDEX = ".resume-index";

/** Identity of a file: a rewrite (remove, then rename a new one in) changes it. */
async function identity(path: string): Promise<string> {
  const info = await Deno.lstat(path);
  return `${info.ino}:${info.mtime?.getTime()}:${info.size}`;
}

/** Every file of the output folder with its identity (the index aside). */
async function folderState(outDir: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  const walk = async (sub: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(outDir, sub))) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(path);
      else if (path !== INDEX) state[path] = await identity(join(outDir, path));
    }
  };
  await walk("");
  return state;
}

/** What a run printed, its times and durations blanked. */
function printed(lines: string[]): string[] {
  return lines.map((line) =>
    line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>").replace(/\b\d+(\.\d+)? ?m?s\b/g, "<dur>")
  );
}

/** A finished batch: 4 jobs (two with images) run to the end; the folder and the service. */
async function finishedBatch(
  dir: string,
  service: TestService,
  extra: string[] = [],
): Promise<{ manifest: string; outDir: string }> {
  const manifest = await writeManifest(dir, sampleJobs(4));
  const first = await runAgainst(manifest, service, extra);
  assert.ok(first.code === 0 || first.code === 1, first.stderr.join("\n"));
  return { manifest, outDir: join(dir, "batch.out") };
}

Deno.test("a second run of a finished batch leaves every file as it was and prints what the whole path prints", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir } = await finishedBatch(dir, service);
      const index = await identity(join(outDir, INDEX));
      const before = await folderState(outDir);
      const requests = JSON.stringify(service.stats().requests);

      const unchanged = await runAgainst(manifest, service);
      assert.equal(unchanged.code, 0, unchanged.stderr.join("\n"));
      assert.deepEqual(await folderState(outDir), before);
      assert.equal(await identity(join(outDir, INDEX)), index, "the index was used, not rewritten");

      // The whole path (no index) prints the same lines and leaves the same files.
      await Deno.remove(join(outDir, INDEX));
      const whole = await runAgainst(manifest, service);
      assert.equal(whole.code, unchanged.code);
      assert.deepEqual(printed(whole.stderr), printed(unchanged.stderr));
      assert.deepEqual(printed(whole.stdout), printed(unchanged.stdout));
      assert.deepEqual(await folderState(outDir), before);
      assert.equal(JSON.stringify(service.stats().requests), requests, "nothing was sent");
      // ... and writes a new index, which the next run uses.
      const rewritten = await identity(join(outDir, INDEX));
      assert.notEqual(rewritten, index);
      const json = await runAgainst(manifest, service, ["--log-format", "json"]);
      assert.equal(json.code, 0);
      assert.equal(await identity(join(outDir, INDEX)), rewritten);
      const summary = JSON.parse(json.stdout.at(-1)!);
      assert.equal(summary.type, "summary");
      assert.equal(summary.done, 4);
      assert.equal(summary.outDir, outDir);
    } finally {
      await service.close();
    }
  });
});

Deno.test("a finished batch with failed jobs is resumed from the index, and --retry-failed takes the whole path", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ failureRate: 1 });
    try {
      const { manifest, outDir } = await finishedBatch(dir, service);
      const index = await identity(join(outDir, INDEX));
      const posts = service.stats().requests.submit;
      const again = await runAgainst(manifest, service);
      assert.equal(again.code, 1, "failed jobs: exit 1, as the whole path says");
      assert.equal(await identity(join(outDir, INDEX)), index);
      assert.equal(service.stats().requests.submit, posts);
      const retry = await runAgainst(manifest, service, ["--retry-failed"]);
      assert.equal(retry.code, 1);
      assert.equal(service.stats().requests.submit, posts + 4, "each failed job submitted again");
    } finally {
      await service.close();
    }
  });
});

/** A change after a finished run, and what the next run must then do. */
interface Change {
  name: string;
  change: (dir: string, outDir: string) => Promise<void>;
  /** Checks the run after the change (the whole path's doing). */
  check: (
    run: { code: number; stderr: string[] },
    outDir: string,
    service: TestService,
    posts: number,
  ) => Promise<void>;
}

const CHANGES: Change[] = [
  {
    name: "a job added to the manifest is submitted",
    change: async (dir) => {
      const jobs = sampleJobs(5);
      await writeManifest(dir, jobs);
    },
    check: async (run, outDir, service, posts) => {
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.equal(service.stats().requests.submit, posts + 1);
      assert.equal((await readReport(outDir)).totals.done, 5);
    },
  },
  {
    name: "an image given new bytes makes its jobs changed",
    change: async (dir) => {
      await Deno.writeFile(join(dir, "images/b.png"), await makePng(320, 400, 10));
    },
    check: async (run, outDir, service, posts) => {
      assert.equal(service.stats().requests.submit, posts);
      assert.ok(run.stderr.some((line) => /clip-001/.test(line) && /changed|edited/.test(line)));
      assert.equal((await readReport(outDir)).totals.changed, 1);
    },
  },
  {
    name: "a video removed is fetched again",
    change: async (_dir, outDir) => await Deno.remove(join(outDir, "videos/clip-003.mp4")),
    check: async (run, outDir, service, posts) => {
      assert.equal(run.code, 0);
      assert.ok(run.stderr.some((line) => /video missing on disk: videos\/clip-003/.test(line)));
      assert.equal(service.stats().requests.submit, posts);
      assert.ok((await Deno.lstat(join(outDir, "videos/clip-003.mp4"))).isFile);
    },
  },
  {
    name: "a video rewritten with its own size is hashed and fetched again",
    change: async (_dir, outDir) => {
      const file = join(outDir, "videos/clip-004.mp4");
      const bytes = await Deno.readFile(file);
      bytes[0] ^= 0xff;
      await Deno.writeFile(file, bytes);
      // Later than the recorded download, whatever the clock's grain.
      const later = new Date(Date.now() + 5_000);
      await Deno.utime(file, later, later);
    },
    check: (run, _outDir, service, posts) => {
      assert.equal(run.code, 0);
      assert.ok(run.stderr.some((line) => /video altered on disk: videos\/clip-004/.test(line)));
      assert.equal(service.stats().requests.submit, posts);
      return Promise.resolve();
    },
  },
  {
    name: "a corrupt line put in the journal is reported",
    change: async (_dir, outDir) => {
      // At the start: a torn last line is normal after a crash and not mentioned.
      const journal = join(outDir, "state.jsonl");
      await Deno.writeTextFile(journal, "{not json}\n" + await Deno.readTextFile(journal));
    },
    check: (run) => {
      assert.ok(
        run.stderr.some((line) => /1 corrupt line skipped/.test(line)),
        run.stderr.join("\n"),
      );
      return Promise.resolve();
    },
  },
  {
    name: "a report removed is written again",
    change: async (_dir, outDir) => await Deno.remove(join(outDir, "report.md")),
    check: async (run, outDir) => {
      assert.equal(run.code, 0);
      assert.ok((await Deno.lstat(join(outDir, "report.md"))).size > 0);
    },
  },
  {
    name: "a torn index is not used and is written again whole",
    change: async (_dir, outDir) => {
      const path = join(outDir, INDEX);
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, text.slice(0, -20));
    },
    check: async (run, outDir) => {
      assert.equal(run.code, 0);
      assert.match(await Deno.readTextFile(join(outDir, INDEX)), /\nend [0-9a-f]{64}\n$/);
    },
  },
];

for (const { name, change, check } of CHANGES) {
  Deno.test(`after a finished run, ${name} (the index is not used)`, async () => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const { manifest, outDir } = await finishedBatch(dir, service);
        await change(dir, outDir);
        const posts = service.stats().requests.submit;
        const run = await runAgainst(manifest, service);
        await check(run, outDir, service, posts);
      } finally {
        await service.close();
      }
    });
  });
}

Deno.test("an index that is a symbolic link is not read or written through; its target stays as it was", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir } = await finishedBatch(dir, service);
      const target = join(dir, "elsewhere.txt");
      await Deno.rename(join(outDir, INDEX), target);
      const kept = await Deno.readFile(target);
      await Deno.symlink(target, join(outDir, INDEX));
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      assert.deepEqual(await Deno.readFile(target), kept);
      const info = await Deno.lstat(join(outDir, INDEX));
      assert.ok(info.isFile && !info.isSymlink, "the link was replaced by a fresh index");
    } finally {
      await service.close();
    }
  });
});

Deno.test("a resume from the index sweeps a half-written index and report a killed run left", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir } = await finishedBatch(dir, service);
      const index = await identity(join(outDir, INDEX));
      for (const name of [".resume-index.tmp-99999", "report.json.tmp-99999"]) {
        await Deno.writeTextFile(join(outDir, name), "half");
      }
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0);
      assert.equal(await identity(join(outDir, INDEX)), index, "the index was used");
      for (const name of [".resume-index.tmp-99999", "report.json.tmp-99999"]) {
        await assert.rejects(Deno.lstat(join(outDir, name)), Deno.errors.NotFound);
      }
    } finally {
      await service.close();
    }
  });
});

Deno.test("run refuses an input kept at the index's name in the output folder", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { outDir } = await finishedBatch(dir, service);
      await Deno.remove(join(outDir, INDEX));
      await Deno.writeFile(join(outDir, INDEX), await makePng(400, 320, 90));
      const jobs = sampleJobs(2).map((job) => ({ ...job, image: ["batch.out/.resume-index"] }));
      const manifest = await writeManifest(dir, jobs, "other.yaml");
      const run = await runAgainst(manifest, service, ["--out", outDir]);
      assert.equal(run.code, 2, run.stderr.join("\n"));
      assert.ok(
        run.stderr.some((line) => /the output folder's \.resume-index/.test(line)),
        run.stderr.join("\n"),
      );
      assert.ok((await Deno.lstat(join(outDir, INDEX))).isFile, "the input is still there");
    } finally {
      await service.close();
    }
  });
});

/** Make a FIFO (opening one to read waits for a writer). */
async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success);
}

Deno.test({
  name: "run over a manifest that is a FIFO says it is not a file, without waiting on it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const manifest = join(dir, "fifo.yaml");
        await mkfifo(manifest);
        const run = await runAgainst(manifest, service);
        assert.equal(run.code, 2);
        assert.ok(run.stderr.some((line) => /it is not a file/.test(line)), run.stderr.join("\n"));
        assert.equal(service.stats().requests.submit, 0);
      } finally {
        await service.close();
      }
    });
  },
});

Deno.test({
  name:
    "after a finished run, an image replaced by a FIFO is refused by validation, without waiting on it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const { manifest } = await finishedBatch(dir, service);
        await Deno.remove(join(dir, "images/b.png"));
        await mkfifo(join(dir, "images/b.png"));
        const run = await runAgainst(manifest, service);
        assert.equal(run.code, 2, run.stderr.join("\n"));
        assert.ok(run.stderr.some((line) => /images\/b\.png/.test(line)), run.stderr.join("\n"));
      } finally {
        await service.close();
      }
    });
  },
});

Deno.test("runBatch() writes the index only when the inputs still have the bytes hashed before validation", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3).slice(2));
      const outDir = join(dir, "batch.out");
      const settings = resumeSettingsOf({ manifest, out: outDir });
      const run = async (inputs: InputDigests | undefined): Promise<number> => {
        const validation = await validateManifest(manifest);
        const result = await runBatch(validation, {
          baseUrl: service.url,
          apiKey: TEST_KEY,
          out: outDir,
          pollIntervalSeconds: 0.02,
          ...(inputs === undefined ? {} : { inputDigests: inputs }),
        });
        return result.exitCode;
      };
      const hasIndex = async (): Promise<boolean> =>
        await Deno.lstat(join(outDir, INDEX)).then(() => true, () => false);

      assert.equal(await run(undefined), 0);
      assert.equal(await hasIndex(), false, "no digests given: no index");
      // Hashed, then edited before validation read it (a comment: same jobs).
      const before = await inputDigestsOf(settings);
      await Deno.writeTextFile(manifest, "# edited\n", { append: true });
      assert.equal(await run(before), 0);
      assert.equal(await hasIndex(), false, "the bytes validated are not the ones hashed");
      assert.equal(await run(await inputDigestsOf(settings)), 0);
      assert.ok(await hasIndex());
      const index = await matchingResumeIndex(settings, (await inputDigestsOf(settings))!);
      assert.ok(index !== undefined);
      assert.equal(index.videos.length, 1);
      assert.equal(index.totals.done, 1);
    } finally {
      await service.close();
    }
  });
});

Deno.test("a pass that leaves work (tasks rendering, jobs not submitted) writes no index", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 60_000 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(4).slice(2));
      const outDir = join(dir, "batch.out");
      const pass = await runAgainst(manifest, service, ["--once", "--concurrency", "1"]);
      assert.equal(pass.code, 3, pass.stderr.join("\n"));
      await assert.rejects(Deno.lstat(join(outDir, INDEX)), Deno.errors.NotFound);
      // And the next pass, which has a task to poll, is not answered from an index either.
      const polls = service.stats().requests.poll;
      const next = await runAgainst(manifest, service, ["--once", "--concurrency", "1"]);
      assert.equal(next.code, 3);
      assert.ok(service.stats().requests.poll > polls, "the rendering task was polled");
      await assert.rejects(Deno.lstat(join(outDir, INDEX)), Deno.errors.NotFound);
    } finally {
      await service.close();
    }
  });
});

Deno.test("runBatch() writes no index when the manifest validated is not the one hashed, even if it is back by the end", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(4).slice(2));
      const outDir = join(dir, "batch.out");
      const settings = resumeSettingsOf({ manifest, out: outDir });
      const hashed = await inputDigestsOf(settings);
      const original = await Deno.readTextFile(manifest);
      // Edited between the hash and validation, then put back before the run ends.
      await writeManifest(dir, sampleJobs(4).slice(3));
      const validation = await validateManifest(manifest);
      await Deno.writeTextFile(manifest, original);
      const result = await runBatch(validation, {
        baseUrl: service.url,
        apiKey: TEST_KEY,
        out: outDir,
        pollIntervalSeconds: 0.02,
        inputDigests: hashed!,
      });
      assert.equal(result.exitCode, 0);
      await assert.rejects(Deno.lstat(join(outDir, INDEX)), Deno.errors.NotFound);
      // The next run validates the manifest as it is and submits the job it did not see.
      const posts = service.stats().requests.submit;
      const next = await runAgainst(manifest, service);
      assert.equal(next.code, 0, next.stderr.join("\n"));
      assert.equal(service.stats().requests.submit, posts + 1);
    } finally {
      await service.close();
    }
  });
});

Deno.test("a resume from the index looks at the videos over Workers, and a video truncated meanwhile sends it down the whole path", async () => {
  await withWorkerLooks(async (looked) => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const { manifest, outDir } = await finishedBatch(dir, service);
        const index = await identity(join(outDir, INDEX));
        looked.length = 0;
        const again = await runAgainst(manifest, service);
        assert.equal(again.code, 0);
        assert.equal(await identity(join(outDir, INDEX)), index, "answered from the index");
        assert.deepEqual(looked, ["workers"], "its one look went through the Workers");
        await Deno.truncate(join(outDir, "videos/clip-004.mp4"), 10);
        const downloads = service.stats().downloads;
        const mended = await runAgainst(manifest, service);
        assert.equal(mended.code, 0);
        assert.ok(
          mended.stderr.some((line) => /video altered on disk: videos\/clip-004/.test(line)),
        );
        assert.equal(service.stats().downloads, downloads + 1);
      } finally {
        await service.close();
      }
    });
  });
});

Deno.test("after a finished run, an image replaced by a huge sparse file is refused without being read", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest } = await finishedBatch(dir, service);
      // A terabyte of nothing: reading it to hash it would take many minutes.
      const image = join(dir, "images/b.png");
      await Deno.remove(image);
      await Deno.writeFile(image, new Uint8Array());
      await Deno.truncate(image, 2 ** 40);
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 2, run.stderr.join("\n"));
      assert.ok(run.stderr.some((line) => /images\/b\.png/.test(line)), run.stderr.join("\n"));
    } finally {
      await service.close();
    }
  });
});

Deno.test("an index that cannot be written is one warning line; the run keeps its exit code and the next run takes the whole path", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir } = await finishedBatch(dir, service);
      await Deno.remove(join(outDir, INDEX));
      // A folder that cannot be removed where the index is written first (this process's pid).
      const blocker = join(outDir, `${INDEX}.tmp-${Deno.pid}`);
      await Deno.mkdir(blocker);
      await Deno.writeTextFile(join(blocker, "keep"), "x");
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      const warnings = run.stderr.filter((line) => line.startsWith("warning:"));
      assert.equal(warnings.length, 1, run.stderr.join("\n"));
      assert.match(warnings[0], /Cannot write the resume index in .*: .*the next run validates/);
      assert.ok(!run.stderr.some((line) => /^\s+at /.test(line)));
      await assert.rejects(Deno.lstat(join(outDir, INDEX)), Deno.errors.NotFound);
      await Deno.remove(blocker, { recursive: true });
      const next = await runAgainst(manifest, service);
      assert.equal(next.code, 0);
      assert.ok((await Deno.lstat(join(outDir, INDEX))).isFile, "written by the next run");
    } finally {
      await service.close();
    }
  });
});
