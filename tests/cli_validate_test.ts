import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validateCommand } from "../src/cli/commands/validate.ts";
import type { CliIO } from "../src/cli/io.ts";
import { ManifestError } from "../src/errors.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";

const EXAMPLES = fileURLToPath(new URL("../manifests/", import.meta.url));

function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (line) => out.push(line),
      stderr: (line) => err.push(line),
      env: () => undefined,
    },
    out,
    err,
  };
}

function validate(
  manifest: string,
  options: { json?: boolean; models?: string } = {},
): Promise<{ code: number; out: string[] }> {
  const { io, out } = capture();
  return validateCommand({
    name: "validate",
    manifest,
    json: options.json ?? false,
    models: options.models,
  }, io)
    .then((code) => ({ code, out }));
}

Deno.test("validate accepts both example manifests with no errors and no warnings", async (t) => {
  for (const [name, jobs] of [["example.yaml", 6], ["storyboard.csv", 4]] as const) {
    await t.step(name, async () => {
      const json = await validate(join(EXAMPLES, name), { json: true });
      assert.equal(json.code, 0);
      assert.deepEqual(json.out, [JSON.stringify({ ok: true, jobs, errors: [], warnings: [] })]);
      const text = await validate(join(EXAMPLES, name));
      assert.equal(text.code, 0);
      assert.deepEqual(text.out, [
        `${join(EXAMPLES, name)}: ok: ${jobs} jobs (0 errors, 0 warnings)`,
      ]);
    });
  }
});

Deno.test("validate prints one line per issue and a summary, and exits 2", async () => {
  const manifest = join(FIXTURES, "invalid.yaml");
  const { code, out } = await validate(manifest);
  assert.equal(code, 2);
  assert.deepEqual(out, [
    `${manifest}:2: job "intro" field "seconds": seconds 16 is out of range for doubao-seedance-2-0 (4..15)`,
    `${manifest}:6: job "cats" field "second": unknown field "second" (did you mean "seconds"?)`,
    `${manifest}:6: job "cats" field "image": image images/cat.gif is a GIF; the service accepts JPEG, PNG or WebP`,
    `${manifest}:11: warning: job "small" field "image": image images/small.png is 200x200 px; the upstream provider accepts 300..6000 px per side`,
    `${manifest}: invalid: 2 of 3 jobs with errors (3 errors, 1 warning)`,
  ]);
});

Deno.test("validate --json prints the contract's shape with job, line, field and message", async () => {
  const { code, out } = await validate(join(FIXTURES, "invalid.yaml"), { json: true });
  assert.equal(code, 2);
  assert.equal(out.length, 1);
  const document = JSON.parse(out[0]);
  assert.deepEqual(Object.keys(document), ["ok", "jobs", "errors", "warnings"]);
  assert.equal(document.ok, false);
  assert.equal(document.jobs, 3);
  assert.deepEqual(
    document.errors.map((e: Record<string, unknown>) => [e.job, e.line, e.field]),
    [["intro", 2, "seconds"], ["cats", 6, "second"], ["cats", 6, "image"]],
  );
  assert.equal(
    document.errors[0].message,
    "seconds 16 is out of range for doubao-seedance-2-0 (4..15)",
  );
  for (const issue of [...document.errors, ...document.warnings]) {
    for (const key of ["job", "line", "field", "message"]) assert.ok(key in issue, key);
  }
  assert.deepEqual(document.warnings.map((w: { job: string }) => w.job), ["small"]);
});

Deno.test("validate --json prints the shape even when the file cannot be read", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, RegExp, number | null][] = [
      [join(dir, "missing.yaml"), /no such file/, null],
      [join(FIXTURES, "lines.txt"), /extension ".txt"/, null],
    ];
    await Deno.writeTextFile(join(dir, "syntax.yaml"), "- prompt: a\n  model: [b\n");
    cases.push([join(dir, "syntax.yaml"), /^Cannot parse /, 3]);
    for (const [path, reason, line] of cases) {
      await t.step(String(reason), async () => {
        const result = await validate(path, { json: true });
        assert.equal(result.code, 2);
        const document = JSON.parse(result.out[0]);
        assert.deepEqual(Object.keys(document), ["ok", "jobs", "errors", "warnings"]);
        assert.deepEqual([document.ok, document.jobs, document.warnings], [false, 0, []]);
        assert.equal(document.errors.length, 1);
        assert.deepEqual(Object.keys(document.errors[0]), ["job", "line", "field", "message"]);
        assert.deepEqual([document.errors[0].job, document.errors[0].line], [null, line]);
        assert.match(document.errors[0].message, /^Cannot (read|parse) /);
        assert.match(document.errors[0].message, reason);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validate without --json leaves a file-level failure to main, as a ManifestError", async () => {
  await assert.rejects(() => validate(join(FIXTURES, "missing.yaml")), ManifestError);
});

Deno.test("validate --models accepts a model the built-in catalog lacks", async () => {
  const manifest = join(FIXTURES, "custom_model.yaml");
  const without = await validate(manifest, { json: true });
  assert.equal(without.code, 2);
  const withModels = await validate(manifest, {
    json: true,
    models: join(FIXTURES, "models.yaml"),
  });
  assert.equal(withModels.code, 0);
  const broken = await validate(manifest, { json: true, models: join(FIXTURES, "invalid.yaml") });
  assert.equal(broken.code, 2);
  assert.match(JSON.parse(broken.out[0]).errors[0].message, /^Cannot use the models file/);
});
