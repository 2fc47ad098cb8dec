import assert from "node:assert/strict";
import { pictureFor, videoMismatches } from "../src/video_check.ts";

Deno.test("`pictureFor()` gives the short side from the resolution and the long side from the ratio", async (t) => {
  const cases: Array<[string, string, { width: number; height: number } | undefined]> = [
    ["16:9", "720p", { width: 1280, height: 720 }],
    ["9:16", "720p", { width: 720, height: 1280 }],
    ["1:1", "480p", { width: 480, height: 480 }],
    ["21:9", "1080p", { width: 2520, height: 1080 }],
    ["4:3", "480p", { width: 640, height: 480 }],
    ["3:4", "1080p", { width: 1080, height: 1440 }],
    ["wide", "720p", undefined],
    ["16:9", "HD", undefined],
  ];
  for (const [size, resolution, picture] of cases) {
    await t.step(`${size} at ${resolution}`, () => {
      assert.deepEqual(pictureFor(size, resolution), picture);
    });
  }
});

Deno.test("`videoMismatches()` flags a wrong duration or aspect ratio, within rounding", () => {
  const asked = { seconds: 5, size: "16:9", resolution: "720p" };
  const facts = { durationSeconds: 5.04, width: 1280, height: 720, codec: "avc1" };
  assert.deepEqual(videoMismatches(facts, asked), []);
  assert.deepEqual(videoMismatches({ ...facts, width: 1278 }, asked), [], "even-pixel rounding");
  assert.deepEqual(videoMismatches({ ...facts, durationSeconds: 2 }, asked), [
    "the video lasts 2 s, 5 s were asked for",
  ]);
  assert.deepEqual(videoMismatches({ ...facts, width: 720, height: 1280 }, asked), [
    "the picture is 720x1280, not 16:9 as asked for",
  ]);
});
