import assert from "node:assert/strict";
import { join } from "node:path";
import { readVideoMetadata } from "../src/runner/video_metadata.ts";
import { videoForTask } from "../src/simulator/video.ts";
import { withTempDir } from "./helpers/cli.ts";

const ASKED = { seconds: 6, size: "9:16", resolution: "720p" };

Deno.test("readVideoMetadata() reads a video's facts and compares them with its request", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.mp4");
    await Deno.writeFile(path, videoForTask({ id: "t", ...ASKED }));
    assert.deepEqual(await readVideoMetadata(path, ASKED), {
      video: { duration: 6, width: 720, height: 1280, codec: "avc1" },
      mismatch: [],
    });
    await Deno.writeFile(path, videoForTask({ id: "t", ...ASKED, mismatched: true }));
    const seen = await readVideoMetadata(path, ASKED);
    assert.deepEqual(seen.video, { duration: 3, width: 1280, height: 720, codec: "avc1" });
    assert.deepEqual(seen.mismatch, [
      "the video lasts 3 s, 6 s were asked for",
      "the picture is 1280x720, not 9:16 as asked for",
    ]);
  });
});

Deno.test("readVideoMetadata() gives a note, never an error, for a file whose boxes say nothing", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.mp4");
    // An ftyp box and nothing else: it passes the download's check, holds no moov.
    await Deno.writeFile(path, new Uint8Array([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]));
    assert.deepEqual(await readVideoMetadata(path, ASKED), {
      note: "its MP4 boxes do not say its duration and picture",
    });
    const gone = await readVideoMetadata(join(dir, "missing.mp4"), ASKED);
    assert.equal(gone.video, undefined);
    assert.match(gone.note ?? "", /^its MP4 boxes could not be read \(/);
  });
});
