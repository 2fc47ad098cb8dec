/**
 * Issue 8 item 10: user text that names a member of `Object.prototype`
 * (`toString`, `constructor`, `__proto__`, ...) is plain text wherever it is a
 * lookup key: a model, a field or column name, a size, a resolution, a
 * `--models` key, a job id. Refused with the usual messages (exit 2), or
 * handled as any other name; never a stack trace, never sent unchecked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, runCli, withTempDir } from "./helpers/cli.ts";
import { readReport } from "./e2e/harness.ts";

const NAMES = [
  "toString",
  "constructor",
  "hasOwnProperty",
  "__proto__",
  "valueOf",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
] as const;

function assertClean(result: CliResult): void {
  const printed = [...result.stdout, ...result.stderr].join("\n");
  assert.doesNotMatch(printed, /unexpected failure|TypeError|\n\s+at /, printed);
}

async function validateJson(
  manifest: string,
  extra: string[] = [],
): Promise<{ result: CliResult; report: { ok: boolean; errors: Record<string, unknown>[] } }> {
  const result = await runCli(["validate", manifest, "--json", ...extra]);
  assertClean(result);
  return { result, report: JSON.parse(result.stdout.join("\n")) };
}

Deno.test("validate refuses a model named after an Object.prototype member, in YAML and CSV", async () => {
  await withTempDir(async (dir) => {
    for (const name of NAMES) {
      const yaml = join(dir, `${name}.yaml`);
      await Deno.writeTextFile(yaml, `- id: a\n  prompt: hi\n  model: ${name}\n`);
      const csv = join(dir, `${name}.csv`);
      await Deno.writeTextFile(csv, `id,prompt,model\na,hi,${name}\n`);
      for (const manifest of [yaml, csv]) {
        const { result, report } = await validateJson(manifest);
        assert.equal(result.code, 2, `${manifest}: ${result.stdout.join("\n")}`);
        assert.equal(report.ok, false);
        assert.equal(report.errors.length, 1);
        assert.equal(report.errors[0].field, "model");
        assert.match(String(report.errors[0].message), /^model ".+" is not in the catalog/);
        const text = await runCli(["validate", manifest]);
        assertClean(text);
        assert.equal(text.code, 2);
      }
    }
  });
});

Deno.test("run sends nothing for a model named after an Object.prototype member", async () => {
  await withTempDir(async (dir) => {
    for (const name of ["__proto__", "toString", "constructor"]) {
      const manifest = join(dir, `run-${name}.yaml`);
      await Deno.writeTextFile(manifest, `- id: a\n  prompt: hi\n  model: ${name}\n`);
      const result = await runCli(["run", manifest, "--simulate", "--quiet"]);
      assertClean(result);
      assert.equal(result.code, 2, result.stderr.join("\n"));
    }
  });
});

Deno.test("validate refuses fields, columns, sizes and resolutions named after Object.prototype members", async () => {
  await withTempDir(async (dir) => {
    for (const name of NAMES) {
      const job = join(dir, `field-${name}.yaml`);
      await Deno.writeTextFile(
        job,
        [
          "defaults:",
          `  ${name}: 3`,
          "jobs:",
          "  - id: a",
          "    prompt: hi",
          "    model: doubao-seedance-2-0",
          `    size: ${name}`,
          `    resolution: ${name}`,
          `    ${name}: x`,
          "",
        ].join("\n"),
      );
      const { result, report } = await validateJson(job);
      assert.equal(result.code, 2);
      assert.deepEqual(
        report.errors.map((error) => [error.field, error.line]),
        [[`defaults.${name}`, 1], ["size", 4], ["resolution", 4], [name, 4]],
        name,
      );
      const csv = join(dir, `column-${name}.csv`);
      await Deno.writeTextFile(csv, `prompt,model,${name}\nhi,doubao-seedance-2-0,x\n`);
      const columns = await validateJson(csv);
      assert.equal(columns.result.code, 2);
      assert.deepEqual(columns.report.errors.map((error) => error.field), [name]);
      assert.match(String(columns.report.errors[0].message), /^unknown field/);
    }
  });
});

Deno.test("a --models file may name a model after an Object.prototype member, as plain text", async () => {
  await withTempDir(async (dir) => {
    for (const name of ["__proto__", "toString", "constructor", "hasOwnProperty"]) {
      const models = join(dir, `models-${name}.yaml`);
      await Deno.writeTextFile(
        models,
        `${name}:\n  seconds: { min: 4, max: 6 }\n  resolutions: [720p]\n`,
      );
      const ok = join(dir, `ok-${name}.yaml`);
      await Deno.writeTextFile(ok, `- id: a\n  prompt: hi\n  model: ${name}\n`);
      const accepted = await validateJson(ok, ["--models", models]);
      assert.equal(accepted.result.code, 0, `${name}: ${accepted.result.stdout.join("\n")}`);
      // The file's rules are the model's rules: seconds 9 is outside 4..6.
      const bad = join(dir, `bad-${name}.yaml`);
      await Deno.writeTextFile(bad, `- id: a\n  prompt: hi\n  model: ${name}\n  seconds: 9\n`);
      const refused = await validateJson(bad, ["--models", models]);
      assert.equal(refused.result.code, 2);
      assert.match(String(refused.report.errors[0].message), /out of range for .* \(4\.\.6\)/);
      // A model the file did not add is still unknown, whatever the file's own key.
      const other = join(dir, `other-${name}.yaml`);
      await Deno.writeTextFile(other, `- id: a\n  prompt: hi\n  model: valueOf\n`);
      const unknown = await validateJson(other, ["--models", models]);
      assert.equal(unknown.result.code, 2);
      // A rule of the file that is wrong is named, not dropped.
      const wrong = join(dir, `wrong-${name}.yaml`);
      await Deno.writeTextFile(wrong, `${name}:\n  seconds: { min: 4 }\n  resolutions: [720p]\n`);
      const refusedFile = await runCli(["validate", ok, "--models", wrong]);
      assertClean(refusedFile);
      assert.equal(refusedFile.code, 2);
      assert.match(refusedFile.stderr.join("\n"), new RegExp(`${name}\\.seconds\\.max`));
    }
  });
});

Deno.test("run keeps jobs whose ids and outputs are Object.prototype member names", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "ids.yaml");
    await Deno.writeTextFile(
      manifest,
      NAMES.map((name, at) =>
        `- id: ${name}\n  prompt: take ${at}\n  model: doubao-seedance-1-0-pro\n  output: ${name}.mp4\n`
      ).join(""),
    );
    const first = await runCli(["run", manifest, "--simulate", "--poll-interval", "0.02"]);
    assertClean(first);
    assert.equal(first.code, 0, first.stderr.join("\n"));
    const out = join(dir, "ids.out");
    const report = await readReport(out);
    assert.deepEqual(report.jobs.map((job) => [job.id, job.status]), NAMES.map((n) => [n, "done"]));
    for (const name of NAMES) await Deno.stat(join(out, "videos", `${name}.mp4`));
    const status = await runCli(["status", manifest, "--json"]);
    assertClean(status);
    assert.equal(status.code, 0);
    const again = await runCli(["run", manifest, "--simulate", "--quiet"]);
    assert.equal(again.code, 0);
  });
});

Deno.test("a command named after an Object.prototype member is an unknown command (exit 2)", async () => {
  for (const name of NAMES) {
    const result = await runCli([name, "manifest.yaml"]);
    assertClean(result);
    assert.equal(result.code, 2, name);
    assert.match(result.stderr.join("\n"), new RegExp(`Unknown command "${name}"`));
  }
});

Deno.test("run --simulate sends a --models model named after an Object.prototype member as plain text", async () => {
  await withTempDir(async (dir) => {
    for (const name of ["__proto__", "toString", "constructor"]) {
      const models = join(dir, `models-${name}.yaml`);
      await Deno.writeTextFile(
        models,
        `${name}:\n  seconds: { min: 4, max: 6 }\n  resolutions: [720p]\n`,
      );
      const manifest = join(dir, `sent-${name}.yaml`);
      await Deno.writeTextFile(manifest, `- id: a\n  prompt: hi\n  model: ${name}\n`);
      const result = await runCli([
        "run",
        manifest,
        "--simulate",
        "--models",
        models,
        "--poll-interval",
        "0.02",
      ]);
      assertClean(result);
      // The simulator, like the service, knows no such model: the job fails with its answer.
      assert.equal(result.code, 1, result.stderr.join("\n"));
      const report = await readReport(join(dir, `sent-${name}.out`));
      assert.equal(report.jobs[0].status, "failed");
      assert.match(
        String((report.jobs[0].error as { message: string }).message),
        new RegExp(`model "${name}" is not available`),
      );
    }
  });
});
