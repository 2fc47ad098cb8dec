/**
 * Issue 8 item 2: a video recorded as done and later missing or altered on
 * disk is not "done": status and report say so, and the next run fetches it
 * again from its task (one GET for a fresh URL, no POST).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withWorkerLooks } from "../helpers/worker_looks.ts";
import { runCli, withTempDir } from "../helpers/cli.ts";
import {
  readReport,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  writeManifest,
} from "./harness.ts";

/** How a test spoils the first job's video after a complete run. */
const SPOILERS: Array<{ name: string; reason: RegExp; spoil: (file: string) => Promise<void> }> = [
  {
    name: "removed",
    reason: /video missing on disk: videos\/clip-003\.mp4/,
    spoil: (file) => Deno.remove(file),
  },
  {
    name: "one byte altered, same size",
    reason: /video altered on disk: videos\/clip-003\.mp4 \(SHA-256/,
    spoil: async (file) => {
      const bytes = await Deno.readFile(file);
      bytes[bytes.length - 1] ^= 0xff;
      await Deno.writeFile(file, bytes);
    },
  },
  {
    name: "truncated",
    reason: /video altered on disk: videos\/clip-003\.mp4 has 100 bytes/,
    spoil: async (file) => await Deno.truncate(file, 100),
  },
];

for (const { name, reason, spoil } of SPOILERS) {
  Deno.test(`run fetches again, from its task and with no POST, a done video ${name} on disk`, async () => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const manifest = await writeManifest(dir, sampleJobs(4).slice(2));
        const first = await runAgainst(manifest, service);
        assert.equal(first.code, 0, first.stderr.join("\n"));
        const outDir = join(dir, "batch.out");
        const before = await readReport(outDir);
        const row = before.jobs.find((job) => job.id === "clip-003")!;
        const task = row.task_id as string;
        const file = join(outDir, row.output as string);
        await spoil(file);

        // status and report show the job as not done, with the reason.
        const status = await runCli(["status", manifest, "--json"]);
        const shown = JSON.parse(status.stdout.join("\n"));
        const statusRow = shown.jobs.find((job: { id: string }) => job.id === "clip-003");
        assert.equal(statusRow.status, "running");
        assert.match(statusRow.error.message, reason);
        assert.equal(statusRow.sha256, null);
        assert.equal(shown.totals.done, 1);
        const text = await runCli(["status", manifest]);
        assert.match(text.stdout.find((line) => line.startsWith("clip-003"))!, reason);
        assert.equal((await runCli(["report", manifest])).code, 0);
        const reported = (await readReport(outDir)).jobs.find((job) => job.id === "clip-003")!;
        assert.equal(reported.status, "running");
        assert.equal(reported.sha256, null);

        const posts = service.stats().requests.submit;
        const gets = service.stats().pollsByTask[task] ?? 0;
        const rerun = await runAgainst(manifest, service);
        assert.equal(rerun.code, 0, rerun.stderr.join("\n"));
        assert.ok(rerun.stderr.some((line) => reason.test(line)), rerun.stderr.join("\n"));
        assert.equal(service.stats().requests.submit, posts, "no new POST");
        assert.equal((service.stats().pollsByTask[task] ?? 0) - gets, 1, "one GET of the task");
        assert.equal(await sha256File(file), service.stats().servedSha256[task]);
        const after = await readReport(outDir);
        assert.equal(after.totals.done, 2);
        const done = after.jobs.find((job) => job.id === "clip-003")!;
        assert.equal(done.sha256, service.stats().servedSha256[task]);

        // The third run has nothing to do: the video is the recorded one again.
        const third = await runAgainst(manifest, service);
        assert.equal(third.code, 0);
        assert.equal(service.stats().pollsByTask[task] - gets, 1);
      } finally {
        await service.close();
      }
    });
  });
}

Deno.test("run fetches again a done video removed and one truncated when the disk is looked at over Workers", async () => {
  await withWorkerLooks(async (looked) => {
    await withTempDir(async (dir) => {
      const service = await startService();
      try {
        const manifest = await writeManifest(dir, sampleJobs(6).slice(2));
        const first = await runAgainst(manifest, service);
        assert.equal(first.code, 0, first.stderr.join("\n"));
        const outDir = join(dir, "batch.out");
        const rows = (await readReport(outDir)).jobs;
        const removed = rows.find((job) => job.id === "clip-003")!;
        const truncated = rows.find((job) => job.id === "clip-005")!;
        await Deno.remove(join(outDir, removed.output as string));
        await Deno.truncate(join(outDir, truncated.output as string), 100);

        const posts = service.stats().requests.submit;
        const gets = { ...service.stats().pollsByTask };
        looked.length = 0;
        const rerun = await runAgainst(manifest, service);
        assert.equal(rerun.code, 0, rerun.stderr.join("\n"));
        assert.ok(looked.length > 0 && looked.every((via) => via === "workers"), looked.join());
        const said = rerun.stderr.join("\n");
        assert.match(said, /video missing on disk: videos\/clip-003\.mp4/);
        assert.match(said, /video altered on disk: videos\/clip-005\.mp4 has 100 bytes/);
        assert.equal(service.stats().requests.submit, posts, "no new POST");
        for (const row of [removed, truncated]) {
          const task = row.task_id as string;
          assert.equal(service.stats().pollsByTask[task] - (gets[task] ?? 0), 1, row.id as string);
          const file = join(outDir, row.output as string);
          assert.equal(await sha256File(file), service.stats().servedSha256[task]);
        }
        assert.equal((await readReport(outDir)).totals.done, 4);
      } finally {
        await service.close();
      }
    });
  });
});
