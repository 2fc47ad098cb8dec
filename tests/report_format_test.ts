import assert from "node:assert/strict";
import { videoHref } from "../src/report/format.ts";

Deno.test("videoHref() encodes each path segment of a video's output path", async (t) => {
  const cases: Array<[string, string]> = [
    ["videos/intro.mp4", "videos/intro.mp4"],
    ["videos/a b#1?.mp4", "videos/a%20b%231%3F.mp4"],
    ["videos/(draft) it's.mp4", "videos/%28draft%29%20it%27s.mp4"],
    ["videos/été.mp4", "videos/%C3%A9t%C3%A9.mp4"],
    ["videos\\win.mp4", "videos/win.mp4"],
  ];
  for (const [output, href] of cases) {
    await t.step(output, () => assert.equal(videoHref(output), href));
  }
});
