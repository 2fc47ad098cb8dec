/** `status` exits with the code a `run` would end with for the state it shows. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { runAgainst, sampleJobs, startService, writeManifest } from "./harness.ts";

Deno.test("status exits 3 before any run, 0 when every job is done, 1 when one failed, 2 when invalid", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(3));
    assert.equal((await runCli(["status", manifest])).code, 3, "before any run");
    const service = await startService();
    try {
      assert.equal((await runAgainst(manifest, service)).code, 0);
    } finally {
      await service.close();
    }
    assert.equal((await runCli(["status", manifest])).code, 0, "every job done");
    assert.equal((await runCli(["status", manifest, "--json"])).code, 0, "the same with --json");

    const failingDir = join(dir, "failing");
    await Deno.mkdir(failingDir);
    const failingManifest = await writeManifest(failingDir, sampleJobs(4).slice(2));
    const failing = await startService({ failureRate: 1 });
    try {
      assert.equal((await runAgainst(failingManifest, failing)).code, 1);
    } finally {
      await failing.close();
    }
    assert.equal((await runCli(["status", failingManifest])).code, 1, "a failed job, nothing left");

    await Deno.writeTextFile(manifest, "jobs:\n  - id: x\n    prompt: p\n    model: nope\n");
    assert.equal((await runCli(["status", manifest])).code, 2, "an invalid manifest");
  });
});
