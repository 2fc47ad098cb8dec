import assert from "node:assert/strict";
import { join } from "node:path";
import { keepPreviousVideo, previousVideoName, previousVideosOf } from "../src/previous_videos.ts";
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
