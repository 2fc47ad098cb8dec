import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { manifestsInFolder } from "../src/manifest/load.ts";
import { totalsLine } from "../src/cli/workspace.ts";

const MODEL = "doubao-seedance-2-0";

/** `validate` and `run --simulate` on the same manifest: both refuse with exit 2 and this line. */
async function bothRefuse(manifest: string, expected: RegExp): Promise<void> {
  for (const argv of [["validate", manifest], ["run", manifest, "--simulate"]]) {
    const result = await runCli(argv, { env: {} });
    assert.equal(result.code, 2, argv.join(" "));
    assert.match(result.stderr.join("\n"), expected, argv.join(" "));
  }
}

Deno.test("validate and run say a folder given as the manifest is a folder and name the manifests in it", async () => {
  await withTempDir(async (dir) => {
    const folder = join(dir, "batch");
    await Deno.mkdir(folder);
    await bothRefuse(
      folder,
      /it is a folder, not a manifest file, and it holds no \.yaml, \.yml or \.csv file/,
    );
    await Deno.writeTextFile(join(folder, "shots.yaml"), `- {prompt: x, model: ${MODEL}}\n`);
    await Deno.writeTextFile(join(folder, "notes.txt"), "not a manifest\n");
    await bothRefuse(
      folder,
      new RegExp(`not a manifest file; did you mean ${join(folder, "shots.yaml")}\\?`),
    );
    await Deno.writeTextFile(join(folder, "extra.csv"), "prompt,model\n");
    await bothRefuse(
      folder,
      new RegExp(
        `the manifests in it: ${join(folder, "extra.csv")}, ${join(folder, "shots.yaml")}$`,
        "m",
      ),
    );
    const result = await runCli(["validate", folder]);
    assert.doesNotMatch(result.stderr.join("\n"), /extension/);
  });
});

Deno.test("`manifestsInFolder()` names at most five manifests and counts the rest", () => {
  const names = ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv", "f.csv", "g.yml"];
  assert.equal(
    manifestsInFolder("in", names),
    "it is a folder, not a manifest file; the manifests in it: " +
      "in/a.csv, in/b.csv, in/c.csv, in/d.csv, in/e.csv and 2 more",
  );
});

Deno.test("validate and run say a CSV header separated by ';' or tabs needs commas, naming file:1", async () => {
  await withTempDir(async (dir) => {
    const semicolons = join(dir, "shots.csv");
    await Deno.writeTextFile(semicolons, `id;prompt;model\na;a cat;${MODEL}\n`);
    await bothRefuse(
      semicolons,
      new RegExp(
        `^error: Cannot read manifest ${semicolons}:1: the header separates its columns with ";" ` +
          `\\("id;prompt;model"\\), but a CSV manifest needs ","`,
      ),
    );
    const result = await runCli(["validate", semicolons]);
    assert.doesNotMatch(result.stderr.join("\n"), /did you mean/);
    const trailing = join(dir, "trailing.csv");
    await Deno.writeTextFile(trailing, `prompt;model;,\na cat;${MODEL};,\n`);
    await bothRefuse(
      trailing,
      new RegExp(`${trailing}:1: the header separates its columns with ";"`),
    );
    const tabs = join(dir, "tabs.csv");
    await Deno.writeTextFile(tabs, `prompt\tmodel\na cat\t${MODEL}\n`);
    await bothRefuse(
      tabs,
      new RegExp(`${tabs}:1: the header separates its columns with tabs, but`),
    );
  });
});

Deno.test("validate still reads a one-column header with a ';' inside a field name as an unknown field", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "odd.csv");
    await Deno.writeTextFile(manifest, `prompt,model,notes;misc\na cat,${MODEL},x\n`);
    const result = await runCli(["validate", manifest]);
    assert.equal(result.code, 2);
    assert.match(result.stdout.join("\n"), /unknown field "notes;misc"/);
  });
});

Deno.test("validate and run suggest jobs: for a job: key at the top of a YAML mapping", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(
      manifest,
      `defaults:\n  model: ${MODEL}\njob:\n  - id: a\n    prompt: a cat\n`,
    );
    await bothRefuse(manifest, /it has no "jobs:" list; "job:" at line 3: did you mean "jobs:"\?/);
  });
});

Deno.test("status and run count one job as `1 job`", async () => {
  assert.equal(
    totalsLine({ jobs: 1, done: 1, running: 0, pending: 0, uncertain: 0, failed: 0, invalid: 0 }),
    "1 job: 1 done, 0 running, 0 pending, 0 uncertain, 0 failed, 0 invalid",
  );
  await withTempDir(async (dir) => {
    const manifest = join(dir, "one.yaml");
    await Deno.writeTextFile(manifest, `- {id: a, prompt: a cat, model: ${MODEL}}\n`);
    const result = await runCli(["status", manifest], { env: {} });
    assert.match(result.stdout.join("\n"), /^1 job: 0 done, 0 running, 1 pending/m);
    assert.doesNotMatch(result.stdout.join("\n") + result.stderr.join("\n"), /\b1 jobs\b/);
  });
});

Deno.test("validate counts a one-column header as `1 column`", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "narrow.csv");
    await Deno.writeTextFile(manifest, `prompt\n"a cat",${MODEL}\n`);
    const result = await runCli(["validate", manifest]);
    assert.equal(result.code, 2);
    assert.match(result.stdout.join("\n"), /the row has 2 cells but the header has 1 column\b/);
    assert.doesNotMatch(result.stdout.join("\n"), /1 columns/);
  });
});
