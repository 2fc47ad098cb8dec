import assert from "node:assert/strict";
import { join } from "node:path";
import { sweepTemporaryFiles } from "../src/runner/sweep.ts";
import { withTempDir } from "./helpers/cli.ts";

Deno.test("sweepTemporaryFiles() removes partial downloads, half-written reports and compactions only", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "videos"));
    const keep = [
      "videos/a.mp4",
      "report.json",
      "state.jsonl",
      "videos/notes.part.txt",
      "state.jsonl.compact-x",
    ];
    const leftovers = [
      "videos/b.mp4.part",
      "report.html.tmp-4242",
      "report.json.tmp-17",
      "state.jsonl.compact-4242",
    ];
    for (const path of [...keep, ...leftovers]) await Deno.writeTextFile(join(dir, path), "x");
    assert.deepEqual(await sweepTemporaryFiles(dir), [...leftovers].sort());
    for (const path of keep) assert.ok((await Deno.stat(join(dir, path))).isFile, path);
    for (const path of leftovers) {
      await assert.rejects(() => Deno.stat(join(dir, path)), Deno.errors.NotFound);
    }
  });
});

Deno.test("sweepTemporaryFiles() is quiet about a folder without videos yet", async () => {
  await withTempDir(async (dir) => assert.deepEqual(await sweepTemporaryFiles(dir), []));
});

Deno.test("sweepTemporaryFiles() removes leftovers that are symbolic links, never their targets", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(join(out, "videos"), { recursive: true });
    const outside = join(dir, "outside.mp4");
    await Deno.writeTextFile(outside, "keep me");
    await Deno.symlink(outside, join(out, "videos/a.mp4.part"));
    await Deno.symlink(outside, join(out, "report.csv.tmp-12"));
    assert.deepEqual(await sweepTemporaryFiles(out), ["report.csv.tmp-12", "videos/a.mp4.part"]);
    assert.equal(await Deno.readTextFile(outside), "keep me");
  });
});

Deno.test("sweepTemporaryFiles() does not look into a videos folder that is a symbolic link", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const elsewhere = join(dir, "elsewhere");
    await Deno.mkdir(out);
    await Deno.mkdir(elsewhere);
    await Deno.writeTextFile(join(elsewhere, "someone.part"), "keep me");
    await Deno.symlink(elsewhere, join(out, "videos"));
    assert.deepEqual(await sweepTemporaryFiles(out), []);
    assert.equal(await Deno.readTextFile(join(elsewhere, "someone.part")), "keep me");
  });
});
