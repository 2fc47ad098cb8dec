import assert from "node:assert/strict";
import { join } from "node:path";
import { findRenamedJobs } from "../src/renamed_jobs.ts";
import type { JobState } from "../src/journal/events.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { runAgainst, startService } from "./e2e/harness.ts";

function state(job: string, fingerprint: string, phase: "done" | "failed"): JobState {
  const fields = { job, fingerprint, attempts: 1, task: `task-${job}` };
  return phase === "done"
    ? makeState({ ...fields, phase: "done" })
    : makeState({ ...fields, phase: "failed" });
}

Deno.test("`findRenamedJobs()` names a new job that sends what a vanished, paid job sent", () => {
  const renamed = makeJob({ id: "007", index: 0 });
  const untouched = makeJob({ id: "b", index: 1 });
  const states = new Map([
    ["7", state("7", renamed.fingerprint, "done")],
    ["b", state("b", untouched.fingerprint, "done")],
  ]);
  const found = findRenamedJobs([renamed, untouched], states);
  assert.deepEqual(found.map((r) => [r.job.id, r.journalId, r.phase, r.task]), [
    ["007", "7", "done", "task-7"],
  ]);
});

Deno.test("`findRenamedJobs()` ignores unpaid vanished jobs, jobs the journal knows, and other requests", () => {
  const job = makeJob({ id: "new", index: 0 });
  const other = makeJob({ id: "other", index: 1 });
  assert.deepEqual(
    findRenamedJobs([job], new Map([["old", state("old", job.fingerprint, "failed")]])),
    [],
  );
  assert.deepEqual(
    findRenamedJobs([job], new Map([["old", state("old", other.fingerprint, "done")]])),
    [],
  );
  assert.deepEqual(
    findRenamedJobs([job], new Map([["new", state("new", job.fingerprint, "done")]])),
    [],
  );
});

Deno.test("run warns, before anything is sent, that a renamed job will be billed again", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    const entry = (id: string): string =>
      `- id: "${id}"\n  prompt: A lantern over a lake\n  model: doubao-seedance-1-0-pro\n`;
    await Deno.writeTextFile(manifest, entry("7"));
    const service = await startService();
    try {
      assert.equal((await runAgainst(manifest, service)).code, 0);
      await Deno.writeTextFile(manifest, entry("007"));
      const again = await runAgainst(manifest, service);
      assert.equal(again.code, 0);
      const printed = again.stderr.join("\n");
      assert.match(printed, /job "007" at .*batch\.yaml:1 sends the same request as job "7"/);
      assert.match(printed, /give it id "7" to keep that result/);
    } finally {
      await service.close();
    }
    assert.equal((await runCli(["status", manifest])).code, 0);
  });
});
