/**
 * Issue 8 item 12: report.csv never hands a spreadsheet a formula, whether
 * the text came from the manifest (ids, image paths, outputs) or from the
 * service (task ids, error codes and messages); report.json keeps it raw.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { makePng } from "./helpers/images.ts";
import { startHostileService } from "./helpers/hostile_service.ts";
import { readReport, TEST_KEY } from "./e2e/harness.ts";

const FORMULA = /^[=+\-@\t\r]/;

Deno.test("run writes report.csv with formula-like cells neutralised and report.json raw", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "+img.png"), await makePng(400, 400));
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(
      manifest,
      [
        `- id: "=1+1"`,
        `  prompt: one`,
        `  model: doubao-seedance-2-0`,
        `  image: "+img.png"`,
        `  output: "@clip.mp4"`,
        `- id: "-2+3"`,
        `  prompt: two`,
        `  model: doubao-seedance-1-0-pro`,
        `- id: "@SUM(A1)"`,
        `  prompt: three`,
        `  model: doubao-seedance-1-0-pro`,
        "",
      ].join("\n"),
    );
    const service = startHostileService({
      submit: (n) => ({ kind: "created", id: `=HYPERLINK("http://x/${n}")` }),
      task: (id) =>
        id.endsWith('0")')
          ? { kind: "succeeded" }
          : { kind: "failed", code: "+code", message: "=cmd|' /C calc'!A0" },
    });
    try {
      const result = await runCli(["run", manifest, "--poll-interval", "0.02", "--quiet"], {
        env: { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: service.url },
      });
      assert.equal(result.code, 1, result.stderr.join("\n"));
    } finally {
      await service.close();
    }
    const out = join(dir, "batch.out");
    const csv = await Deno.readTextFile(join(out, "report.csv"));
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    for (const record of records) {
      for (const [column, cell] of Object.entries(record)) {
        assert.doesNotMatch(cell, FORMULA, `${column}: ${JSON.stringify(cell)}`);
      }
    }
    assert.deepEqual(records.map((record) => record.id), ["'=1+1", "'-2+3", "'@SUM(A1)"]);
    assert.equal(records[0].images, "'+img.png");
    const report = await readReport(out);
    assert.deepEqual(report.jobs.map((job) => job.id), ["=1+1", "-2+3", "@SUM(A1)"]);
    assert.deepEqual(report.jobs[0].images, ["+img.png"]);
    assert.equal(report.jobs.filter((job) => job.status === "failed").length, 2);
    for (const [at, job] of report.jobs.entries()) {
      assert.match(String(job.task_id), /^=HYPERLINK/);
      assert.equal(records[at].task_id, `'${job.task_id}`);
      if (job.status === "failed") {
        assert.deepEqual(job.error, { code: "+code", message: "=cmd|' /C calc'!A0" });
        assert.equal(records[at].error_code, "'+code");
        assert.equal(records[at].error_message, "'=cmd|' /C calc'!A0");
      }
    }
  });
});
