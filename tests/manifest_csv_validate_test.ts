/**
 * `validateManifest()` checks a CSV manifest while reading it (each job as
 * its record is read, jobs naming images once the images are read); these
 * tests hold it to the result of loading the file whole and then checking
 * it with `validateRawManifest()`.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../src/hash.ts";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { type ImageProbe, readImage } from "../src/image.ts";
import { parseManifest } from "../src/manifest/load.ts";
import {
  imagePathsOf,
  validateManifest,
  validateRawManifest,
  type ValidationResult,
} from "../src/manifest/validate.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

/** Validate `m.csv` holding `text` both ways, beside copies of the fixture images. */
async function bothWays(text: string): Promise<[ValidationResult, ValidationResult]> {
  let results: [ValidationResult, ValidationResult] | undefined;
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "images"));
    for (const image of ["ok.png", "ok.jpg", "small.png", "cat.gif"]) {
      await Deno.copyFile(join(FIXTURES, "images", image), join(dir, "images", image));
    }
    const path = join(dir, "m.csv");
    await Deno.writeTextFile(path, text);
    const { sha256, ...streamed } = await validateManifest(path);
    // The digest of the bytes the jobs were read from (also when csv-parse read them again).
    assert.equal(sha256, sha256Hex(await Deno.readFile(path)));
    const raw = parseManifest(await Deno.readFile(path), { file: path, format: "csv" });
    const images = new Map<string, ImageProbe>();
    for (const image of imagePathsOf(raw, dirname(resolve(path)))) {
      images.set(image, await readImage(image));
    }
    const whole = validateRawManifest(raw, {
      catalog: DEFAULT_CATALOG,
      manifest: resolve(path),
      images,
    });
    results = [streamed, whole];
  });
  return results as [ValidationResult, ValidationResult];
}

const MODEL = "doubao-seedance-2-0";

const MANIFESTS: Record<string, string> = {
  "valid, invalid, images, warnings and duplicates": [
    "id,prompt,model,seconds,size,resolution,image,output",
    `intro,A harbour,${MODEL},5,16:9,720p,,`,
    `,Derived id,${MODEL},,,,images/ok.png,`,
    `bad-seconds,x,${MODEL},99,,,,`,
    `unknown-model,x,doubao-seedance-9,,,,,`,
    `missing-image,x,${MODEL},,,,images/nope.png | images/ok.jpg,`,
    `small,x,${MODEL},,,,images/small.png,`,
    `gif,x,${MODEL},,,,images/cat.gif,`,
    `intro,Same id again,${MODEL},,,,,`,
    `,Derived id,${MODEL},,,,images/ok.png,`,
    `out-a,x,${MODEL},,,,,shared.mp4`,
    `out-b,y,${MODEL},,,,,SHARED.mp4`,
    `no-prompt,,${MODEL},,,,,`,
    `images-1-x,x,doubao-seedance-1-0-pro,,,1080p,images/ok.png,`,
    ",,,,,,,",
    "",
  ].join("\n"),
  "a missing column and an unnamed column holding values": [
    "id,prompt,",
    "a,x,stray",
    "b,y,",
    "",
  ].join("\n"),
  "an unknown column": ["id,prompt,model,colour", `a,x,${MODEL},red`, ""].join("\n"),
  "variants (the entries fan out)": [
    "id,prompt,model,variants,image",
    `a,x,${MODEL},3,images/ok.png`,
    `b,y,${MODEL},0,`,
    `c,z,${MODEL},,`,
    "",
  ].join("\n"),
  "read by csv-parse (lone CRs)": `id,prompt,model\ra,x,${MODEL}\rb,y,${MODEL}\r`,
};

Deno.test("validateManifest() checks a CSV manifest while reading it exactly as loading it whole and then checking it", async (t) => {
  for (const [name, text] of Object.entries(MANIFESTS)) {
    await t.step(name, async () => {
      const [streamed, whole] = await bothWays(text);
      assert.deepEqual(streamed, whole);
      assert.ok(streamed.total > 0);
    });
  }
  await t.step("the findings are there to compare", async () => {
    const [streamed] = await bothWays(MANIFESTS["valid, invalid, images, warnings and duplicates"]);
    const codes = new Set(streamed.errors.map((issue) => issue.code));
    for (
      const code of [
        "out_of_range",
        "unknown_model",
        "image_missing",
        "image_format",
        "duplicate_id",
        "duplicate_output",
        "required",
        "not_allowed",
      ]
    ) {
      assert.ok(codes.has(code), code);
    }
    assert.ok(streamed.warnings.length > 0);
    assert.ok(streamed.jobs.some((job) => job.images.length > 0));
  });
});

Deno.test("validateManifest() names every other line of a CSV id used many times, among thousands of jobs", async () => {
  const rows = Array.from(
    { length: 3000 },
    (_, i) => `id-${i % 1000},prompt ${i},${MODEL}`,
  );
  const [streamed, whole] = await bothWays(["id,prompt,model", ...rows, ""].join("\n"));
  assert.deepEqual(streamed, whole);
  assert.equal(streamed.jobs.length, 0);
  assert.equal(streamed.errors.length, 3000);
  const first = streamed.errors.find((issue) => issue.job === "id-7");
  assert.equal(first?.message, 'id "id-7" is also used by the job at lines 1009 and 2009');
});
