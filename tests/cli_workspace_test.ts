import assert from "node:assert/strict";
import { join } from "node:path";
import type { CliIO } from "../src/cli/io.ts";
import { readStates, refuseProblems, totalsLine } from "../src/cli/workspace.ts";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { ManifestError } from "../src/errors.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";

function capture(): { io: CliIO; err: string[] } {
  const err: string[] = [];
  return { io: { stdout: () => {}, stderr: (line) => err.push(line), env: () => undefined }, err };
}

const SUBMITTING = JSON.stringify({
  type: "submitting",
  at: "2025-01-01T00:00:00.000Z",
  job: "a",
  fingerprint: "fp",
  key: "k",
});

Deno.test("`readStates()` warns when corrupt journal lines were skipped, not for a torn last line", async (t) => {
  await withTempDir(async (dir) => {
    await t.step("two corrupt lines", async () => {
      await Deno.writeTextFile(
        join(dir, "state.jsonl"),
        `{oops\n${SUBMITTING}\nnot json\n${SUBMITTING}\n`,
      );
      const { io, err } = capture();
      const states = await readStates(io, dir);
      assert.equal(states.get("a")?.openKey, "k");
      assert.equal(err.length, 1);
      assert.match(err[0], /^warning: .*state\.jsonl: 2 corrupt lines skipped/);
    });
    await t.step("a torn last line", async () => {
      await Deno.writeTextFile(join(dir, "state.jsonl"), `${SUBMITTING}\n{"type":"subm`);
      const { io, err } = capture();
      await readStates(io, dir);
      assert.deepEqual(err, []);
    });
    await t.step("no journal", async () => {
      const { io, err } = capture();
      assert.equal((await readStates(io, join(dir, "none"))).size, 0);
      assert.deepEqual(err, []);
    });
  });
});

Deno.test("status warns on standard error when the journal had corrupt lines", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, "- {id: a, prompt: x, model: doubao-seedance-2-0}\n");
    await Deno.mkdir(join(dir, "batch.out"));
    await Deno.writeTextFile(join(dir, "batch.out", "state.jsonl"), `garbage\n${SUBMITTING}\n`);
    const result = await runCli(["status", manifest], { env: {} });
    assert.equal(result.code, 1, "the job is uncertain, as a run would end");
    assert.match(result.stderr.join("\n"), /1 corrupt line skipped/);
    assert.match(result.stdout.at(-1) ?? "", /^1 job: /);
  });
});

Deno.test("status names an event type a newer version wrote", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, "- {id: a, prompt: x, model: doubao-seedance-2-0}\n");
    await Deno.mkdir(join(dir, "batch.out"));
    await Deno.writeTextFile(
      join(dir, "batch.out", "state.jsonl"),
      `{"type":"job_snapshot","job":"a"}\n${SUBMITTING}\n`,
    );
    const result = await runCli(["status", manifest], { env: {} });
    assert.match(
      result.stderr.join("\n"),
      /1 corrupt line skipped; .*event type "job_snapshot" is unknown to seedance-batch .*a newer version wrote it/,
    );
  });
});

Deno.test("`refuseProblems()` prints the issues as validate does, then refuses", async (t) => {
  const manifest = join(FIXTURES, "invalid.yaml");
  const validation = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
  await t.step("invalid jobs stop a command that cannot leave them out", () => {
    const { io, err } = capture();
    assert.throws(
      () =>
        refuseProblems(io, validation, {
          manifest,
          action: "run",
          allowInvalidJobs: false,
          outcome: "nothing was sent",
          hint: "--skip-invalid runs the valid jobs only",
        }),
      (error: unknown) =>
        error instanceof ManifestError &&
        error.message ===
          `Cannot run ${manifest}: 3 problems found, nothing was sent (--skip-invalid runs the valid jobs only)`,
    );
    assert.equal(
      err[0],
      `${manifest}:2: job "intro" field "seconds": seconds 16 is out of range for doubao-seedance-2-0 (4..15)`,
    );
    assert.match(err.at(-1) ?? "", /:11: warning: job "small" field "image"/);
  });
  await t.step("invalid jobs alone do not stop a command that can leave them out", () => {
    const { io, err } = capture();
    refuseProblems(io, validation, { manifest, action: "report on", allowInvalidJobs: true });
    assert.deepEqual(err, []);
  });
});

Deno.test("`totalsLine()` lists every status in one order", () => {
  assert.equal(
    totalsLine({ jobs: 6, done: 1, running: 2, pending: 3, uncertain: 4, failed: 5, invalid: 6 }),
    "6 jobs: 1 done, 2 running, 3 pending, 4 uncertain, 5 failed, 6 invalid",
  );
});
