import assert from "node:assert/strict";
import { join } from "node:path";
import { sweepTemporaryFiles } from "../src/runner/sweep.ts";
import { withTempDir } from "./helpers/cli.ts";

Deno.test("sweepTemporaryFiles() removes partial downloads and half-written reports only", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "videos"));
    const keep = ["videos/a.mp4", "report.json", "state.jsonl", "videos/notes.part.txt"];
    const leftovers = ["videos/b.mp4.part", "report.html.tmp-4242", "report.json.tmp-17"];
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
