import assert from "node:assert/strict";
import { sha256Hex } from "../src/hash.ts";
import {
  decodeResumeIndex,
  encodeResumeIndex,
  indexableOutput,
  type ResumeIndex,
  sameInputs,
  sameSettings,
} from "../src/resume_index.ts";

/** The index's pieces as one text. */
function joined(pieces: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return pieces.map((piece) => decoder.decode(piece)).join("");
}

function sample(videos = 3): ResumeIndex {
  return {
    key: {
      settings: {
        version: "0.2.0",
        manifest: "/data/batch.csv",
        models: null,
        prices: "/data/prices.yaml",
        maxSpend: "5000000",
        shard: "2/4",
        retryFailed: false,
        rerenderChanged: true,
        resubmitUncertain: false,
        outDir: "/data/batch.out/shard-2-of-4",
      },
      inputs: { manifest: "a".repeat(64), models: null, prices: "b".repeat(64) },
      images: [{
        path: "/data/images/a.png",
        sha256: "c".repeat(64),
        role: 'the image of job "x"',
      }],
      journalBytes: 1234,
      journalSha256: "d".repeat(64),
      previousVideos: "e".repeat(64),
    },
    jobs: videos + 1,
    totals: {
      jobs: videos + 1,
      done: videos,
      failed: 1,
      invalid: 0,
      pending: 0,
      running: 0,
      uncertain: 0,
      mismatched: 0,
      changed: 0,
    },
    manifest: "/data/batch.csv",
    reportDigest: "f".repeat(64),
    videos: Array.from({ length: videos }, (_, i) => ({
      bytes: 1000 + i,
      downloadedAtMs: i === 1 ? NaN : 1_700_000_000_000 + i,
      output: `videos/clip ${i} é.mp4`,
    })),
  };
}

Deno.test("decodeResumeIndex() reads back what encodeResumeIndex() wrote", () => {
  for (const count of [0, 1, 3, 5000]) {
    const index = sample(count);
    assert.deepEqual(decodeResumeIndex(joined(encodeResumeIndex(index))), index);
  }
});

Deno.test("decodeResumeIndex() refuses an index cut short, edited, or of another format", () => {
  const text = joined(encodeResumeIndex(sample()));
  for (let cut = 1; cut < text.length; cut += 7) {
    assert.equal(decodeResumeIndex(text.slice(0, text.length - cut)), undefined, `cut ${cut}`);
  }
  assert.equal(decodeResumeIndex(text.replace("1001\t", "1002\t")), undefined, "edited size");
  assert.equal(decodeResumeIndex(text + "more\n"), undefined, "text after the end");
  assert.equal(decodeResumeIndex(""), undefined);
  assert.equal(decodeResumeIndex("end \n"), undefined);
});

Deno.test("decodeResumeIndex() refuses a header whose fields have other types, with a right checksum", () => {
  const reseal = (body: string): string => `${body}end ${sha256Hex(body)}\n`;
  const body = (text: string): string => text.slice(0, text.lastIndexOf("end "));
  const text = joined(encodeResumeIndex(sample()));
  assert.deepEqual(decodeResumeIndex(reseal(body(text))), sample(), "resealed as is: read");
  const spoilers: Array<[string, string]> = [
    ['"seedance_resume_index":1', '"seedance_resume_index":2'],
    ['"retryFailed":false', '"retryFailed":"no"'],
    ['"journalBytes":1234', '"journalBytes":"1234"'],
    ['"videos":3', '"videos":4'],
    ['"videos":3', '"videos":2'],
    ['"images":[{', '"images":[null,{'],
    ['"key":{', '"key":{"__proto__":{"settings":1},'],
  ];
  for (const [from, to] of spoilers) {
    const spoiled = body(text).replace(from, to);
    assert.notEqual(spoiled, body(text), from);
    const decoded = decodeResumeIndex(reseal(spoiled));
    if (from.startsWith('"key"')) {
      // An own `__proto__` key is plain data: the index reads as before.
      assert.deepEqual(decoded?.key.settings, sample().key.settings);
    } else {
      assert.equal(decoded, undefined, `${from} → ${to}`);
    }
  }
});

Deno.test("encodeResumeIndex() refuses an output name that would break its line", () => {
  for (const name of ["videos/a\tb.mp4", "videos/a\nb.mp4", "videos/a\rb.mp4", "videos/a\0.mp4"]) {
    assert.equal(indexableOutput(name), false);
    const index = sample(1);
    index.videos[0].output = name;
    assert.throws(() => joined(encodeResumeIndex(index)), RangeError);
  }
  assert.equal(indexableOutput("videos/ä b,c;d.mp4"), true);
});

Deno.test("sameSettings() and sameInputs() tell every field apart", () => {
  const { settings, inputs } = sample().key;
  assert.ok(sameSettings(settings, { ...settings }));
  const changed: Array<Partial<typeof settings>> = [
    { version: "0.2.1" },
    { manifest: "/data/other.csv" },
    { models: "/data/models.yaml" },
    { prices: null },
    { maxSpend: null },
    { shard: "1/4" },
    { retryFailed: true },
    { rerenderChanged: false },
    { resubmitUncertain: true },
    { outDir: "/data/batch.out" },
  ];
  for (const change of changed) {
    assert.equal(sameSettings(settings, { ...settings, ...change }), false, JSON.stringify(change));
  }
  assert.ok(sameInputs(inputs, { ...inputs }));
  for (const change of [{ manifest: "0".repeat(64) }, { models: "1" }, { prices: null }]) {
    assert.equal(sameInputs(inputs, { ...inputs, ...change }), false, JSON.stringify(change));
  }
});
