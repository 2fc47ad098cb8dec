/**
 * The reports as a user gets them from `run`: the prompts in all four files
 * and the reference images shown from the output folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runAgainst, sampleJobs, startService, writeManifest } from "./e2e/harness.ts";
import { withTempDir } from "./helpers/cli.ts";
import { findAll, hasClass, parseHtml } from "./helpers/html_tree.ts";

Deno.test("run writes each job's prompt into report.json, report.csv and report.md, and report.html shows the reference images", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const jobs = sampleJobs(3);
      const manifest = await writeManifest(dir, jobs);
      const out = join(dir, "renders");
      const result = await runAgainst(manifest, service, ["--out", out]);
      assert.equal(result.code, 0, result.stderr.join("\n"));

      const json = JSON.parse(await Deno.readTextFile(join(out, "report.json")));
      assert.deepEqual(
        json.jobs.map((job: { id: string; prompt: string }) => [job.id, job.prompt]),
        jobs.map((job) => [job.id, job.prompt]),
      );
      const csv = parse(await Deno.readTextFile(join(out, "report.csv")), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(csv.map((row) => row.prompt), jobs.map((job) => job.prompt));
      const markdown = await Deno.readTextFile(join(out, "report.md"));
      for (const job of jobs) assert(markdown.includes(` | ${job.prompt} |`), job.prompt);

      const page = parseHtml(await Deno.readTextFile(join(out, "report.html")));
      const card = findAll(page, (e) =>
        hasClass(e, "card") && e.attributes.id === "job-clip-001")[0];
      const thumbnails = findAll(card, (e) => e.name === "img").map((img) => img.attributes.src);
      assert.deepEqual(thumbnails, ["../images/a.png", "../images/b.png"]);
      for (const src of thumbnails) await Deno.stat(join(out, src));
    } finally {
      await service.close();
    }
  });
});
