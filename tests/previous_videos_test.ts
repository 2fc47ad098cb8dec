import assert from "node:assert/strict";
import { join } from "node:path";
import {
  keepPreviousVideo,
  previousVideoName,
  previousVideosOf,
  readPreviousVideos,
} from "../src/previous_videos.ts";
import { ConfigError } from "../src/errors.ts";
import { withTempDir } from "./helpers/cli.ts";

const SHA = "0123abcd".padEnd(64, "e");

Deno.test("previousVideoName() keeps the stem and extension and adds 8 hex digits of the hash", () => {
  assert.equal(previousVideoName("videos/a.mp4", SHA), "videos/previous/a.0123abcd.mp4");
  assert.equal(previousVideoName("videos/take.2.mov", SHA), "videos/previous/take.2.0123abcd.mov");
  assert.equal(previousVideoName("videos/noext", SHA), "videos/previous/noext.0123abcd");
});

Deno.test("keepPreviousVideo() gives the old video a second name and leaves it where it is", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "videos"));
    await Deno.writeTextFile(join(dir, "videos/a.mp4"), "old bytes");
    const kept = await keepPreviousVideo(dir, "videos/a.mp4", SHA);
    assert.equal(kept, "videos/previous/a.0123abcd.mp4");
    assert.equal(await Deno.readTextFile(join(dir, kept!)), "old bytes");
    // The new video renamed over the old name leaves the kept one as it was.
    await Deno.writeTextFile(join(dir, "videos/a.mp4.part"), "new bytes");
    await Deno.rename(join(dir, "videos/a.mp4.part"), join(dir, "videos/a.mp4"));
    assert.equal(await Deno.readTextFile(join(dir, kept!)), "old bytes");
    assert.deepEqual(await previousVideosOf(dir, "videos/a.mp4"), [kept]);
    // Another job whose stem starts the same is not listed.
    assert.deepEqual(await previousVideosOf(dir, "videos/a.x.mp4"), []);
  });
});

Deno.test("keepPreviousVideo() never replaces a kept video, and does nothing without an old file", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "videos/previous"), { recursive: true });
    await Deno.writeTextFile(join(dir, "videos/previous/a.0123abcd.mp4"), "kept before");
    await Deno.writeTextFile(join(dir, "videos/a.mp4"), "other bytes");
    assert.equal(
      await keepPreviousVideo(dir, "videos/a.mp4", SHA),
      "videos/previous/a.0123abcd.mp4",
    );
    assert.equal(
      await Deno.readTextFile(join(dir, "videos/previous/a.0123abcd.mp4")),
      "kept before",
    );
    assert.equal(await keepPreviousVideo(dir, "videos/gone.mp4", SHA), undefined);
  });
});

Deno.test("keepPreviousVideo() refuses a videos/previous that is a symbolic link", async () => {
  await withTempDir(async (dir) => {
    const elsewhere = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(dir, "videos"));
      await Deno.symlink(elsewhere, join(dir, "videos/previous"));
      await Deno.writeTextFile(join(dir, "videos/a.mp4"), "old bytes");
      await assert.rejects(() => keepPreviousVideo(dir, "videos/a.mp4", SHA), ConfigError);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(elsewhere)), []);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});

Deno.test("readPreviousVideos() reads the folder once and lists each output's kept videos as previousVideosOf() does", async () => {
  await withTempDir(async (dir) => {
    const folder = join(dir, "videos/previous");
    await Deno.mkdir(folder, { recursive: true });
    const names = [
      "a.0123abcd.mp4",
      "a.ffffffff.mp4",
      "a.x.0123abcd.mp4", // kept for a.x.mp4, not for a.mp4
      "take.2.0123abcd.mov",
      "noext.0123abcd",
      "n.0123abcd.0123abcd", // kept for n.0123abcd (no extension twice over) and n.0123abcd
      "a.0123abcx.mp4", // not 8 hex digits
      "a.0123abcd.mov", // another extension
      "stray.txt",
    ];
    for (const name of names) await Deno.writeTextFile(join(folder, name), "bytes");
    await Deno.mkdir(join(folder, "b.0123abcd.mp4")); // a folder is never a kept video
    // What the per-name matcher of the earlier versions listed for each output name.
    const expected: Record<string, string[]> = {
      "videos/a.mp4": ["a.0123abcd.mp4", "a.ffffffff.mp4"],
      "videos/a.x.mp4": ["a.x.0123abcd.mp4"],
      "videos/take.2.mov": ["take.2.0123abcd.mov"],
      "videos/noext": ["noext.0123abcd"],
      "videos/n.0123abcd": ["n.0123abcd.0123abcd"],
      "videos/n.0123abcd.0123abcd": [],
      "videos/b.mp4": [],
      "videos/a.mov": ["a.0123abcd.mov"],
      "videos/stray.txt": [],
    };
    const reads: string[] = [];
    const readDir = Deno.readDir;
    Deno.readDir = (path) => {
      reads.push(String(path));
      return readDir(path);
    };
    let kept;
    try {
      kept = await readPreviousVideos(dir);
    } finally {
      Deno.readDir = readDir;
    }
    assert.equal(reads.length, 1);
    assert.equal(kept.count, names.length);
    for (const [output, names_] of Object.entries(expected)) {
      const paths = names_.map((name) => `videos/previous/${name}`);
      assert.deepEqual(kept.of(output), paths, output);
      assert.deepEqual(await previousVideosOf(dir, output), paths, output);
    }
  });
});

Deno.test("readPreviousVideos() finds none when videos/previous is missing", async () => {
  await withTempDir(async (dir) => {
    const kept = await readPreviousVideos(dir);
    assert.equal(kept.count, 0);
    assert.deepEqual(kept.of("videos/a.mp4"), []);
  });
});
