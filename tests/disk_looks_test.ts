/**
 * `lookAtFiles()`: what the disk shows for many files, the same in the
 * calling thread and over Workers, and still right when a Worker fails.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DiskLookOptions,
  type DiskLooks,
  LOOK_FILE,
  LOOK_MISSING,
  LOOK_NOT_A_FILE,
  lookAtFiles,
} from "../src/runner/disk_looks.ts";
import { withTempDir } from "./helpers/cli.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";

const mkfifo = await findProgram("mkfifo");

/** Both ways forced: everything in the calling thread, or everything over two Workers. */
const THREAD: DiskLookOptions = { threshold: Infinity };
const WORKERS: DiskLookOptions = { threshold: 0, workers: 2, chunk: 3 };

/** The looks as plain rows, to compare and to read in a failure. */
function rows(looks: DiskLooks): Array<[number, number, number | null]> {
  return Array.from(looks.kinds, (kind, i) => {
    const mtime = looks.mtimesMs[i];
    return [kind, looks.sizes[i], Number.isNaN(mtime) ? null : mtime];
  });
}

/** A folder with files of several sizes and non-ASCII names, a symlink, a folder and a gap. */
async function fillFolder(dir: string): Promise<{ paths: string[]; expected: number[] }> {
  const entries: Array<[string, number]> = [];
  const sizes = [0, 1, 16, 5_267, 70_001];
  for (const [i, size] of sizes.entries()) {
    const name = `clip-${i}.mp4`;
    await Deno.writeFile(join(dir, name), new Uint8Array(size));
    entries.push([name, LOOK_FILE]);
  }
  for (const name of ["vidéo-été.mp4", "日本語の動画.mp4", "clip 🎬 final.mp4", "Ωmega\ttab.mp4"]) {
    await Deno.writeFile(join(dir, name), new TextEncoder().encode(name));
    entries.push([name, LOOK_FILE]);
  }
  await Deno.symlink(join(dir, "clip-3.mp4"), join(dir, "link-to-clip.mp4"));
  entries.push(["link-to-clip.mp4", LOOK_NOT_A_FILE]);
  await Deno.symlink(join(dir, "nowhere.mp4"), join(dir, "dangling.mp4"));
  entries.push(["dangling.mp4", LOOK_NOT_A_FILE]);
  await Deno.mkdir(join(dir, "a-folder.mp4"));
  entries.push(["a-folder.mp4", LOOK_NOT_A_FILE]);
  entries.push(["missing.mp4", LOOK_MISSING]);
  entries.push(["clip-0.mp4/inside", LOOK_MISSING]);
  entries.push(["nul\0in-name.mp4", LOOK_MISSING]);
  entries.push(["ünïcödé-missing.mp4", LOOK_MISSING]);
  return { paths: entries.map(([name]) => name), expected: entries.map(([, kind]) => kind) };
}

Deno.test("lookAtFiles() shows the same looks in the calling thread and over two Workers", async () => {
  await withTempDir(async (dir) => {
    const { paths, expected } = await fillFolder(dir);
    const prefix = dir + "/";
    const thread = await lookAtFiles(paths, { ...THREAD, prefix });
    const workers = await lookAtFiles(paths, { ...WORKERS, prefix });
    assert.equal(thread.via, "thread");
    assert.equal(workers.via, "workers");
    assert.deepEqual(Array.from(thread.kinds), expected);
    assert.deepEqual(rows(workers), rows(thread));
    // What each file is, not only the same answer twice.
    for (const [i, path] of paths.entries()) {
      if (expected[i] !== LOOK_FILE) {
        assert.equal(thread.sizes[i], 0, path);
        assert.ok(Number.isNaN(thread.mtimesMs[i]), path);
        continue;
      }
      const info = await Deno.lstat(join(dir, path));
      assert.equal(thread.sizes[i], info.size, path);
      assert.equal(thread.mtimesMs[i], info.mtime!.getTime(), path);
    }
    // Absolute paths with no prefix say the same.
    const absolute = await lookAtFiles(paths.map((path) => prefix + path), WORKERS);
    assert.deepEqual(rows(absolute), rows(thread));
  });
});

testWith(
  mkfifo,
  "lookAtFiles() shows a FIFO as not a file, in the calling thread and over Workers, without opening it",
  async () => {
    await withTempDir(async (dir) => {
      const made = await new Deno.Command("mkfifo", { args: [join(dir, "pipe.mp4")] }).output();
      assert.ok(made.success);
      await Deno.writeFile(join(dir, "clip.mp4"), new Uint8Array(7));
      const paths = ["pipe.mp4", "clip.mp4", "pipe.mp4"];
      // Opening a FIFO with no writer would block: an answer at all shows it was not opened.
      const thread = await lookAtFiles(paths, { ...THREAD, prefix: dir + "/" });
      const workers = await lookAtFiles(paths, { ...WORKERS, chunk: 1, prefix: dir + "/" });
      assert.deepEqual(Array.from(thread.kinds), [LOOK_NOT_A_FILE, LOOK_FILE, LOOK_NOT_A_FILE]);
      assert.deepEqual(rows(workers), rows(thread));
      assert.equal(workers.via, "workers");
    });
  },
);

Deno.test("lookAtFiles() looks in the calling thread below its threshold and over Workers from it", async () => {
  await withTempDir(async (dir) => {
    const { paths } = await fillFolder(dir);
    const options = { prefix: dir + "/", workers: 2 };
    assert.equal(
      (await lookAtFiles(paths, { ...options, threshold: paths.length + 1 })).via,
      "thread",
    );
    assert.equal(
      (await lookAtFiles(paths, { ...options, threshold: paths.length })).via,
      "workers",
    );
    assert.equal(
      (await lookAtFiles(paths, { ...options, threshold: 0, workers: 0 })).via,
      "thread",
    );
    // A count that is no number must not leave the call waiting for Workers never started.
    assert.equal(
      (await lookAtFiles(paths, { ...options, threshold: 0, workers: NaN })).via,
      "thread",
    );
    const none = await lookAtFiles([], { threshold: 0 });
    assert.equal(none.kinds.length, 0);
  });
});

/** Worker modules that fail, and how. */
const FAILING: Array<{ file: string; reason: RegExp }> = [
  { file: "fails_at_load.ts", reason: /^a Worker failed: .*fails at load/ },
  { file: "fails_on_second_chunk.ts", reason: /^a Worker failed: .*fails on its second chunk/ },
  { file: "answers_short.ts", reason: /^a Worker's answer for chunk \d+ is not \d+ looks$/ },
];

for (const { file, reason } of FAILING) {
  Deno.test(`lookAtFiles() looks in the calling thread at what a Worker left when it ${file.replace(/_/g, " ").replace(/\.ts$/, "")}`, async () => {
    await withTempDir(async (dir) => {
      const { paths } = await fillFolder(dir);
      const prefix = dir + "/";
      const thread = await lookAtFiles(paths, { ...THREAD, prefix });
      const failed = await lookAtFiles(paths, {
        ...WORKERS,
        chunk: 2,
        prefix,
        workerUrl: new URL(`./fixtures/look_workers/${file}`, import.meta.url),
      });
      assert.equal(failed.via, "fallback");
      assert.match(failed.fallback ?? "", reason);
      assert.deepEqual(rows(failed), rows(thread));
    });
  });
}

Deno.test("lookAtFiles() looks in the calling thread when the Worker module is not there (a binary compiled without it)", async () => {
  await withTempDir(async (dir) => {
    const { paths } = await fillFolder(dir);
    const prefix = dir + "/";
    const thread = await lookAtFiles(paths, { ...THREAD, prefix });
    const failed = await lookAtFiles(paths, {
      ...WORKERS,
      prefix,
      workerUrl: new URL("./fixtures/look_workers/no_such_worker.ts", import.meta.url),
    });
    assert.equal(failed.via, "fallback");
    // `deno run` and a compiled binary say "Module not found"; `deno test`
    // type-checks a Worker's graph first and fails there.
    assert.match(
      failed.fallback ?? "",
      /^a Worker failed: (Module not found|Type checking failed)/,
    );
    assert.deepEqual(rows(failed), rows(thread));
  });
});

Deno.test("lookAtFiles() looks in the calling thread when the runtime has no Workers", async () => {
  await withTempDir(async (dir) => {
    const { paths } = await fillFolder(dir);
    const prefix = dir + "/";
    const thread = await lookAtFiles(paths, { ...THREAD, prefix });
    const saved = globalThis.Worker;
    // deno-lint-ignore no-explicit-any
    delete (globalThis as any).Worker;
    try {
      const looked = await lookAtFiles(paths, { ...WORKERS, prefix });
      assert.equal(looked.via, "thread");
      assert.deepEqual(rows(looked), rows(thread));
    } finally {
      globalThis.Worker = saved;
    }
  });
});

Deno.test("lookAtFiles() looks in the calling thread, printing nothing, when it may not read the Worker module", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "clip.mp4"), new Uint8Array(3));
    const probe = fileURLToPath(new URL("./fixtures/look_workers/probe.ts", import.meta.url));
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", `--allow-read=${dir}`, probe, dir, "clip.mp4", "gone.mp4"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    // Starting the Worker anyway would print an uncaught error (or, with prompts, ask).
    assert.equal(stderr, "");
    const shown = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(shown.via, "fallback");
    assert.match(
      shown.fallback,
      /^no read permission for the Worker module file:.*disk_looks_worker\.ts$/,
    );
    assert.deepEqual(shown.kinds, [LOOK_FILE, LOOK_MISSING]);
  });
});
