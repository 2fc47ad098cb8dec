import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers/cli.ts";
import { readReport, runAgainst, sampleJobs, startService, writeManifest } from "./harness.ts";

const REPORTS = ["report.json", "report.csv", "report.md", "report.html"];
const MARK = "left as it was\n";

/** Put a mark in every report file but report.json (whose digest decides). */
async function markReports(outDir: string): Promise<void> {
  for (const name of REPORTS.slice(1)) await Deno.writeTextFile(join(outDir, name), MARK);
}

/** The report files that still hold the mark. */
async function marked(outDir: string): Promise<string[]> {
  const names = [];
  for (const name of REPORTS.slice(1)) {
    if (await Deno.readTextFile(join(outDir, name)) === MARK) names.push(name);
  }
  return names;
}

Deno.test("run leaves reports that already show everything as they were, and rewrites all four when anything changes", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const jobs = sampleJobs(4);
      const manifest = await writeManifest(dir, jobs);
      const outDir = join(dir, "batch.out");
      assert.equal((await runAgainst(manifest, service)).code, 0);
      const first = await readReport(outDir);
      assert.match(String((first as { report_digest?: unknown }).report_digest), /^[0-9a-f]{64}$/);

      // Nothing changed: nothing rewritten, report.json keeps its time.
      await markReports(outDir);
      const again = await runAgainst(manifest, service);
      assert.equal(again.code, 0);
      assert.deepEqual(await marked(outDir), REPORTS.slice(1));
      assert.equal((await readReport(outDir)).generated_at, first.generated_at);
      assert.ok(again.stderr.some((line) => line.includes("report.html")), again.stderr.join("\n"));

      // A done video gone: fetched again, the reports rewritten.
      const video = first.jobs[0].output as string;
      await Deno.remove(join(outDir, video));
      assert.equal((await runAgainst(manifest, service)).code, 0);
      assert.deepEqual(await marked(outDir), []);
      assert.ok((await Deno.stat(join(outDir, video))).isFile);

      // Other options (prices): rewritten.
      await markReports(outDir);
      const prices = join(dir, "prices.yaml");
      await Deno.writeTextFile(prices, `currency: USD\ndoubao-seedance-1-0-pro: 0.05\n`);
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 0);
      assert.deepEqual(await marked(outDir), []);
      assert.ok((await readReport(outDir) as { estimate?: unknown }).estimate);
      // The same prices again: left as they are; other prices: rewritten.
      await markReports(outDir);
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 0);
      assert.deepEqual(await marked(outDir), REPORTS.slice(1));
      await Deno.writeTextFile(prices, `currency: USD\ndoubao-seedance-1-0-pro: 0.07\n`);
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 0);
      assert.deepEqual(await marked(outDir), []);

      // A missing report file: all four written.
      await markReports(outDir);
      await Deno.remove(join(outDir, "report.md"));
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 0);
      assert.deepEqual(await marked(outDir), []);
      assert.match(await Deno.readTextFile(join(outDir, "report.md")), /clip-001/);

      // A report.json cut short (no digest at its end): all four written.
      await markReports(outDir);
      const json = await Deno.readTextFile(join(outDir, "report.json"));
      await Deno.writeTextFile(join(outDir, "report.json"), json.slice(0, -3));
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 0);
      assert.deepEqual(await marked(outDir), []);
      const rewritten = await Deno.readTextFile(join(outDir, "report.json"));
      const timeless = (text: string) => text.replace(/"generated_at": "[^"]*"/, "");
      assert.equal(timeless(rewritten), timeless(json));

      // The manifest edited (a job's prompt): rewritten, the job shown as changed.
      await markReports(outDir);
      jobs[1] = { ...jobs[1], prompt: `${jobs[1].prompt}, now at night` };
      await writeManifest(dir, jobs);
      assert.equal((await runAgainst(manifest, service, ["--prices", prices])).code, 1);
      assert.deepEqual(await marked(outDir), []);
      const edited = await readReport(outDir);
      assert.equal(edited.jobs[1].status, "failed");
      assert.equal((edited.jobs[1].error as { code: string }).code, "job_changed");
    } finally {
      await service.close();
    }
  });
});
