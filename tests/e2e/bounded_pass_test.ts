/**
 * Issue 8 item 9 through the CLI: a service asking to wait a million seconds
 * cannot stretch a `--once` pass or a `--max-wait` run; the run ends with
 * exit 3, the work kept for the next run, and the folder's lock free.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock } from "../../src/journal/lock.ts";
import { readJsonLines, withTempDir } from "../helpers/cli.ts";
import { readReport, runAgainst, sampleJobs, startService, writeManifest } from "./harness.ts";

/** Run `body` and fail (rather than hang) if it has not settled after `ms`. */
async function guarded<T>(ms: number, body: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([body, guard]);
  } finally {
    clearTimeout(timer);
  }
}

const CASES = [
  {
    name: "run --once ends its pass when a submit's Retry-After is a million seconds",
    faults: { submitRateLimited: 1, retryAfterSeconds: 1_000_000 },
    flags: ["--once"],
    standing: "pending",
  },
  {
    name: "run --max-wait 1 ends when a poll's Retry-After is an hour",
    faults: { pollRateLimited: 1, retryAfterSeconds: 3_600 },
    flags: ["--max-wait", "1"],
    standing: "running",
  },
];

for (const { name, faults, flags, standing } of CASES) {
  Deno.test(`${name}, with exit 3, the work kept and the lock free`, async () => {
    await withTempDir(async (dir) => {
      const service = await startService({ faults });
      try {
        const manifest = await writeManifest(dir, sampleJobs(3).slice(2));
        const outDir = join(dir, "batch.out");
        const result = await guarded(60_000, runAgainst(manifest, service, flags));
        assert.equal(result.code, 3, result.stderr.join("\n"));
        assert.ok(
          result.stderr.some((line) =>
            /not waiting .*the work is kept for the next run/.test(line)
          ),
          result.stderr.join("\n"),
        );
        assert.equal((await readReport(outDir)).jobs[0].status, standing);
        const types = (await readJsonLines(join(outDir, "state.jsonl"))).map((e) => e.type);
        assert.ok(!types.includes("task_failed") && !types.includes("rejected"), types.join());
        const lock = await acquireLock(outDir);
        await lock.release();
      } finally {
        await service.close();
      }
    });
  });
}
