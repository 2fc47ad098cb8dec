/**
 * Fingerprints and derived ids are compared against journals written by
 * earlier versions, so their values are pinned here byte for byte: a faster
 * way of computing them must give exactly these.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { deriveId, fingerprint } from "../src/manifest/ids.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

/** Known fingerprints, computed by the version that wrote the first journals. */
const PINNED = {
  intro: "3c202d105508b330d625794e3f8add29d6bd2f9b6fc666da1f72772beee87a2f",
  "job-3d7b99c15584": "1640e6ec4f0eb23168e746f2e56121c3bfab8b3abc907bb9de2642f7702d1743",
  "two-images": "35fd32b48c38ebe86465a0e41107a0acf7ba4eb4616b633834a9f0077952d2fb",
  "job-1cbd198a2eb4": "bb5145558ad369e60133d9d8bbbbd6d681b7f32e8add2c85a3d0f7446aad15ea",
  "job-b2c3215cccd1": "39074480cdf5326c8827757a5a6b4211a30cf6609a2349d1017906088e7c2cca",
};

const CSV = [
  "id,prompt,model,seconds,size,resolution,image",
  "intro,A quiet harbour at dawn,doubao-seedance-2-0,5,16:9,720p,",
  ',"Über den Wolken, 日本の港 — ""quoted""",doubao-seedance-2-0-fast,8,9:16,480p,images/ok.png',
  "two-images,Two frames,doubao-seedance-2-0,4,1:1,720p,images/ok.png | images/ok.jpg",
  ",  padded prompt  ,doubao-seedance-1-0-pro,,,1080p,",
  "",
].join("\n");

const YAML = [
  "defaults:",
  "  seconds: 6",
  "  resolution: 480p",
  "jobs:",
  "  - id: intro",
  "    prompt: A quiet harbour at dawn",
  "    model: doubao-seedance-2-0",
  "    seconds: 5",
  "    resolution: 720p",
  '  - prompt: "Über den Wolken, 日本の港 — \\"quoted\\""',
  "    model: doubao-seedance-2-0-fast",
  "    seconds: 8",
  '    size: "9:16"',
  "    image: images/ok.png",
  '  - prompt: "emoji 🎬 and a tab\\t"',
  "    model: doubao-seedance-1-5-pro",
  "",
].join("\n");

/** Validate manifest text written to a temp folder beside copies of the fixture images. */
async function fingerprintsOf(name: string, text: string): Promise<[string, string][]> {
  let pairs: [string, string][] = [];
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "images"));
    for (const image of ["ok.png", "ok.jpg"]) {
      await Deno.copyFile(join(FIXTURES, "images", image), join(dir, "images", image));
    }
    await Deno.writeTextFile(join(dir, name), text);
    const result = await validateManifest(join(dir, name));
    assert.deepEqual(result.errors, []);
    pairs = result.jobs.map((job) => [job.id, job.fingerprint]);
  });
  return pairs;
}

Deno.test("validateManifest() gives a CSV manifest's jobs the fingerprints earlier versions wrote", async () => {
  assert.deepEqual(await fingerprintsOf("m.csv", CSV), [
    ["intro", PINNED.intro],
    ["job-3d7b99c15584", PINNED["job-3d7b99c15584"]],
    ["two-images", PINNED["two-images"]],
    ["job-1cbd198a2eb4", PINNED["job-1cbd198a2eb4"]],
  ]);
});

Deno.test("validateManifest() gives a YAML manifest's jobs the fingerprints earlier versions wrote", async () => {
  assert.deepEqual(await fingerprintsOf("m.yaml", YAML), [
    ["intro", PINNED.intro],
    ["job-3d7b99c15584", PINNED["job-3d7b99c15584"]],
    ["job-b2c3215cccd1", PINNED["job-b2c3215cccd1"]],
  ]);
});

Deno.test("validated jobs keep their fingerprint when spread, serialised, read twice or frozen", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "m.csv"), CSV.split("\n").slice(0, 2).join("\n"));
    const [job] = (await validateManifest(join(dir, "m.csv"))).jobs;
    assert.equal(job.fingerprint, PINNED.intro);
    assert.equal(job.fingerprint, PINNED.intro);
    assert.equal({ ...job }.fingerprint, PINNED.intro);
    assert.equal(JSON.parse(JSON.stringify(job)).fingerprint, PINNED.intro);
    assert.equal(structuredClone(job).fingerprint, PINNED.intro);
    const [frozen] = (await validateManifest(join(dir, "m.csv"))).jobs;
    assert.equal(Object.freeze(frozen).fingerprint, PINNED.intro);
    assert.deepEqual(Object.keys(job), [
      "index",
      "line",
      "id",
      "safeId",
      "prompt",
      "model",
      "seconds",
      "size",
      "resolution",
      "images",
      "output",
      "fingerprint",
    ]);
  });
});

Deno.test("fingerprint() and deriveId() give the values earlier versions wrote", () => {
  assert.equal(
    fingerprint({
      model: "doubao-seedance-2-0",
      prompt: 'a "quoted" \u2028 line\nbreak 🎬 \ud800',
      seconds: 12,
      size: "21:9",
      resolution: "480p",
      imageHashes: ["0".repeat(64), "f".repeat(64)],
    }),
    "5cc814468e422727cf3a62fdab27afb6147b5f02e1c399a7c17f7f9efbbd1431",
  );
  assert.equal(
    deriveId({
      prompt: "x",
      model: "doubao-seedance-2-0",
      seconds: 5,
      size: "16:9",
      resolution: "720p",
      images: ["a.png"],
    }),
    "job-f4d1b41c69cb",
  );
});
