import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { FIXTURES, type TestJob, validateJobs } from "./fixtures/manifests/helpers.ts";

Deno.test("validateRawManifest() collects every problem of every job at once", async () => {
  const result = await validateJobs("yaml", [
    { prompt: "", model: "nope", seconds: 99, size: "2:1", colour: "red" },
    { prompt: "fine", model: "doubao-seedance-1-0-pro", seconds: 1, resolution: "4k" },
  ]);
  assert.deepEqual(result.errors.map((e) => [e.index, e.field, e.code]), [
    [1, "prompt", "empty"],
    [1, "model", "unknown_model"],
    [1, "size", "not_allowed"],
    [1, "colour", "unknown_field"],
    [2, "resolution", "not_allowed"],
    [2, "seconds", "out_of_range"],
  ]);
  assert.equal(result.total, 2);
  assert.equal(result.invalid.length, 2);
  assert.equal(result.invalid[1].model, "doubao-seedance-1-0-pro");
  assert.equal(result.invalid[1].seconds, 1);
});

Deno.test("validateRawManifest() validates defaults and makes every job invalid when they are wrong", async (t) => {
  const cases: [TestJob, string][] = [
    [{ second: 5 }, "defaults.second:unknown_field"],
    [{ seconds: "five" }, "defaults.seconds:type"],
    [{ size: "2:1" }, "defaults.size:not_allowed"],
    [{ model: "doubao-seedance-3" }, "defaults.model:unknown_model"],
    [{ id: "same" }, "defaults.id:not_allowed"],
    [{ output: "x.mp4" }, "defaults.output:not_allowed"],
    [{ image: "images/cat.gif" }, "defaults.image:image_format"],
  ];
  for (const [defaults, expected] of cases) {
    await t.step(expected, async () => {
      const result = await validateJobs("yaml", [
        { prompt: "a", model: "doubao-seedance-2-0" },
        { prompt: "b", model: "doubao-seedance-2-0" },
      ], { defaults });
      assert.deepEqual(result.errors.map((e) => `${e.field}:${e.code}`), [expected]);
      assert.equal(result.errors[0].line, 1);
      assert.equal(result.jobs.length, 0);
      assert.deepEqual(result.invalid.map((job) => job.issues.at(-1)?.code), [
        "manifest_invalid",
        "manifest_invalid",
      ]);
    });
  }
  await t.step("a default out of range for one job's model is that job's error", async () => {
    const result = await validateJobs("yaml", [
      { prompt: "a", model: "doubao-seedance-2-0" },
      { prompt: "b", model: "doubao-seedance-1-0-pro" },
    ], { defaults: { seconds: 3 } });
    assert.deepEqual(result.errors.map((e) => [e.index, e.code]), [[1, "out_of_range"]]);
    assert.deepEqual(result.jobs.map((job) => job.index), [1]);
  });
});

Deno.test("validateManifest() reads the file and returns its absolute path", async () => {
  const path = join(FIXTURES, "lines.yaml");
  const result = await validateManifest(path, { catalog: DEFAULT_CATALOG });
  assert.equal(result.manifest, path);
  assert.equal(result.errors.length, 0);
  assert.equal(result.total, result.jobs.length);
});

Deno.test("validateManifest() reads each image file once, however many jobs share it", async () => {
  const reads: string[] = [];
  const { readImage } = await import("../src/image.ts");
  const result = await validateManifest(join(FIXTURES, "shared_images.yaml"), {
    catalog: DEFAULT_CATALOG,
    readImage: (path) => {
      reads.push(path);
      return readImage(path);
    },
  });
  assert.deepEqual(result.errors, []);
  assert.equal(result.jobs.length, 3);
  assert.deepEqual(reads.sort(), [
    join(FIXTURES, "images/ok.jpg"),
    join(FIXTURES, "images/ok.png"),
  ]);
});
