/**
 * The way back for events a run could not journal (issue 8, item 4), through
 * the CLI: `run` folds `<out>/recovered-*.jsonl` into the journal before
 * anything else, or stops with exit 2 and nothing sent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
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

Deno.test("run takes back a task from lines saved as recovered-manual.jsonl without a new POST", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const [job] = sampleJobs(3).slice(2);
      const manifest = await writeManifest(dir, [job]);
      const [valid] = (await validateManifest(manifest, { catalog: DEFAULT_CATALOG })).jobs;
      // A run sent the job, the service created the task, and the journal failed.
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
      // The line the run printed, saved by the user.
      const submitted: JournalEvent = {
        type: "submitted",
        at: AT,
        job: valid.id,
        key: "k-1",
        task,
      };
      await Deno.writeTextFile(
        join(outDir, "recovered-manual.jsonl"),
        `  ${encodeEvent(submitted)}\n`,
      );

      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 0, result.stderr.join("\n"));
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
