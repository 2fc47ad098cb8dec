/**
 * The way back for events a run could not journal (issue 8, item 4), through
 * the CLI: `run` folds `<out>/recovered-*.jsonl` into the journal before
 * anything else, or stops with exit 2 and nothing sent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { DEFAULT_CATALOG } from "../../src/catalog.ts";
import { encodeEvent } from "../../src/journal/codec.ts";
import type { JournalEvent } from "../../src/journal/events.ts";
import { validateManifest } from "../../src/manifest/validate.ts";
import {
  readReport,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  TEST_KEY,
  type TestService,
  writeManifest,
} from "./harness.ts";

const AT = "2025-01-01T00:00:00.000Z";

Deno.test("run stops with exit 2 naming a recovery file it cannot read, and sends nothing", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const outDir = join(dir, "batch.out");
      await Deno.mkdir(outDir);
      const file = join(outDir, "recovered-manual.jsonl");
      await Deno.writeTextFile(file, "job clip-001 task t-1\n{}\n");
      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr.join("\n"),
        /Cannot fold recovery file .*recovered-manual\.jsonl.*line 1/,
      );
      assert.equal(service.stats().requests.submit, 0);
      // Kept for the user to fix.
      assert.ok((await Deno.stat(file)).isFile);
    } finally {
      await service.close();
    }
  });
});

/**
 * What a run whose journal failed leaves when its task could be kept nowhere
 * and the user saved the printed line: a task at the service, the journal's
 * `submitting`, and `<out>/recovered-manual.jsonl` holding `submitted`.
 */
async function savedByHand(
  dir: string,
  service: TestService,
): Promise<{ manifest: string; outDir: string; task: string }> {
  const [job] = sampleJobs(3).slice(2);
  const manifest = await writeManifest(dir, [job]);
  const [valid] = (await validateManifest(manifest, { catalog: DEFAULT_CATALOG })).jobs;
  const form = new FormData();
  form.set("prompt", valid.prompt);
  form.set("model", valid.model);
  form.set("seconds", String(valid.seconds));
  form.set("size", valid.size);
  form.set("resolution", valid.resolution);
  const created = await fetch(`${service.url}/v1/videos`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "idempotency-key": "k-1" },
    body: form,
  });
  assert.equal(created.status, 200);
  const task = (await created.json()).id as string;
  const outDir = join(dir, "batch.out");
  await Deno.mkdir(outDir);
  const submitting: JournalEvent = {
    type: "submitting",
    at: AT,
    job: valid.id,
    fingerprint: valid.fingerprint,
    key: "k-1",
  };
  await Deno.writeTextFile(join(outDir, "state.jsonl"), encodeEvent(submitting) + "\n");
  const submitted: JournalEvent = { type: "submitted", at: AT, job: valid.id, key: "k-1", task };
  await Deno.writeTextFile(join(outDir, "recovered-manual.jsonl"), `  ${encodeEvent(submitted)}\n`);
  return { manifest, outDir, task };
}

Deno.test("run takes back a task from lines saved as recovered-manual.jsonl without a new POST", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir, task } = await savedByHand(dir, service);
      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      assert.match(result.stderr.join("\n"), /recovered: 1 event from .*recovered-manual\.jsonl/);
      assert.equal(service.stats().requests.submit, 1);
      const report = await readReport(outDir);
      assert.equal(report.jobs[0].status, "done");
      assert.equal(report.jobs[0].task_id, task);
      assert.equal(
        await sha256File(join(outDir, report.jobs[0].output as string)),
        service.stats().servedSha256[task],
      );
      const names = (await Array.fromAsync(Deno.readDir(outDir))).map((e) => e.name);
      assert.ok(!names.includes("recovered-manual.jsonl"));
    } finally {
      await service.close();
    }
  });
});

Deno.test("status and report show a task kept in a recovery file as running, before any run folds it", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const { manifest, outDir, task } = await savedByHand(dir, service);
      const status = await runCli(["status", manifest, "--json"]);
      const shown = JSON.parse(status.stdout.join("\n"));
      assert.equal(shown.jobs[0].status, "running");
      assert.equal(shown.jobs[0].task_id, task);
      assert.match(
        status.stderr.join("\n"),
        /recovered-manual\.jsonl: 1 event not in the journal yet/,
      );
      assert.equal((await runCli(["report", manifest])).code, 0);
      const report = await readReport(outDir);
      assert.equal(report.jobs[0].status, "running");
      assert.equal(report.jobs[0].task_id, task);
      // Only looked at: the file stays for the next run.
      assert.ok((await Deno.stat(join(outDir, "recovered-manual.jsonl"))).isFile);
    } finally {
      await service.close();
    }
  });
});
