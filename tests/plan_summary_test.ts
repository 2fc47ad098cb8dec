import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { summarizePlan } from "../src/plan_summary.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";

Deno.test("summarizePlan() counts image uploads per job and distinct files", async () => {
  const { jobs } = await validateManifest(join(FIXTURES, "shared_images.yaml"), {
    catalog: DEFAULT_CATALOG,
  });
  const summary = summarizePlan(jobs);
  const size = (name: string): number => Deno.statSync(join(FIXTURES, "images", name)).size;
  assert.deepEqual(summary.images, {
    uploads: 4,
    bytes: size("ok.png") * 2 + size("ok.jpg") * 2,
    files: 2,
  });
  assert.equal(summary.journal, undefined);
  assert.deepEqual(summary.byModel, [
    { model: "doubao-seedance-2-0", resolution: "720p", jobs: 3, seconds: 15 },
  ]);
});
