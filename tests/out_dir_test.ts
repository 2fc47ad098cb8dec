import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../src/errors.ts";
import {
  createFresh,
  openJournalFile,
  outputCollisions,
  refuseInputsInside,
} from "../src/out_dir.ts";
import { openJournal } from "../src/journal/writer.ts";
import { downloadVideo } from "../src/runner/download.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A folder `out` and a file `outside.txt` beside it holding "keep me". */
async function outAndOutside(dir: string): Promise<{ out: string; outside: string }> {
  const out = join(dir, "out");
  await Deno.mkdir(out);
  const outside = join(dir, "outside.txt");
  await Deno.writeTextFile(outside, "keep me");
  return { out, outside };
}

Deno.test("createFresh() replaces a link with a new file and leaves its target alone", async () => {
  await withTempDir(async (dir) => {
    const { out, outside } = await outAndOutside(dir);
    const path = join(out, "a.tmp");
    await Deno.symlink(outside, path);
    {
      using file = await createFresh(path);
      await file.write(new TextEncoder().encode("new"));
    }
    assert.equal(await Deno.readTextFile(outside), "keep me");
    assert.ok((await Deno.lstat(path)).isFile);
    assert.equal(await Deno.readTextFile(path), "new");
  });
});

Deno.test("createFresh() never creates the target of a dangling link", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "nowhere.txt");
    await Deno.symlink(target, join(dir, "a.tmp"));
    (await createFresh(join(dir, "a.tmp"))).close();
    assert.equal(await exists(target), false);
  });
});

Deno.test("openJournalFile() refuses a journal that is a link, dangling or not, and writes nothing", async (t) => {
  await withTempDir(async (dir) => {
    const { out, outside } = await outAndOutside(dir);
    const journal = join(out, "state.jsonl");
    await t.step("a link to a file", async () => {
      await Deno.symlink(outside, journal);
      await assert.rejects(openJournalFile(journal), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, "out_link");
        assert.match(error.message, /state\.jsonl: it is a symbolic link/);
        return true;
      });
      // The journal writer opens through it: refused too.
      await assert.rejects(openJournal(journal), /symbolic link/);
      assert.equal(await Deno.readTextFile(outside), "keep me");
      await Deno.remove(journal);
    });
    await t.step("a dangling link", async () => {
      const target = join(dir, "nowhere.jsonl");
      await Deno.symlink(target, journal);
      await assert.rejects(openJournal(journal), /symbolic link/);
      assert.equal(await exists(target), false);
      await Deno.remove(journal);
    });
    await t.step("a file of its own is opened to append", async () => {
      await Deno.writeTextFile(journal, "{}\n");
      using file = await openJournalFile(journal);
      await file.write(new TextEncoder().encode("{}\n"));
      assert.equal(await Deno.readTextFile(journal), "{}\n{}\n");
    });
  });
});

Deno.test("downloadVideo() never writes through a .part that is a link", async () => {
  await withTempDir(async (dir) => {
    const { out, outside } = await outAndOutside(dir);
    const destination = join(out, "clip.mp4");
    await Deno.symlink(outside, `${destination}.part`);
    const video = new Uint8Array(64);
    video.set([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70]);
    const result = await downloadVideo({
      open: () => Promise.resolve(new Response(video.slice())),
      destination,
    });
    assert.equal(result.bytes, 64);
    assert.equal(await Deno.readTextFile(outside), "keep me");
    assert.deepEqual(await Deno.readFile(destination), video);
    assert.equal(await exists(`${destination}.part`), false);
  });
});

Deno.test("outputCollisions() names jobs that would write where the journal records another job's video", async (t) => {
  const done = (job: string, output: string, downloadedAt = "2026-01-01T00:00:00Z") =>
    makeState({ job, phase: "done", output, downloadedAt, task: `t-${job}` });
  await t.step("a newcomer at a done job's recorded name", () => {
    const states = new Map([["A", done("A", "videos/x.mp4")]]);
    const jobs = [
      makeJob({ id: "A", output: "videos/y.mp4" }),
      makeJob({ id: "B", output: "videos/x.mp4" }),
    ];
    assert.deepEqual(
      outputCollisions(jobs, states).map((c) => [c.job.id, c.output, c.owner]),
      [["B", "videos/x.mp4", "A"]],
    );
  });
  await t.step("names compared without case", () => {
    const states = new Map([["A", done("A", "videos/X.mp4")]]);
    const jobs = [makeJob({ id: "B", output: "videos/x.mp4" })];
    assert.equal(outputCollisions(jobs, states)[0].owner, "A");
  });
  await t.step("a job at its own recorded name is no collision", () => {
    const states = new Map([["A", done("A", "videos/x.mp4")]]);
    assert.deepEqual(outputCollisions([makeJob({ id: "A", output: "videos/x.mp4" })], states), []);
  });
  await t.step("only done jobs claim a name", () => {
    const states = new Map([
      ["A", makeState({ job: "A", phase: "running", task: "t" })],
      // A failed job records no video, whatever it downloaded before.
      ["C", makeState({ job: "C", phase: "failed", task: "t" })],
    ]);
    assert.deepEqual(outputCollisions([makeJob({ id: "B", output: "videos/x.mp4" })], states), []);
  });
  await t.step("when two jobs are recorded at one name, the later download holds it", () => {
    const states = new Map([
      ["A", done("A", "videos/x.mp4", "2026-01-01T00:00:00Z")],
      ["B", done("B", "videos/x.mp4", "2026-01-02T00:00:00Z")],
    ]);
    const jobs = [
      makeJob({ id: "A", output: "videos/x.mp4" }),
      makeJob({ id: "B", output: "videos/x.mp4" }),
    ];
    assert.deepEqual(outputCollisions(jobs, states).map((c) => [c.job.id, c.owner]), [["A", "B"]]);
  });
});

Deno.test("refuseInputsInside() passes ordinary layouts and refuses a manifest the tool would overwrite", async (t) => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "report.md");
    await Deno.writeTextFile(manifest, "jobs: []\n");
    const inputs = [{ path: manifest, role: "the manifest" }];
    await t.step("an output folder that does not exist yet", async () => {
      await refuseInputsInside(join(dir, "report.out"), inputs, "run");
    });
    await t.step("the default <manifest>.out next to the manifest", async () => {
      await Deno.mkdir(join(dir, "report.out"));
      await Deno.writeTextFile(join(dir, "report.out", "report.md"), "old report");
      await refuseInputsInside(join(dir, "report.out"), inputs, "run");
    });
    await t.step("--out naming the manifest's folder through a link", async () => {
      await Deno.symlink(dir, join(dir, "alias"));
      await assert.rejects(
        refuseInputsInside(join(dir, "alias"), inputs, "run report.md"),
        /^ConfigError: Cannot run report\.md: the manifest .* is the output folder's report\.md/,
      );
    });
  });
});
