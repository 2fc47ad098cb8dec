/**
 * `validate` checks every job and keeps only what it prints: a manifest
 * whose jobs would not fit in a small JS heap still validates in one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./helpers/temp_dir.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** Jobs in the manifest: held as jobs they take about 100 MB of heap. */
const JOBS = 300_000;

/** The heap the child may use: room for the CLI, not for every job (by a factor of two). */
const HEAP_MB = 40;

Deno.test("validate checks 300,000 jobs in a 40 MB heap, finding a duplicate id over all of them", async () => {
  await withTempDir(async (dir) => {
    const rows = ["id,prompt,model,seconds"];
    for (let i = 0; i < JOBS; i += 1) {
      // The last job repeats the first job's id: the check still spans the whole manifest.
      const id = i === JOBS - 1 ? "clip-0" : `clip-${i}`;
      rows.push(`${id},a lantern over a lake at dusk take ${i},doubao-seedance-1-0-pro,5`);
    }
    const manifest = join(dir, "big.csv");
    await Deno.writeTextFile(manifest, rows.join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `--v8-flags=--max-old-space-size=${HEAP_MB}`,
        MOD,
        "validate",
        manifest,
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    // Out of heap, the child dies of a signal instead (exit code 133).
    assert.equal(output.code, 2, stderr.slice(-2000));
    const json = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(json.ok, false);
    assert.equal(json.jobs, JOBS);
    assert.deepEqual(json.errors.map((e: { job: string; line: number }) => [e.job, e.line]), [
      ["clip-0", 2],
      ["clip-0", JOBS + 1],
    ]);
    assert.equal(
      json.errors[0].message,
      `id "clip-0" is also used by the job at line ${JOBS + 1}`,
    );
  });
});
