import assert from "node:assert/strict";
import { expandManifest, fillTemplate, idSafe, parseTemplate } from "../src/manifest/expand.ts";
import { validateText } from "./fixtures/manifests/helpers.ts";
import { parseText } from "./helpers/manifest_text.ts";
import { ManifestError } from "../src/errors.ts";

const M2 = "doubao-seedance-2-0";

function ids(result: { jobs: { id: string }[] }): string[] {
  return result.jobs.map((job) => job.id);
}

Deno.test("expandManifest() makes the cartesian product in the order written, last name fastest", async () => {
  const result = await validateText(
    "yaml",
    `- id: clip
  model: ${M2}
  prompt: "A {animal} at {time}"
  matrix:
    animal: [cat, dog]
    time: [dawn, dusk, night]
`,
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(ids(result), [
    "clip-cat-dawn",
    "clip-cat-dusk",
    "clip-cat-night",
    "clip-dog-dawn",
    "clip-dog-dusk",
    "clip-dog-night",
  ]);
  assert.deepEqual(result.jobs.map((job) => job.prompt).slice(0, 2), [
    "A cat at dawn",
    "A cat at dusk",
  ]);
  assert.ok(result.jobs.every((job) => job.line === 1));
  assert.deepEqual(result.jobs.map((job) => job.index), [0, 1, 2, 3, 4, 5]);
  assert.equal(result.total, 6);
  assert.equal(result.entries, 1);
});

Deno.test("expandManifest() sets job fields from matrix names and makes their values id-safe", async () => {
  const result = await validateText(
    "yaml",
    `- id: shot
  model: ${M2}
  prompt: Waves
  matrix:
    size: ["16:9", "9:16"]
    seconds: [4, 5]
    image: [images/ok.png, [images/ok.jpg, images/small.png]]
`,
    { fakeImages: { "ok.png": {}, "ok.jpg": {}, "small.png": {} } },
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(ids(result).slice(0, 2), ["shot-16-9-4-ok", "shot-16-9-4-ok-small"]);
  assert.deepEqual(
    result.jobs.map((job) => [job.size, job.seconds, job.images.map((image) => image.path)])
      .slice(0, 3),
    [
      ["16:9", 4, ["images/ok.png"]],
      ["16:9", 4, ["images/ok.jpg", "images/small.png"]],
      ["16:9", 5, ["images/ok.png"]],
    ],
  );
  assert.equal(result.total, 8);
});

Deno.test("idSafe() turns every character outside A-Z a-z 0-9 . _ into -", () => {
  assert.equal(idSafe("16:9"), "16-9");
  assert.equal(idSafe("a b/c\\d"), "a-b-c-d");
  assert.equal(idSafe("v1.2_x"), "v1.2_x");
  assert.equal(idSafe("café"), "caf-");
});

Deno.test("variants makes N jobs with -v1..-vN ids and outputs, combined after the matrix values", async (t) => {
  await t.step("variants alone, with output", async () => {
    const result = await validateText(
      "yaml",
      `- {id: take, model: ${M2}, prompt: Rain, variants: 3, output: rain.mp4}\n`,
    );
    assert.deepEqual(result.errors, []);
    assert.deepEqual(ids(result), ["take-v1", "take-v2", "take-v3"]);
    assert.deepEqual(result.jobs.map((job) => job.output), [
      "videos/rain-v1.mp4",
      "videos/rain-v2.mp4",
      "videos/rain-v3.mp4",
    ]);
  });
  await t.step("variants with matrix, with output", async () => {
    const result = await validateText(
      "yaml",
      `- id: take
  model: ${M2}
  prompt: Rain on {place}
  output: rain.mp4
  variants: 2
  matrix:
    place: [roof, "the sea"]
`,
    );
    assert.deepEqual(result.errors, []);
    assert.deepEqual(ids(result), [
      "take-roof-v1",
      "take-roof-v2",
      "take-the-sea-v1",
      "take-the-sea-v2",
    ]);
    assert.equal(result.jobs[3].output, "videos/rain-the-sea-v2.mp4");
    assert.equal(result.jobs[3].prompt, "Rain on the sea");
  });
  await t.step("an entry without id derives each id from content, -vK for variants", async () => {
    const result = await validateText(
      "yaml",
      `- {model: ${M2}, prompt: Rain, variants: 2}\n- {model: ${M2}, prompt: "{a}", matrix: {a: [x, y]}}\n`,
    );
    assert.deepEqual(result.errors, []);
    const [v1, v2, x, y] = ids(result);
    assert.match(v1, /^job-[0-9a-f]{12}-v1$/);
    assert.equal(v2, v1.replace(/-v1$/, "-v2"));
    assert.match(x, /^job-[0-9a-f]{12}$/);
    assert.notEqual(x, y);
    // As usual: the same content as a plain job gives the same id.
    const plain = await validateText("yaml", `- {model: ${M2}, prompt: x}\n`);
    assert.equal(plain.jobs[0].id, x);
  });
});

Deno.test("expansion is deterministic: the same ids across runs and when entries are reordered", async () => {
  const a = `- {id: a, model: ${M2}, prompt: "{s}", matrix: {s: [one, two]}, variants: 2}\n`;
  const b = `- {model: ${M2}, prompt: "p {s}", matrix: {s: [one, two]}}\n`;
  const first = await validateText("yaml", a + b);
  const again = await validateText("yaml", a + b);
  const reordered = await validateText("yaml", b + a);
  assert.deepEqual(ids(first), ids(again));
  assert.deepEqual([...ids(first)].sort(), [...ids(reordered)].sort());
  assert.deepEqual(
    first.jobs.map((job) => job.fingerprint),
    again.jobs.map((job) => job.fingerprint),
  );
});

Deno.test("prompt templates: {{ and }} are literal braces, a stray brace or a missing name is an error", async (t) => {
  await t.step("parseTemplate() and fillTemplate()", () => {
    const template = parseTemplate("{{x}} {a} }}{b}{{");
    assert.ok(Array.isArray(template));
    assert.deepEqual(fillTemplate(template, new Map([["a", "1"], ["b", "2"]])), {
      text: "{x} 1 }2{",
      missing: [],
    });
    assert.deepEqual(fillTemplate(template, new Map([["a", "1"]])).missing, ["b"]);
    assert.match(String(parseTemplate("a { b")), /"\{" at character 3 that opens no \{name\}/);
    assert.match(String(parseTemplate("a } b")), /"\}" at character 3 that closes no \{name\}/);
    assert.match(String(parseTemplate("a {} b")), /opens no \{name\}/);
  });
  await t.step(
    "a {name} with no value names the placeholder, the line and the combination",
    async () => {
      const result = await validateText(
        "yaml",
        `- {id: ok, model: ${M2}, prompt: fine}\n- id: t\n  model: ${M2}\n  prompt: "{mood} {colour}"\n  matrix: {mood: [calm, wild]}\n`,
      );
      assert.deepEqual(
        result.errors.map((issue) => [issue.job, issue.line, issue.field, issue.message]),
        [
          [
            "t-calm",
            2,
            "prompt",
            'the prompt\'s {colour} has no value; the matrix names are mood (write {{ and }} for literal braces) (matrix mood="calm")',
          ],
          [
            "t-wild",
            2,
            "prompt",
            'the prompt\'s {colour} has no value; the matrix names are mood (write {{ and }} for literal braces) (matrix mood="wild")',
          ],
        ],
      );
      assert.equal(result.invalid.length, 2);
    },
  );
  await t.step("a prompt without a matrix is not a template", async () => {
    const result = await validateText(
      "yaml",
      `- {id: a, model: ${M2}, prompt: "keep {this} and {{that}}", variants: 2}\n`,
    );
    assert.deepEqual(result.errors, []);
    assert.equal(result.jobs[0].prompt, "keep {this} and {{that}}");
  });
  await t.step("a prompt from defaults is filled per combination", async () => {
    const result = await validateText(
      "yaml",
      `defaults: {prompt: "A {a}", model: ${M2}}\njobs:\n  - {id: d, matrix: {a: [x, y]}}\n`,
    );
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.jobs.map((job) => job.prompt), ["A x", "A y"]);
  });
});

Deno.test("errors of an expanded job name the job and its combination", async () => {
  const result = await validateText(
    "yaml",
    `- id: e\n  model: ${M2}\n  prompt: x\n  variants: 2\n  matrix: {seconds: [5, 40]}\n`,
  );
  assert.deepEqual(
    result.errors.map((issue) => `${issue.job}:${issue.line}:${issue.field}:${issue.message}`),
    [
      'e-40-v1:1:seconds:seconds 40 is out of range for doubao-seedance-2-0 (4..15) (matrix seconds="40", variant 1 of 2)',
      'e-40-v2:1:seconds:seconds 40 is out of range for doubao-seedance-2-0 (4..15) (matrix seconds="40", variant 2 of 2)',
    ],
  );
  assert.deepEqual(ids(result), ["e-5-v1", "e-5-v2"]);
});

Deno.test("an expansion that produces a duplicate id is an error on each job involved", async (t) => {
  await t.step("two values with the same id-safe form", async () => {
    const result = await validateText(
      "yaml",
      `- {id: d, model: ${M2}, prompt: "{r}", matrix: {r: ["a:b", "a b"]}}\n`,
    );
    assert.deepEqual(result.errors.map((issue) => [issue.job, issue.code]), [
      ["d-a-b", "duplicate_id"],
      ["d-a-b", "duplicate_id"],
    ]);
    assert.match(result.errors[0].message, /\(matrix r="a:b"\)$/);
  });
  await t.step("an expanded id that another entry uses", async () => {
    const result = await validateText(
      "yaml",
      `- {id: x-v2, model: ${M2}, prompt: a}\n- {id: x, model: ${M2}, prompt: b, variants: 2}\n`,
    );
    assert.deepEqual(result.errors.map((issue) => [issue.job, issue.line, issue.code]), [
      ["x-v2", 1, "duplicate_id"],
      ["x-v2", 2, "duplicate_id"],
    ]);
  });
});

Deno.test("variants is bounded 1..100 and must be a whole number", async (t) => {
  for (
    const [value, jobs, code] of [
      [0, 1, "out_of_range"],
      [1, 1, undefined],
      [100, 100, undefined],
      [101, 1, "out_of_range"],
      ['"two"', 1, "type"],
      [2.5, 1, "type"],
    ] as const
  ) {
    await t.step(String(value), async () => {
      const result = await validateText(
        "yaml",
        `- {id: b, model: ${M2}, prompt: a, variants: ${value}}\n`,
      );
      assert.equal(result.total, jobs);
      assert.deepEqual(
        result.errors.map((issue) => [issue.field, issue.code]),
        code ? [["variants", code]] : [],
      );
      if (code) {
        assert.match(result.errors[0].message, /variants must be a whole number from 1 to 100/);
      }
      if (value === 1) assert.deepEqual(ids(result), ["b-v1"]);
    });
  }
});

Deno.test("a malformed matrix leaves its entry one invalid job naming the name at fault", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["{a: []}", "matrix.a", /matrix\.a is an empty list; it would make no jobs/],
    [
      '{b: [x], "1": [y]}',
      "matrix",
      /matrix name "1" cannot be used; a name is a word \(not a number\)/,
    ],
    ['{"{a}": [x]}', "matrix", /matrix name "\{a\}" cannot be used/],
    ["{a: x}", "matrix.a", /matrix\.a must be a list of values, got "x"/],
    ["[a, b]", "matrix", /matrix must be a mapping of names to lists of values, got a list/],
    ["{}", "matrix", /matrix is empty/],
    ["{a: [[x, y]]}", "matrix.a", /matrix\.a value 1 is a list; a value must be text or a number/],
    ["{a: [{x: 1}]}", "matrix.a", /matrix\.a value 1 is a mapping/],
    ["{a: [x, null]}", "matrix.a", /matrix\.a value 2 is empty/],
    ['{a: [""]}', "matrix.a", /matrix\.a value 1 is empty; it cannot name a job/],
    ["{size: [1:1]}", "matrix.size", /size is set both by the entry's size and by the matrix/],
    [
      "{image: [images/ok.png], input_reference: [images/ok.png]}",
      "matrix.input_reference",
      /image and input_reference both set image/,
    ],
  ];
  for (const [matrix, field, message] of cases) {
    await t.step(matrix, async () => {
      const result = await validateText(
        "yaml",
        `- {id: m, model: ${M2}, prompt: a, size: "16:9", matrix: ${matrix}}\n`,
        { fakeImages: { "ok.png": {} } },
      );
      assert.equal(result.total, 1);
      assert.deepEqual(result.errors.map((issue) => [issue.job, issue.line, issue.field]), [[
        "m",
        1,
        field,
      ]]);
      assert.match(result.errors[0].message, message);
    });
  }
});

Deno.test("matrix names such as __proto__ and toString are template variables like any other", async () => {
  const result = await validateText(
    "yaml",
    `- id: p\n  model: ${M2}\n  prompt: "{__proto__} {toString} {constructor}"\n  matrix:\n    __proto__: [a]\n    toString: [b]\n    constructor: [c]\n`,
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(ids(result), ["p-a-b-c"]);
  assert.equal(result.jobs[0].prompt, "a b c");
  const missing = await validateText(
    "yaml",
    `- {id: q, model: ${M2}, prompt: "{toString}", matrix: {x: [1]}}\n`,
  );
  assert.match(missing.errors[0].message, /\{toString\} has no value/);
});

Deno.test("CSV takes a variants column and refuses a matrix column", async () => {
  const result = await validateText(
    "csv",
    `id,prompt,model,variants\na,Rain,${M2},3\nb,Sun,${M2},\n`,
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(ids(result), ["a-v1", "a-v2", "a-v3", "b"]);
  assert.deepEqual(result.jobs.map((job) => job.line), [2, 2, 2, 3]);
  assert.equal(result.entries, 2);
  const matrix = await validateText("csv", `id,prompt,model,matrix\na,Rain,${M2},x\n`);
  assert.match(matrix.errors[0].message, /matrix is YAML only/);
});

Deno.test("variants and matrix cannot be defaults", async () => {
  const result = await validateText(
    "yaml",
    `defaults: {variants: 2}\njobs:\n  - {id: a, model: ${M2}, prompt: x}\n`,
  );
  assert.deepEqual(result.errors.map((issue) => [issue.field, issue.code]), [[
    "defaults.variants",
    "not_allowed",
  ]]);
});

Deno.test("expandManifest() refuses a manifest that would expand past a million jobs", () => {
  const values = Array.from({ length: 100 }, (_, i) => i).join(", ");
  const entry = `- {id: big, model: ${M2}, prompt: x, variants: 100, matrix: {a: [${values}]}}\n`;
  const raw = parseText(
    "yaml",
    Array.from({ length: 101 }, (_, i) => entry.replace("id: big", `id: big${i}`)).join(""),
  );
  assert.throws(() => expandManifest(raw), (error: unknown) => {
    assert.ok(error instanceof ManifestError);
    assert.match(error.message, /expand to more than 1000000 jobs \(by the entry at line 101\)/);
    return true;
  });
  const huge = parseText(
    "yaml",
    `- {id: h, model: ${M2}, prompt: x, variants: 100, matrix: {a: [${values}], b: [${values}]}}\n`,
  );
  const expanded = expandManifest(huge);
  assert.equal(expanded.jobs.length, 1);
  assert.match(expanded.jobs[0].problems[0].message, /expands to 1000000 jobs; at most 100000/);
});

Deno.test("expandManifest() is idempotent and leaves a manifest without fan-out as it is", () => {
  const raw = parseText("yaml", `- {id: a, model: ${M2}, prompt: x}\n`);
  const expanded = expandManifest(raw);
  assert.equal(expanded.jobs, raw.jobs);
  assert.equal(expanded.fannedOut, false);
  assert.equal(expandManifest(expanded), expanded);
});

Deno.test("an entry whose variants and matrix are left empty is one job with its own id", async () => {
  const result = await validateText(
    "yaml",
    `- id: e\n  model: ${M2}\n  prompt: "a {x}"\n  variants:\n  matrix:\n`,
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(ids(result), ["e"]);
  assert.equal(result.jobs[0].prompt, "a {x}");
});

Deno.test("a prompt left empty on a matrix entry takes the default's, filled", async () => {
  const result = await validateText(
    "yaml",
    `defaults: {prompt: "A {a}", model: ${M2}}\njobs:\n  - id: d\n    prompt:\n    matrix: {a: [x]}\n`,
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.jobs.map((job) => job.prompt), ["A x"]);
});
