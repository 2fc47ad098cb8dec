/**
 * Issue 9 item 11: what each downloaded video really is (duration, picture,
 * codec, read from its MP4 boxes) reaches every report, and a video that is
 * not what was asked for is flagged as a warning: the job stays done.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { withTempDir } from "../helpers/cli.ts";
import { pictureFor } from "../../src/video_check.ts";
import { readReport, runAgainst, sampleJobs, startService, writeManifest } from "./harness.ts";

/** Three jobs of 4 to 6 seconds in 16:9, 9:16 and 1:1. */
const JOBS = sampleJobs(5).slice(2);

Deno.test("run reports each video's duration, picture and codec as asked for when the service serves them", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ mismatchRate: 0 });
    try {
      const manifest = await writeManifest(dir, JOBS);
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      const outDir = join(dir, "batch.out");
      const report = await readReport(outDir);
      assert.equal(report.totals.mismatched, 0);
      for (const job of JOBS) {
        const row = report.jobs.find((r) => r.id === job.id)!;
        const picture = pictureFor(job.size!, job.resolution!)!;
        assert.deepEqual(
          [row.status, row.video_duration, row.video_width, row.video_height, row.video_codec],
          ["done", job.seconds, picture.width, picture.height, "avc1"],
          job.id,
        );
        assert.deepEqual(row.video_mismatch, [], job.id);
      }
      const csv: Array<Record<string, string>> = parse(
        await Deno.readTextFile(join(outDir, "report.csv")),
        { columns: true },
      );
      assert.deepEqual(
        csv.map((r) => [r.id, r.video_duration, r.video_mismatch]),
        JOBS.map((job) => [job.id, String(job.seconds), ""]),
      );
      const printed = [...run.stdout, ...run.stderr].join("\n");
      assert.doesNotMatch(printed, /does not match/);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run flags every video that does not match its request and still ends done, exit 0", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ mismatchRate: 1 });
    try {
      const manifest = await writeManifest(dir, JOBS);
      const run = await runAgainst(manifest, service);
      assert.equal(run.code, 0, run.stderr.join("\n"));
      const outDir = join(dir, "batch.out");
      const report = await readReport(outDir);
      assert.equal(report.totals.done, JOBS.length);
      assert.equal(report.totals.mismatched, JOBS.length);
      const printed = [...run.stdout, ...run.stderr];
      for (const job of JOBS) {
        const row = report.jobs.find((r) => r.id === job.id)!;
        const half = Math.floor(job.seconds! / 2);
        assert.equal(row.status, "done");
        assert.equal(row.video_duration, half);
        const mismatch = row.video_mismatch as string[];
        assert.equal(mismatch[0], `the video lasts ${half} s, ${job.seconds} s were asked for`);
        // A square turned is still square; the others' pictures are turned.
        assert.equal(mismatch.length, job.size === "1:1" ? 1 : 2, job.id);
        const line = printed.find((l) => l.startsWith(`${job.id}: done:`));
        assert.match(
          line ?? "",
          new RegExp(
            `; does not match: the video lasts ${half} s, ${job.seconds} s were asked for`,
          ),
        );
      }
      assert.ok(
        printed.some((l) =>
          l.startsWith("3 jobs: 3 done") && l.endsWith("(3 done not as asked for)")
        ),
        printed.join("\n"),
      );
      const md = await Deno.readTextFile(join(outDir, "report.md"));
      assert.match(md, /\*\*3 videos do not match what was asked for\*\*/);
      const html = await Deno.readTextFile(join(outDir, "report.html"));
      assert.equal(html.match(/<span class="badge mismatch">/g)?.length, JOBS.length);
    } finally {
      await service.close();
    }
  });
});
