import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { loadCatalog, parseCatalog } from "../src/catalog_file.ts";
import { ManifestError } from "../src/errors.ts";

Deno.test("loadCatalog() returns the built-in catalog without a file", async () => {
  assert.equal(await loadCatalog(), DEFAULT_CATALOG);
});

Deno.test("loadCatalog() adds models from a YAML file and overrides rules field by field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "models.yaml");
    await Deno.writeTextFile(
      path,
      [
        "doubao-seedance-3-0:",
        "  seconds: {min: 4, max: 20}",
        "  resolutions: [720p, 1080p]",
        "  maxImages: 4",
        "doubao-seedance-1-0-pro:",
        "  seconds: {min: 2, max: 12}",
      ].join("\n"),
    );
    const catalog = await loadCatalog(path);
    assert.deepEqual(catalog["doubao-seedance-3-0"], {
      seconds: { min: 4, max: 20 },
      resolutions: ["720p", "1080p"],
      maxImages: 4,
    });
    assert.deepEqual(catalog["doubao-seedance-1-0-pro"], {
      ...DEFAULT_CATALOG["doubao-seedance-1-0-pro"],
      seconds: { min: 2, max: 12 },
    });
    assert.deepEqual(catalog["doubao-seedance-2-0"], DEFAULT_CATALOG["doubao-seedance-2-0"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCatalog() reads JSON too", () => {
  const catalog = parseCatalog(
    '{"m": {"seconds": {"min": 1, "max": 3}, "resolutions": ["720p"]}}',
    {
      file: "m.json",
    },
  );
  assert.deepEqual(catalog.m, { seconds: { min: 1, max: 3 }, resolutions: ["720p"], maxImages: 0 });
});

Deno.test("parseCatalog() refuses an invalid catalog, listing every problem", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["not a mapping", "- a\n- b\n", /must be a mapping of model names/],
    ["empty", "", /must be a mapping of model names/],
    ["syntax", "m: {seconds: [\n", /^Cannot parse the models file models\.yaml at line/],
    [
      "min above max",
      "m: {seconds: {min: 9, max: 2}, resolutions: [720p]}",
      /m\.seconds: min must not exceed max/,
    ],
    [
      "fractional seconds",
      "m: {seconds: {min: 1.5, max: 2}, resolutions: [720p]}",
      /m\.seconds\.min: must be a whole number/,
    ],
    [
      "no resolutions",
      "m: {seconds: {min: 1, max: 2}, resolutions: []}",
      /m\.resolutions: must list at least one/,
    ],
    ["negative images", "doubao-seedance-2-0: {maxImages: -1}", /maxImages: must be 0 or more/],
    ["unknown rule", "doubao-seedance-2-0: {maxImage: 3}", /Unrecognized key: "maxImage"/],
    [
      "new model without rules",
      "m: {maxImages: 1}",
      /m: a new model needs seconds.*m: a new model needs resolutions/,
    ],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseCatalog(text, { file: "models.yaml" }), (error: unknown) => {
        assert.ok(error instanceof ManifestError);
        assert.equal(error.file, "models.yaml");
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("loadCatalog() refuses a missing file with a clear error", async () => {
  await assert.rejects(() => loadCatalog("/nonexistent/models.yaml"), (error: unknown) => {
    assert.ok(error instanceof ManifestError);
    assert.equal(
      error.message,
      "Cannot read the models file /nonexistent/models.yaml: no such file",
    );
    return true;
  });
});
