import assert from "node:assert/strict";
import { join } from "node:path";
import { boxesIn, parseMoov, readVideoFacts, videoFactsIn } from "../src/mp4.ts";
import { CLIP_MP4 } from "../src/simulator/assets/clip_mp4.ts";
import { videoForTask } from "../src/simulator/video.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

/** The clip's top-level boxes as separate byte arrays, by type. */
function topLevel(file: Uint8Array): Map<string, Uint8Array> {
  return new Map(boxesIn(file).map((box) => [box.type, file.subarray(box.start - 8, box.end)]));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

Deno.test("`parseMoov()` reads the clip's duration, display size and codec", () => {
  const moov = topLevel(CLIP_MP4).get("moov")!;
  assert.deepEqual(parseMoov(moov), { durationSeconds: 1, width: 160, height: 90, codec: "avc1" });
});

Deno.test("`parseMoov()` gives undefined for bytes that are not a moov with a video track", () => {
  assert.equal(parseMoov(new Uint8Array(0)), undefined);
  assert.equal(parseMoov(topLevel(CLIP_MP4).get("ftyp")!), undefined);
  assert.equal(parseMoov(new TextEncoder().encode("\0\0\0\x10moovjunkjunk")), undefined);
});

Deno.test("`readVideoFacts()` finds moov before or after mdat, with 32- or 64-bit box sizes", async () => {
  const boxes = topLevel(videoForTask({ id: "t", seconds: 6, size: "9:16", resolution: "720p" }));
  const expected = { durationSeconds: 6, width: 720, height: 1280, codec: "avc1" };
  const mdat = boxes.get("mdat")!;
  // The same mdat with a 64-bit size: size field 1, type, then the 8-byte size.
  const large = new Uint8Array(mdat.length + 8);
  const view = new DataView(large.buffer);
  view.setUint32(0, 1);
  large.set(mdat.subarray(4, 8), 4);
  view.setBigUint64(8, BigInt(mdat.length + 8));
  large.set(mdat.subarray(8), 16);
  const layouts: Array<[string, Uint8Array]> = [
    ["moov first", concat(boxes.get("ftyp")!, boxes.get("moov")!, mdat)],
    ["moov last", concat(boxes.get("ftyp")!, mdat, boxes.get("moov")!)],
    ["a 64-bit mdat", concat(boxes.get("ftyp")!, large, boxes.get("moov")!)],
  ];
  await withTempDir(async (dir) => {
    for (const [name, bytes] of layouts) {
      const path = join(dir, `${name}.mp4`);
      await Deno.writeFile(path, bytes);
      assert.deepEqual(await readVideoFacts(path), expected, name);
    }
    const junk = join(dir, "junk.mp4");
    await Deno.writeFile(junk, new TextEncoder().encode("not a video at all, just text"));
    assert.equal(await readVideoFacts(junk), undefined);
    const truncated = join(dir, "truncated.mp4");
    await Deno.writeFile(truncated, layouts[1][1].subarray(0, layouts[1][1].length - 10));
    assert.equal(await readVideoFacts(truncated), undefined);
  });
});

Deno.test("`videoFactsIn()` reads from memory what `readVideoFacts()` reads from the file", () => {
  const boxes = topLevel(videoForTask({ id: "t", seconds: 6, size: "9:16", resolution: "720p" }));
  const expected = { durationSeconds: 6, width: 720, height: 1280, codec: "avc1" };
  const mdat = boxes.get("mdat")!;
  const free = new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]);
  const moovLast = concat(boxes.get("ftyp")!, mdat, boxes.get("moov")!);
  assert.deepEqual(videoFactsIn(concat(boxes.get("ftyp")!, boxes.get("moov")!, mdat)), expected);
  assert.deepEqual(videoFactsIn(moovLast), expected);
  assert.equal(videoFactsIn(moovLast.subarray(0, moovLast.length - 10)), undefined);
  assert.equal(videoFactsIn(new TextEncoder().encode("not a video at all, just text")), undefined);
  const endless = concat(boxes.get("ftyp")!, ...Array(5000).fill(free), boxes.get("moov")!);
  assert.equal(videoFactsIn(endless), undefined, "no more top-level boxes than on disk");
});

Deno.test("`readVideoFacts()` gives up on a file of endless tiny boxes before its moov", async () => {
  const boxes = topLevel(videoForTask({ id: "t", seconds: 6, size: "9:16", resolution: "720p" }));
  // 8-byte `free` boxes: each one a read; a hostile file could hold millions.
  const free = new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]);
  const padding = (count: number) => concat(...Array(count).fill(free));
  await withTempDir(async (dir) => {
    const few = join(dir, "few.mp4");
    await Deno.writeFile(few, concat(boxes.get("ftyp")!, padding(100), boxes.get("moov")!));
    assert.equal((await readVideoFacts(few))?.durationSeconds, 6);
    const endless = join(dir, "endless.mp4");
    await Deno.writeFile(endless, concat(boxes.get("ftyp")!, padding(5000), boxes.get("moov")!));
    assert.equal(await readVideoFacts(endless), undefined);
  });
});
