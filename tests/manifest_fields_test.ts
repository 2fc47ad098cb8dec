import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG, mergeCatalog, SIZES } from "../src/catalog.ts";
import {
  errorsOf,
  FIXTURES,
  FORMATS,
  type TestJob,
  validateJobs,
  validateText,
} from "./fixtures/manifests/helpers.ts";

const MODELS = Object.keys(DEFAULT_CATALOG);

const base = (model: string): TestJob => ({ prompt: "a quiet harbour at dawn", model });

Deno.test("validateRawManifest() enforces each model's seconds range at, below and above its bounds", async (t) => {
  for (const format of FORMATS) {
    for (const model of MODELS) {
      const { min, max } = DEFAULT_CATALOG[model].seconds;
      const cases: [number, boolean][] = [
        [min - 1, false],
        [min, true],
        [min + 1, true],
        [max - 1, true],
        [max, true],
        [max + 1, false],
      ];
      for (const [seconds, ok] of cases) {
        await t.step(`${format} ${model} seconds ${seconds}`, async () => {
          const errors = await errorsOf(format, { ...base(model), seconds });
          assert.deepEqual(errors, ok ? [] : ["seconds:out_of_range"]);
        });
      }
    }
  }
});

Deno.test("validateRawManifest() names the model and range in a seconds error", async () => {
  const result = await validateJobs("yaml", [{
    id: "intro",
    prompt: "x",
    model: "doubao-seedance-2-0",
    seconds: 16,
  }]);
  assert.deepEqual(result.errors, [{
    code: "out_of_range",
    job: "intro",
    index: 1,
    line: 1,
    field: "seconds",
    message: "seconds 16 is out of range for doubao-seedance-2-0 (4..15)",
  }]);
});

Deno.test("validateRawManifest() accepts whole numbers and numeric text for seconds, nothing else", async (t) => {
  const cases: [string, TestJob["seconds"], boolean][] = [
    ["yaml", 5, true],
    ["yaml", "5", true],
    ["yaml", " 6 ", true],
    ["yaml", 5.5, false],
    ["yaml", "5.5", false],
    ["yaml", "five", false],
    ["yaml", true, false],
    ["yaml", ["5"], false],
    ["yaml", "", false],
    ["csv", "5", true],
    ["csv", "5.5", false],
    ["csv", "five", false],
    ["csv", "-5", false],
    ["csv", "1e1", false],
  ];
  for (const [format, seconds, ok] of cases) {
    await t.step(`${format} ${JSON.stringify(seconds)}`, async () => {
      const errors = await errorsOf(format as "yaml", { ...base("doubao-seedance-2-0"), seconds });
      assert.deepEqual(errors, ok ? [] : ["seconds:type"]);
    });
  }
});

Deno.test("validateRawManifest() enforces each model's resolutions", async (t) => {
  for (const format of FORMATS) {
    for (const model of MODELS) {
      for (const resolution of ["480p", "720p", "1080p", "4k"]) {
        const ok = DEFAULT_CATALOG[model].resolutions.includes(resolution);
        await t.step(`${format} ${model} ${resolution}`, async () => {
          const errors = await errorsOf(format, { ...base(model), resolution });
          assert.deepEqual(errors, ok ? [] : ["resolution:not_allowed"]);
        });
      }
    }
  }
});

Deno.test("validateRawManifest() accepts exactly the listed sizes", async (t) => {
  for (const format of FORMATS) {
    for (const size of [...SIZES, "16:10", "9:21", "1:2", "landscape"]) {
      const ok = SIZES.includes(size);
      await t.step(`${format} ${size}`, async () => {
        const errors = await errorsOf(format, { ...base("doubao-seedance-1-0-pro"), size });
        assert.deepEqual(errors, ok ? [] : ["size:not_allowed"]);
      });
    }
  }
});

Deno.test("validateRawManifest() allows images only where the model takes them, up to its maximum", async (t) => {
  const images = (count: number): string[] =>
    Array.from({ length: count }, (_, i) => i % 2 ? "images/ok.png" : "images/ok.jpg");
  for (const format of FORMATS) {
    for (const model of MODELS) {
      const max = DEFAULT_CATALOG[model].maxImages;
      const counts = max === 0 ? [0, 1, 2] : [0, 1, max - 1, max, max + 1];
      for (const count of counts) {
        const ok = count <= max;
        await t.step(`${format} ${model} ${count} images`, async () => {
          const job = count === 0 ? base(model) : { ...base(model), image: images(count) };
          const errors = await errorsOf(format, job);
          assert.deepEqual(errors, ok ? [] : [max === 0 ? "image:not_allowed" : "image:too_many"]);
        });
      }
    }
  }
});

Deno.test("validateRawManifest() keeps several images per job in order, with their content types", async () => {
  for (const format of FORMATS) {
    const result = await validateJobs(format, [{
      ...base("doubao-seedance-2-0"),
      image: ["images/lossy.webp", "images/ok.jpg", "images/ok.png"],
    }]);
    assert.deepEqual(result.errors, [], format);
    assert.deepEqual(
      result.jobs[0].images.map((image) => [image.path, image.contentType]),
      [
        ["images/lossy.webp", "image/webp"],
        ["images/ok.jpg", "image/jpeg"],
        ["images/ok.png", "image/png"],
      ],
    );
    assert.equal(result.jobs[0].images[1].resolved, join(FIXTURES, "images/ok.jpg"));
  }
});

Deno.test("validateRawManifest() splits a CSV image cell on | and trims each path", async () => {
  const text =
    "prompt,model,image\nx,doubao-seedance-2-0,  images/ok.png |images/ok.jpg  |  images/lossy.webp\n";
  const result = await validateText("csv", text);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.jobs[0].images.map((image) => image.path), [
    "images/ok.png",
    "images/ok.jpg",
    "images/lossy.webp",
  ]);
});

Deno.test("validateRawManifest() reports an empty path in an image list", async () => {
  for (const format of FORMATS) {
    const errors = await errorsOf(format, {
      ...base("doubao-seedance-2-0"),
      image: ["images/ok.png", ""],
    });
    assert.deepEqual(errors, ["image:empty"], format);
  }
});

Deno.test("validateRawManifest() checks image files by their bytes", async (t) => {
  const cases: [string, string, string][] = [
    ["images/missing.png", "image_missing", "does not exist"],
    ["images", "image_not_file", "is not a file"],
    ["images/empty.png", "image_empty", "is an empty file"],
    [
      "images/cat.gif",
      "image_format",
      "image images/cat.gif is a GIF; the service accepts JPEG, PNG or WebP",
    ],
    ["images/fake.png", "image_format", "is not a JPEG, PNG or WebP image"],
  ];
  for (const format of FORMATS) {
    for (const [path, code, message] of cases) {
      await t.step(`${format} ${path}`, async () => {
        const result = await validateJobs(format, [{
          ...base("doubao-seedance-2-0"),
          image: path,
        }]);
        assert.equal(result.errors.length, 1);
        assert.equal(result.errors[0].code, code);
        assert.equal(result.errors[0].field, "image");
        assert.ok(result.errors[0].message.includes(message), result.errors[0].message);
      });
    }
  }
});

Deno.test("validateRawManifest() warns, without failing, about images beyond the upstream limits", async (t) => {
  const MB = 1024 * 1024;
  const cases: [string, Record<string, number>, string[]][] = [
    ["30 MB", { bytes: 30 * MB }, []],
    ["30 MB + 1", { bytes: 30 * MB + 1 }, ["image_size"]],
    ["299 px", { width: 299, height: 500 }, ["image_dimensions"]],
    ["300 px", { width: 300, height: 500 }, []],
    ["6000 px", { width: 6000, height: 3000 }, []],
    ["6001 px", { width: 6001, height: 3000 }, ["image_dimensions"]],
    ["aspect 0.4", { width: 400, height: 1000 }, []],
    ["aspect 0.399", { width: 399, height: 1000 }, ["image_aspect"]],
    ["aspect 2.5", { width: 2500, height: 1000 }, []],
    ["aspect 2.501", { width: 2501, height: 1000 }, ["image_aspect"]],
  ];
  for (const format of FORMATS) {
    for (const [name, facts, codes] of cases) {
      await t.step(`${format} ${name}`, async () => {
        const result = await validateJobs(
          format,
          [{ ...base("doubao-seedance-2-0"), image: "images/fake-big.png" }],
          { fakeImages: { "fake-big.png": facts } },
        );
        assert.deepEqual(result.errors, []);
        assert.equal(result.jobs.length, 1);
        assert.deepEqual(result.warnings.map((warning) => warning.code), codes);
      });
    }
  }
  await t.step("real small and wide files", async () => {
    const result = await validateJobs("yaml", [
      { ...base("doubao-seedance-2-0"), image: "images/small.png" },
      { ...base("doubao-seedance-2-0-fast"), image: "images/wide.png" },
    ]);
    assert.deepEqual(result.warnings.map((w) => [w.line, w.code]), [
      [1, "image_dimensions"],
      [2, "image_aspect"],
    ]);
    assert.match(result.warnings[0].message, /^image images\/small\.png is 200x200 px/);
  });
});

Deno.test("validateRawManifest() requires a non-empty prompt", async (t) => {
  const cases: [string, TestJob, string[]][] = [
    ["missing", { model: "doubao-seedance-2-0" }, ["prompt:required"]],
    ["empty", { prompt: "", model: "doubao-seedance-2-0" }, ["prompt:required"]],
    ["blank", { prompt: "   ", model: "doubao-seedance-2-0" }, ["prompt:empty"]],
    ["one character", { prompt: "x", model: "doubao-seedance-2-0" }, []],
    [
      "non-ASCII",
      { prompt: "Ein Heißluftballon über 日本の山, 🎈", model: "doubao-seedance-2-0" },
      [],
    ],
  ];
  for (const format of FORMATS) {
    for (const [name, job, errors] of cases) {
      // An empty or blank YAML string is present but empty; such a CSV cell is absent.
      const expected = format === "csv" && name === "blank"
        ? ["prompt:required"]
        : format === "yaml" && name === "empty"
        ? ["prompt:empty"]
        : errors;
      await t.step(`${format} ${name}`, async () => {
        assert.deepEqual(await errorsOf(format, job), expected);
      });
    }
  }
  await t.step("yaml number is the text written, as in a CSV cell", async () => {
    assert.deepEqual(await errorsOf("yaml", { prompt: 42, model: "doubao-seedance-2-0" }), []);
    const result = await validateJobs("yaml", [{ prompt: 4.20, model: "doubao-seedance-2-0" }]);
    assert.equal(result.jobs[0].prompt, "4.2");
  });
});

Deno.test("validateRawManifest() keeps a non-ASCII prompt exactly", async () => {
  const prompt = 'Ein Heißluftballon über 日本の山, "quoted", 🎈';
  for (const format of FORMATS) {
    const result = await validateJobs(format, [{ prompt, model: "doubao-seedance-2-0" }]);
    assert.equal(result.jobs[0].prompt, prompt, format);
  }
});

Deno.test("validateRawManifest() requires a known model and suggests a near miss", async (t) => {
  const cases: [TestJob, string, RegExp][] = [
    [{ prompt: "x" }, "required", /^model is required/],
    [
      { prompt: "x", model: "doubao-seedance-2.0" },
      "unknown_model",
      /did you mean "doubao-seedance-2-0"\?/,
    ],
    [
      { prompt: "x", model: "seedance-1-5-pro" },
      "unknown_model",
      /did you mean "doubao-seedance-1-5-pro"\?/,
    ],
    [{ prompt: "x", model: "gpt-video" }, "unknown_model", /known models: doubao-seedance-2-0, /],
  ];
  for (const format of FORMATS) {
    for (const [job, code, message] of cases) {
      await t.step(`${format} ${job.model ?? "no model"}`, async () => {
        const result = await validateJobs(format, [job]);
        if (format === "csv" && code === "required") {
          // Reported once, at the header.
          assert.deepEqual(result.errors.map((e) => [e.line, e.job, e.field, e.code]), [
            [1, null, "model", "required"],
          ]);
          assert.match(result.errors[0].message, /the header has no "model" column/);
          return;
        }
        assert.deepEqual(result.errors.map((e) => [e.field, e.code]), [["model", code]]);
        assert.match(result.errors[0].message, message);
      });
    }
  }
});

Deno.test("validateRawManifest() rejects unknown fields with the nearest name", async (t) => {
  const cases: [string, string | undefined][] = [
    ["second", "seconds"],
    ["Prompt", "prompt"],
    ["images", "image"],
    ["resolutoin", "resolution"],
    ["colour", undefined],
  ];
  for (const [field, hint] of cases) {
    await t.step(`yaml ${field}`, async () => {
      const result = await validateJobs("yaml", [{ ...base("doubao-seedance-2-0"), [field]: "5" }]);
      assert.deepEqual(result.errors.map((e) => [e.field, e.code]), [[field, "unknown_field"]]);
      if (hint) {
        assert.equal(
          result.errors[0].message,
          `unknown field "${field}" (did you mean "${hint}"?)`,
        );
      } else {
        // Nothing close: the nearest field is still named, with the list of known fields.
        assert.match(
          result.errors[0].message,
          new RegExp(`^unknown field "${field}" \\(did you mean "\\w+"\\? known fields: id, `),
        );
      }
    });
    await t.step(`csv ${field}`, async () => {
      const result = await validateJobs("csv", [{ ...base("doubao-seedance-2-0"), [field]: "5" }]);
      // A CSV column is reported once, at the header, and makes every job invalid.
      assert.deepEqual(result.errors.map((e) => [e.line, e.field, e.code]), [
        [1, field, "unknown_field"],
      ]);
      assert.equal(result.jobs.length, 0);
      assert.equal(result.invalid.length, 1);
    });
  }
});

Deno.test("validateRawManifest() treats input_reference as image and refuses both at once", async (t) => {
  for (const format of FORMATS) {
    await t.step(`${format} alias alone`, async () => {
      const result = await validateJobs(format, [{
        ...base("doubao-seedance-2-0"),
        input_reference: ["images/ok.png", "images/ok.jpg"],
      }]);
      assert.deepEqual(result.errors, []);
      assert.equal(result.jobs[0].images.length, 2);
    });
    await t.step(`${format} both`, async () => {
      const errors = await errorsOf(format, {
        ...base("doubao-seedance-2-0"),
        image: "images/ok.png",
        input_reference: "images/ok.jpg",
      });
      assert.deepEqual(errors, ["input_reference:alias_conflict"]);
    });
    await t.step(`${format} alias on a model without images`, async () => {
      const errors = await errorsOf(format, {
        ...base("doubao-seedance-1-0-pro"),
        input_reference: "images/ok.jpg",
      });
      assert.deepEqual(errors, ["input_reference:not_allowed"]);
    });
  }
});

Deno.test("validateRawManifest() rejects ids that are not text or numbers, or empty", async () => {
  assert.deepEqual(await errorsOf("yaml", { ...base("doubao-seedance-2-0"), id: ["a"] }), [
    "id:type",
  ]);
  assert.deepEqual(await errorsOf("yaml", { ...base("doubao-seedance-2-0"), id: " " }), [
    "id:empty",
  ]);
});

Deno.test("validateRawManifest() treats a YAML null as a field left out", async () => {
  const result = await validateText(
    "yaml",
    "- prompt: x\n  model: doubao-seedance-2-0\n  seconds:\n  size: ~\n  image:\n",
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual([result.jobs[0].seconds, result.jobs[0].size], [5, "16:9"]);
});

Deno.test("validateRawManifest() enforces the rules of a catalog extended by the user", async () => {
  const catalog = mergeCatalog(DEFAULT_CATALOG, {
    "doubao-seedance-9": { seconds: { min: 1, max: 30 }, resolutions: ["4k"], maxImages: 1 },
  });
  for (const format of FORMATS) {
    const ok = await validateJobs(format, [
      {
        prompt: "x",
        model: "doubao-seedance-9",
        seconds: 30,
        resolution: "4k",
        image: "images/ok.png",
      },
    ], { catalog });
    assert.deepEqual(ok.errors, []);
    const bad = await validateJobs(format, [
      { prompt: "x", model: "doubao-seedance-9", seconds: 31, resolution: "4k" },
    ], { catalog });
    assert.deepEqual(bad.errors.map((e) => e.message), [
      "seconds 31 is out of range for doubao-seedance-9 (1..30)",
    ]);
  }
});
