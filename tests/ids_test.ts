import assert from "node:assert/strict";
import { deriveId, fingerprint, outputNameProblem, safeFileName } from "../src/manifest/ids.ts";

Deno.test("safeFileName() keeps an id that is already a safe file name", async (t) => {
  for (const id of ["intro", "scene-01", "Ein_Ballon", "日本語のシーン", "v1.2", "job-0123abcd"]) {
    await t.step(id, () => assert.equal(safeFileName(id), id));
  }
});

Deno.test("safeFileName() removes separators, dot-dot, control characters and leading dots", async (t) => {
  const cases: [string, RegExp][] = [
    ["scene/1", /^scene_1-[0-9a-f]{8}$/],
    ["a\\b", /^a_b-[0-9a-f]{8}$/],
    ["../../etc/passwd", /^_+etc_passwd-[0-9a-f]{8}$/],
    ["..", /^_-[0-9a-f]{8}$/],
    [".", /^_-[0-9a-f]{8}$/],
    [".hidden", /^_hidden-[0-9a-f]{8}$/],
    ["tab\there", /^tab_here-[0-9a-f]{8}$/],
    ["nul\u0000byte", /^nul_byte-[0-9a-f]{8}$/],
    ["what?*<>|:", /^what_+-[0-9a-f]{8}$/],
    ["trailing. ", /^trailing_-[0-9a-f]{8}$/],
    ["CON", /^_CON-[0-9a-f]{8}$/],
    ["", /^_-[0-9a-f]{8}$/],
  ];
  for (const [id, pattern] of cases) {
    await t.step(JSON.stringify(id), () => {
      const name = safeFileName(id);
      assert.match(name, pattern);
      assert.ok(!name.includes("/") && !name.includes("\\") && !name.includes(".."));
    });
  }
});

Deno.test("safeFileName() gives distinct names to ids that clean up alike", () => {
  assert.notEqual(safeFileName("a/b"), safeFileName("a\\b"));
  assert.notEqual(safeFileName("a/b"), safeFileName("a:b"));
});

Deno.test("safeFileName() bounds the length of a very long id", () => {
  const name = safeFileName("x".repeat(1000));
  assert.ok(new TextEncoder().encode(name).length <= 160);
  const wide = safeFileName("日".repeat(200));
  assert.ok(new TextEncoder().encode(wide).length <= 160);
});

Deno.test("deriveId() is stable for the same content and differs for other content", () => {
  const content = {
    prompt: "a cat",
    model: "doubao-seedance-2-0",
    seconds: 5,
    size: "16:9",
    resolution: "720p",
    images: ["a.png"],
  };
  const id = deriveId(content);
  assert.match(id, /^job-[0-9a-f]{12}$/);
  assert.equal(deriveId({ ...content }), id);
  assert.notEqual(deriveId({ ...content, prompt: "a dog" }), id);
  assert.notEqual(deriveId({ ...content, seconds: 6 }), id);
  assert.notEqual(deriveId({ ...content, images: ["b.png"] }), id);
});

Deno.test("fingerprint() changes with every sent value and with image order", () => {
  const base = {
    model: "doubao-seedance-2-0",
    prompt: "a cat",
    seconds: 5,
    size: "16:9",
    resolution: "720p",
    imageHashes: ["aa", "bb"],
  };
  const print = fingerprint(base);
  assert.match(print, /^[0-9a-f]{64}$/);
  assert.equal(fingerprint({ ...base }), print);
  for (
    const changed of [
      { model: "doubao-seedance-2-0-fast" },
      { prompt: "a dog" },
      { seconds: 6 },
      { size: "1:1" },
      { resolution: "480p" },
      { imageHashes: ["bb", "aa"] },
      { imageHashes: ["aa"] },
    ]
  ) {
    assert.notEqual(fingerprint({ ...base, ...changed }), print, JSON.stringify(changed));
  }
});

Deno.test("outputNameProblem() accepts plain file names and names what is wrong otherwise", async (t) => {
  for (const ok of ["intro.mp4", "Szene 1.mp4", "日本.mp4", "a.b.mp4"]) {
    await t.step(`ok ${ok}`, () => assert.equal(outputNameProblem(ok), undefined));
  }
  for (
    const bad of [
      "a/b.mp4",
      "a\\b.mp4",
      "..",
      "x..mp4",
      ".hidden.mp4",
      "",
      "a\u0001.mp4",
      "a:b",
      "clip.mp4.part",
    ]
  ) {
    await t.step(`bad ${JSON.stringify(bad)}`, () => assert.ok(outputNameProblem(bad)));
  }
});
