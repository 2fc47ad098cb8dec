import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { parsePrices } from "../src/prices.ts";
import { buildReport } from "../src/report/summary.ts";
import { withEstimate } from "../src/report/estimate.ts";
import { renderReportJson } from "../src/report/json.ts";
import { renderReportCsv } from "../src/report/csv.ts";
import { renderReportMarkdown } from "../src/report/markdown.ts";
import { renderReportHtml } from "../src/report/html.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";
import { readReport, runAgainst, startService } from "./e2e/harness.ts";

const PRICES = parsePrices("currency: USD\ndoubao-seedance-1-0-pro: 0.05\n", {
  file: "prices.yaml",
  catalog: DEFAULT_CATALOG,
}).prices;

function model(): ReturnType<typeof buildReport> {
  const jobs = [
    makeJob({ id: "a", seconds: 2 }),
    makeJob({ id: "b", index: 1, seconds: 4 }),
    makeJob({ id: "c", index: 2, model: "doubao-seedance-1-5-pro" }),
  ];
  const states = new Map([["a", makeState({ job: "a", phase: "done", fingerprint: "fp-a" })]]);
  const report = buildReport({
    manifest: "/m.yaml",
    jobs,
    invalid: [{
      index: 3,
      line: 9,
      id: "bad",
      images: [],
      issues: [{ field: null, message: "x" }],
    }],
    states,
    generatedAt: new Date(0),
  });
  return withEstimate(report, { jobs, states, prices: PRICES });
}

Deno.test("withEstimate() adds report.json's estimate and each job's estimated_cost, null when unpriced", () => {
  const report = model();
  const json = JSON.parse(renderReportJson(report));
  assert.deepEqual(json.jobs.map((job: Record<string, unknown>) => [job.id, job.estimated_cost]), [
    ["a", "0.10"],
    ["b", "0.20"],
    ["c", null],
    ["bad", null],
  ]);
  assert.equal(json.estimate.note, "estimates from your own price list, not a bill");
  assert.deepEqual(json.estimate.done, { jobs: 1, seconds: 2, amount: "0.10", unpriced: 0 });
  assert.deepEqual(json.estimate.to_come, { jobs: 2, seconds: 9, amount: "0.20", unpriced: 1 });
  // The contract's fields keep their names and order; the estimate comes after them.
  assert.deepEqual(Object.keys(json), ["manifest", "generated_at", "totals", "jobs", "estimate"]);
});

Deno.test("report.csv gains an estimated_cost column, report.md and report.html an estimate section, only with prices", () => {
  const report = model();
  const csv = renderReportCsv(report).split("\r\n");
  assert.match(csv[0], /,error_message,prompt,.*,video_mismatch,estimated_cost$/);
  assert.match(csv[1], /^a,.*,0\.10$/);
  assert.match(csv[3], /^c,.*,$/);
  const md = renderReportMarkdown(report);
  assert.match(
    md,
    /## Estimated spend\n\nEstimates at the prices in prices\.yaml \(estimates from your own price list, not a bill\)\./,
  );
  assert.match(md, /\| already rendered \(done\) \| 1 \| 2 \| 0\.10 USD \| 0 \|/);
  assert.match(md, /\| doubao-seedance-1-5-pro \| 720p \| unpriced \| 1 \| 5 \| unpriced \|/);
  const html = renderReportHtml(report);
  assert.match(html, /<section class="estimate" aria-label="Estimated spend">/);
  assert.match(
    html,
    /<th scope="row">to come \(still to submit\)<\/th><td>2<\/td><td>9<\/td><td>0\.20 USD<\/td><td>1<\/td>/,
  );

  const plain = buildReport({
    manifest: "/m.yaml",
    jobs: [makeJob({ id: "a" })],
    states: new Map(),
    generatedAt: new Date(0),
  });
  assert.doesNotMatch(renderReportCsv(plain), /estimated_cost/);
  assert.doesNotMatch(renderReportJson(plain), /estimate/);
  assert.doesNotMatch(renderReportMarkdown(plain), /Estimated spend/);
  assert.doesNotMatch(renderReportHtml(plain), /Estimated spend/);
});

Deno.test("run --prices and report --prices write the estimate into all four reports", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(
      manifest,
      "- {id: a, model: doubao-seedance-1-0-pro, prompt: a, seconds: 2, variants: 2}\n",
    );
    const prices = join(dir, "prices.yaml");
    await Deno.writeTextFile(prices, "currency: USD\ndoubao-seedance-1-0-pro: 0.05\n");
    const service = await startService();
    try {
      const run = await runAgainst(manifest, service, ["--prices", prices]);
      assert.equal(run.code, 0, run.stderr.join("\n"));
    } finally {
      await service.close();
    }
    const out = join(dir, "batch.out");
    const check = async (): Promise<void> => {
      const report = await readReport(out) as unknown as Record<string, Record<string, unknown>>;
      assert.deepEqual(report.estimate.done, { jobs: 2, seconds: 4, amount: "0.20", unpriced: 0 });
      assert.match(
        await Deno.readTextFile(join(out, "report.csv")),
        /estimated_cost\r\na-v1,.*,0\.10\r\n/,
      );
      assert.match(await Deno.readTextFile(join(out, "report.md")), /## Estimated spend/);
      assert.match(await Deno.readTextFile(join(out, "report.html")), /Estimated spend/);
    };
    await check();
    // plan --prices reads the journal: both jobs are already rendered, nothing is to come.
    const plan = JSON.parse(
      (await runCli(["plan", manifest, "--prices", prices, "--json"])).stdout[0],
    );
    assert.deepEqual(plan.estimate.done, { jobs: 2, seconds: 4, amount: "0.20", unpriced: 0 });
    assert.deepEqual(plan.estimate.to_come, { jobs: 0, seconds: 0, amount: "0.00", unpriced: 0 });
    const plain = await runCli(["report", manifest]);
    assert.equal(plain.code, 0);
    assert.doesNotMatch(await Deno.readTextFile(join(out, "report.csv")), /estimated_cost/);
    const again = await runCli(["report", manifest, "--prices", prices]);
    assert.equal(again.code, 0, again.stderr.join("\n"));
    await check();
  });
});
