import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TextLineStream } from "../helpers/lines.ts";
import { withTempDir } from "../helpers/cli.ts";
import {
  envFor,
  listFiles,
  readReport,
  sampleJobs,
  sha256File,
  startService,
  type TestService,
  writeManifest,
} from "./harness.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** Run the CLI as a child process; SIGKILL it after `killAfterLines` lines of its log. */
async function runChild(
  manifest: string,
  service: TestService,
  options: { killAfterLines?: number; extra?: string[] } = {},
): Promise<{ code: number | null; killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MOD,
      "run",
      manifest,
      "--poll-interval",
      "0.02",
      "--concurrency",
      "3",
      ...(options.extra ?? []),
    ],
    env: envFor(service),
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let lines = 0;
  let killed = false;
  const reader = child.stderr
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream());
  for await (const _line of reader) {
    lines++;
    if (!killed && options.killAfterLines !== undefined && lines >= options.killAfterLines) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  return { code: killed ? null : status.code, killed };
}

Deno.test("a run killed with SIGKILL at random points resumes without paying twice or losing a video", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ seed: 11, renderMs: { min: 20, max: 250 } });
    try {
      const jobs = sampleJobs(10);
      const manifest = await writeManifest(dir, jobs);
      // Kill points (lines of progress output), seeded so every run of the suite is the same.
      let seed = 1234;
      const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let kills = 0;
      for (let round = 0; round < 8; round++) {
        const result = await runChild(manifest, service, {
          killAfterLines: 1 + Math.floor(next() * 12),
        });
        if (!result.killed) break;
        kills++;
      }
      assert.ok(kills >= 3, `the runner was killed ${kills} times`);

      let final = await runChild(manifest, service);
      for (let i = 0; i < 3 && final.code === 3; i++) final = await runChild(manifest, service);
      const outDir = join(dir, "batch.out");
      const beforeResubmit = await readReport(outDir);
      const uncertain = new Set(
        beforeResubmit.jobs.filter((j) => j.status === "uncertain").map((j) => j.id),
      );
      if (uncertain.size > 0) {
        final = await runChild(manifest, service, { extra: ["--resubmit-uncertain"] });
      }
      assert.equal(final.code, 0);

      const report = await readReport(outDir);
      assert.equal(report.totals.done, jobs.length);
      const stats = service.stats();
      for (const job of jobs) {
        const created = stats.tasksCreatedByPrompt[job.prompt] ?? 0;
        const allowed = uncertain.has(job.id) ? 2 : 1;
        assert.ok(created <= allowed, `${job.id}: ${created} tasks, allowed ${allowed}`);
      }
      for (const row of report.jobs) {
        const sha = await sha256File(join(outDir, row.output as string));
        assert.equal(sha, row.sha256);
        assert.equal(sha, stats.servedSha256[row.task_id as string]);
      }
      const leftovers = (await listFiles(outDir)).filter((f) =>
        f.endsWith(".part") || f.includes(".tmp") || f === ".lock"
      );
      assert.deepEqual(leftovers, []);
    } finally {
      await service.close();
    }
  });
});
