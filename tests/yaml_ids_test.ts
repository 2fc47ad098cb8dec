/**
 * Issue 8 item 15 (c): an id is the text the user wrote. In YAML an unquoted
 * `1e3`, `007`, `0x1F`, `true` or `1.0` stays that text (it used to become
 * 1000, 7, 31, an error and 1), the same as the CSV cell holding it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { readReport } from "./e2e/harness.ts";

const IDS = ["1e3", "007", "7", "0x1F", "true", "1.0", "1", "+5", "-0", ".inf", "0o17", "1_000"];

async function statusIds(manifest: string): Promise<string[]> {
  const result = await runCli(["status", manifest, "--json"]);
  assert.deepEqual(result.stderr, []);
  return JSON.parse(result.stdout.join("\n")).jobs.map((job: { id: string }) => job.id);
}

Deno.test("an unquoted YAML id keeps the text written, as in CSV", async () => {
  await withTempDir(async (dir) => {
    const yaml = join(dir, "ids.yaml");
    await Deno.writeTextFile(
      yaml,
      IDS.map((id, at) =>
        `- id: ${id}\n  prompt: take ${at}\n  model: doubao-seedance-1-0-pro\n  seconds: 4\n`
      ).join(""),
    );
    const csv = join(dir, "ids.csv");
    await Deno.writeTextFile(
      csv,
      "id,prompt,model,seconds\n" +
        IDS.map((id, at) => `${id},take ${at},doubao-seedance-1-0-pro,4\n`).join(""),
    );
    for (const manifest of [yaml, csv]) {
      const validate = await runCli(["validate", manifest, "--json"]);
      assert.equal(validate.code, 0, `${manifest}: ${validate.stdout.join("\n")}`);
      assert.deepEqual(await statusIds(manifest), IDS, manifest);
    }
    const run = await runCli(["run", yaml, "--simulate", "--quiet", "--poll-interval", "0.02"]);
    assert.equal(run.code, 0, run.stderr.join("\n"));
    const report = await readReport(join(dir, "ids.out"));
    assert.deepEqual(report.jobs.map((job) => job.id), IDS);
    const outputs = report.jobs.map((job) => String(job.output));
    assert.ok(
      outputs.includes("videos/007.mp4") && outputs.includes("videos/1e3.mp4"),
      outputs.join(),
    );
  });
});

Deno.test("a YAML id left empty, ~ or null is not given, and the id is derived", async () => {
  await withTempDir(async (dir) => {
    const yaml = join(dir, "empty.yaml");
    await Deno.writeTextFile(
      yaml,
      ["", "~", "null"].map((id, at) =>
        `- id: ${id}\n  prompt: take ${at}\n  model: doubao-seedance-1-0-pro\n`
      ).join(""),
    );
    const ids = await statusIds(yaml);
    assert.equal(ids.length, 3);
    for (const id of ids) assert.match(id, /^job-[0-9a-f]{12}$/);
  });
});

Deno.test("numbers written in other YAML forms are refused for seconds, not converted", async () => {
  await withTempDir(async (dir) => {
    const yaml = join(dir, "seconds.yaml");
    await Deno.writeTextFile(
      yaml,
      "- id: a\n  prompt: hi\n  model: doubao-seedance-1-0-pro\n  seconds: 0x5\n" +
        "- id: b\n  prompt: hi\n  model: doubao-seedance-1-0-pro\n  seconds: 5\n",
    );
    const result = await runCli(["validate", yaml, "--json"]);
    assert.equal(result.code, 2);
    const errors = JSON.parse(result.stdout.join("\n")).errors;
    assert.deepEqual(
      errors.map((error: { job: string; field: string }) => [error.job, error.field]),
      [
        ["a", "seconds"],
      ],
    );
  });
});

Deno.test("a YAML id keeps the text written in flow style and under defaults:/jobs:", async () => {
  await withTempDir(async (dir) => {
    const yaml = join(dir, "flow.yaml");
    await Deno.writeTextFile(
      yaml,
      "defaults: {model: doubao-seedance-1-0-pro, seconds: 4}\n" +
        "jobs: [{id: 007, prompt: a}, {id: 1e3, prompt: b}, {id: 0x1F, prompt: c}]\n",
    );
    assert.deepEqual(await statusIds(yaml), ["007", "1e3", "0x1F"]);
  });
});
