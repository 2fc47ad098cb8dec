import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { makePng } from "./helpers/images.ts";
import { readReport, runAgainst, startService } from "./e2e/harness.ts";

const FANOUT = `defaults:
  model: doubao-seedance-2-0-fast
  resolution: 480p
  seconds: 4
jobs:
  - id: scene
    prompt: "A {subject} at dusk, {{wide}} shot"
    variants: 2
    matrix:
      subject: [lighthouse, "paper boat"]
      size: ["16:9", "9:16"]
  - id: still
    prompt: Slow zoom on the picture
    model: doubao-seedance-2-0
    matrix:
      image: [images/a.png, images/b.png]
  - id: plain
    prompt: No fan-out here
`;

async function writeFanout(dir: string, text = FANOUT): Promise<string> {
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  await Deno.writeFile(join(dir, "images/a.png"), await makePng(400, 320, 90));
  await Deno.writeFile(join(dir, "images/b.png"), await makePng(320, 400, 200));
  const path = join(dir, "fan.yaml");
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("validate and plan report how many jobs the entries expand to", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeFanout(dir);
    const text = await runCli(["validate", manifest]);
    assert.equal(text.code, 0, text.stdout.join("\n"));
    assert.deepEqual(text.stdout, [
      `${manifest}: ok: 3 entries expand to 11 jobs (0 errors, 0 warnings)`,
    ]);
    const json = await runCli(["validate", manifest, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout[0]), {
      ok: true,
      jobs: 11,
      entries: 3,
      errors: [],
      warnings: [],
    });
    const plan = await runCli(["plan", manifest]);
    assert.equal(plan.code, 0);
    assert.equal(
      plan.stdout[0],
      `Plan for ${manifest}: 3 entries expand to 11 jobs, 44 seconds of video`,
    );
    const planJson = JSON.parse((await runCli(["plan", manifest, "--json"])).stdout[0]);
    assert.equal(planJson.jobs, 11);
    assert.equal(planJson.entries, 3);
  });
});

Deno.test("validate names the expanded job, the entry's line and the combination", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeFanout(
      dir,
      FANOUT.replace('"A {subject} at dusk, {{wide}} shot"', '"A {subject} in {weather}"'),
    );
    const result = await runCli(["validate", manifest, "--json"]);
    assert.equal(result.code, 2);
    const text = await runCli(["validate", manifest]);
    assert.equal(
      text.stdout.at(-1),
      `${manifest}: invalid: 8 of 11 jobs with errors (3 entries expand to 11 jobs; 8 errors, 0 warnings)`,
    );
    assert.equal(
      text.stdout[0],
      `${manifest}:6: job "scene-lighthouse-16-9-v1" field "prompt": the prompt's {weather} has no value; the matrix names are subject, size (write {{ and }} for literal braces) (matrix subject="lighthouse", size="16:9", variant 1 of 2)`,
    );
    const errors = JSON.parse(result.stdout[0]).errors;
    assert.equal(errors.length, 8);
    assert.deepEqual(errors[0], {
      job: "scene-lighthouse-16-9-v1",
      line: 6,
      field: "prompt",
      message:
        'the prompt\'s {weather} has no value; the matrix names are subject, size (write {{ and }} for literal braces) (matrix subject="lighthouse", size="16:9", variant 1 of 2)',
    });
  });
});

Deno.test("run --simulate submits every expanded job exactly once, with its own fields and prompt", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeFanout(dir);
    const service = await startService();
    try {
      const first = await runAgainst(manifest, service);
      assert.equal(first.code, 0, first.stderr.join("\n"));
      const stats = service.stats();
      assert.equal(stats.tasksCreated, 11);
      assert.equal(stats.requests.submit, 11);
      const prompts = stats.submissions.map((s) => `${s.prompt}|${s.size}`).sort();
      assert.deepEqual(prompts.filter((p) => p.startsWith("A ")), [
        "A lighthouse at dusk, {wide} shot|16:9",
        "A lighthouse at dusk, {wide} shot|16:9",
        "A lighthouse at dusk, {wide} shot|9:16",
        "A lighthouse at dusk, {wide} shot|9:16",
        "A paper boat at dusk, {wide} shot|16:9",
        "A paper boat at dusk, {wide} shot|16:9",
        "A paper boat at dusk, {wide} shot|9:16",
        "A paper boat at dusk, {wide} shot|9:16",
      ]);
      const report = await readReport(join(dir, "fan.out"));
      assert.deepEqual(report.jobs.map((job) => [job.id, job.line, job.status]), [
        ["scene-lighthouse-16-9-v1", 6, "done"],
        ["scene-lighthouse-16-9-v2", 6, "done"],
        ["scene-lighthouse-9-16-v1", 6, "done"],
        ["scene-lighthouse-9-16-v2", 6, "done"],
        ["scene-paper-boat-16-9-v1", 6, "done"],
        ["scene-paper-boat-16-9-v2", 6, "done"],
        ["scene-paper-boat-9-16-v1", 6, "done"],
        ["scene-paper-boat-9-16-v2", 6, "done"],
        ["still-a", 12, "done"],
        ["still-b", 12, "done"],
        ["plain", 17, "done"],
      ]);
      // A second run finds every expanded job done: nothing is sent again.
      const again = await runAgainst(manifest, service);
      assert.equal(again.code, 0);
      assert.equal(service.stats().requests.submit, 11);
    } finally {
      await service.close();
    }
  });
});

Deno.test("the matrix example validates clean and runs with --simulate, each job once", async () => {
  const manifest = new URL("../manifests/matrix.yaml", import.meta.url).pathname;
  const check = await runCli(["validate", manifest, "--json"]);
  assert.deepEqual(JSON.parse(check.stdout[0]), {
    ok: true,
    jobs: 19,
    entries: 3,
    errors: [],
    warnings: [],
  });
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const run = await runCli([
      "run",
      manifest,
      "--simulate",
      "--out",
      out,
      "--poll-interval",
      "0.05",
      "--quiet",
    ]);
    assert.equal(run.code, 0, run.stderr.join("\n"));
    const report = await readReport(out);
    assert.equal(report.totals.done, 19);
    assert.deepEqual(report.jobs.slice(0, 2).map((job) => job.id), [
      "scene-pine-forest-16-9-v1",
      "scene-pine-forest-16-9-v2",
    ]);
    const attempts = report.jobs.map((job) => job.attempts);
    assert.ok(attempts.every((count) => count === 1), String(attempts));
  });
});
