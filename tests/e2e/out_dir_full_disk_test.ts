/**
 * Reports that cannot be written on a full disk (issue 8, item 8): the run
 * ends with the jobs' exit code and one line naming the report; the journal
 * and the videos are untouched. Needs a tmpfs (root); ignored with the reason
 * where one cannot be mounted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { fillLeaving, PAGE, probeTmpfs, withTmpfs } from "../helpers/mount.ts";
import {
  listFiles,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  writeManifest,
} from "./harness.ts";

const tmpfs = await probeTmpfs();

/** Bytes of the `run_started` event a run appends first, with room to spare. */
const RUN_STARTED_BYTES = 400;

Deno.test({
  name: tmpfs.available
    ? "run and report on a full disk keep the jobs' exit code and say in one line that the report was not written"
    : `run and report on a full disk ... [ignored: ${tmpfs.reason}]`,
  ignore: !tmpfs.available,
  fn: () =>
    withTmpfs(16 * 1024 * 1024, async (dir) => {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const out = join(dir, "batch.out");
      const service = await startService();
      try {
        const first = await runAgainst(manifest, service);
        assert.equal(first.code, 0, first.stderr.join("\n"));
        const videos = (await listFiles(out)).filter((file) => file.startsWith("videos/"));
        const hashes = await Promise.all(videos.map((file) => sha256File(join(out, file))));
        const journal = await Deno.readTextFile(join(out, "state.jsonl"));
        // A report.json whose digest is not what the next run would write (bytes
        // changed in place, no block added): the next run must write the reports.
        await staleDigest(join(out, "report.json"));
        const reports = await Promise.all(
          ["report.json", "report.html"].map((name) => Deno.readFile(join(out, name))),
        );

        // The resume index goes first: the run would remove it, freeing a page.
        await Deno.remove(join(out, ".resume-index"));
        // Room for the lock file and the journal's next line, none for a report.
        const slack = PAGE - (new TextEncoder().encode(journal).length % PAGE);
        const journalPages = slack === PAGE || slack < RUN_STARTED_BYTES ? 1 : 0;
        await fillLeaving(join(dir, "filler"), 1 + journalPages);

        const second = await runAgainst(manifest, service);
        assert.equal(second.code, 0, second.stderr.join("\n"));
        const errors = second.stderr.filter((line) => line.startsWith("error:"));
        assert.equal(errors.length, 1, second.stderr.join("\n"));
        // report.json, which vouches for the others with its digest, is written last.
        assert.match(
          errors[0],
          /^error: Cannot write report \S*report\.csv: No space left.*; also .*report\.json$/,
        );
        assert.ok(!second.stderr.some((line) => /^\s+at /.test(line)), second.stderr.join("\n"));
        assert.ok(second.stderr.some((line) => line.endsWith("report: not written")));

        assert.deepEqual(
          await Promise.all(videos.map((file) => sha256File(join(out, file)))),
          hashes,
          "the videos are untouched",
        );
        const after = await Deno.readTextFile(join(out, "state.jsonl"));
        assert.equal(after, journal, "a run that changes nothing adds no line");
        assert.deepEqual(
          await Promise.all(
            ["report.json", "report.html"].map((name) => Deno.readFile(join(out, name))),
          ),
          reports,
          "the earlier reports are left as they were",
        );
        assert.ok(!(await listFiles(out)).some((file) => /\.tmp-|\.lock$/.test(file)));

        // `report` on the same full disk: exit 1 and one line.
        const report = await runCli(["report", manifest]);
        assert.equal(report.code, 1, report.stderr.join("\n"));
        assert.equal(report.stderr.length, 1, report.stderr.join("\n"));
        assert.match(
          report.stderr[0],
          /^error: Cannot write report \S*report\.json: No space left/,
        );
      } finally {
        await service.close();
      }
    }),
});

/** Change report.json's digest in place (same length, so the file keeps its blocks). */
async function staleDigest(path: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  const at = text.lastIndexOf('"report_digest": "') + '"report_digest": "'.length;
  assert.ok(at > '"report_digest": "'.length, "report.json has a digest");
  using file = await Deno.open(path, { write: true });
  await file.seek(new TextEncoder().encode(text.slice(0, at)).length, Deno.SeekMode.Start);
  await file.write(new TextEncoder().encode(text[at] === "0" ? "1" : "0"));
}
