import assert from "node:assert/strict";
import { join } from "node:path";
import { ReportWriteError, writeReports } from "../src/report/write.ts";
import { renderReportJson, renderReportJsonChunks } from "../src/report/json.ts";
import { csvTextCell, renderReportCsv, renderReportCsvChunks } from "../src/report/csv.ts";
import { renderReportMarkdown, renderReportMarkdownChunks } from "../src/report/markdown.ts";
import { renderReportHtml, renderReportHtmlChunks } from "../src/report/html.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { galleryFixture, REPORT_FIXTURE } from "./fixtures/report_model.ts";
import { currentReportDigest, stampDigest } from "../src/report/current.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { findAll, parseHtml } from "./helpers/html_tree.ts";
import { parse } from "csv-parse/sync";

/** Each report file with the string renderer its bytes must equal. */
const FILES: Array<[string, (report: ReportModel) => string]> = [
  ["report.json", renderReportJson],
  ["report.csv", renderReportCsv],
  ["report.md", renderReportMarkdown],
  ["report.html", renderReportHtml],
];

async function assertFilesMatchRenderers(dir: string, report: ReportModel): Promise<void> {
  for (const [name, render] of FILES) {
    const bytes = await Deno.readFile(join(dir, name));
    assert.deepEqual(bytes, new TextEncoder().encode(render(report)), name);
  }
}

async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("writeReports() writes each file as its string renderer renders it", async () => {
  await withTempDir(async (dir) => {
    const written = await writeReports(dir, REPORT_FIXTURE);
    assert.deepEqual(written, FILES.map(([name]) => join(dir, name)));
    await assertFilesMatchRenderers(dir, REPORT_FIXTURE);
    assert.deepEqual(await namesIn(dir), ["report.csv", "report.html", "report.json", "report.md"]);
  });
});

Deno.test("writeReports() keeps multi-byte text intact across its write batches", async () => {
  // Jobs far larger than a 64 KiB batch, with 1- to 4-byte characters (and a
  // lone surrogate) landing on every offset of the batch boundaries.
  const text = (seed: number): string =>
    Array.from({ length: 9_000 }, (_, i) => ["a", "é", "東", "🎬", "\n", '"', "<"][(i + seed) % 7])
      .join("") + "\ud800";
  const report: ReportModel = {
    ...REPORT_FIXTURE,
    jobs: REPORT_FIXTURE.jobs.map((job, index) => ({
      ...job,
      id: `${job.id} ${text(index)}`,
      error: { code: "big", message: text(index + 3).repeat(3) },
    })),
  };
  await withTempDir(async (dir) => {
    await writeReports(dir, report);
    await assertFilesMatchRenderers(dir, report);
  });
});

Deno.test("writeReports() replaces earlier reports and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    for (const [name] of FILES) await Deno.writeTextFile(join(dir, name), "old ".repeat(50_000));
    const report: ReportModel = { ...REPORT_FIXTURE, jobs: REPORT_FIXTURE.jobs.slice(0, 1) };
    await writeReports(dir, report);
    await assertFilesMatchRenderers(dir, report);
    assert.deepEqual(await namesIn(dir), ["report.csv", "report.html", "report.json", "report.md"]);
  });
});

Deno.test("writeReports() removes its temporary file when a report cannot be replaced, and writes the others", async () => {
  await withTempDir(async (dir) => {
    // A folder where report.csv should go: the rename over it fails.
    await Deno.mkdir(join(dir, "report.csv"));
    const error = await writeReports(dir, REPORT_FIXTURE).then(
      () => assert.fail("writeReports() resolved"),
      (error: unknown) => error,
    );
    assert(error instanceof ReportWriteError);
    assert.equal(error.code, "report_write");
    assert.deepEqual(error.failures.map((failure) => failure.path), [join(dir, "report.csv")]);
    assert.match(error.message, /^Cannot write report .*report\.csv: Is a directory/);
    assert((await Deno.stat(join(dir, "report.csv"))).isDirectory);
    assert.deepEqual(await namesIn(dir), ["report.csv", "report.html", "report.json", "report.md"]);
  });
});

Deno.test("writeReports() replaces a report that is a symbolic link, never writing through it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "keep me");
    await Deno.symlink(outside, join(out, "report.html"));
    // A leftover temporary name that is a link to the same file.
    await Deno.symlink(outside, join(out, `report.json.tmp-${Deno.pid}`));
    await writeReports(out, REPORT_FIXTURE);
    assert.equal(await Deno.readTextFile(outside), "keep me");
    assert((await Deno.lstat(join(out, "report.html"))).isFile);
    await assertFilesMatchRenderers(out, REPORT_FIXTURE);
  });
});

Deno.test("report chunk renderers hold at most one job per chunk", async (t) => {
  const many: ReportModel = {
    ...REPORT_FIXTURE,
    jobs: Array.from({ length: 100 }, () => REPORT_FIXTURE.jobs).flat(),
  };
  const renderers: Array<[string, (report: ReportModel) => Iterable<string>]> = [
    ["renderReportJsonChunks()", renderReportJsonChunks],
    ["renderReportCsvChunks()", renderReportCsvChunks],
    ["renderReportMarkdownChunks()", renderReportMarkdownChunks],
    ["renderReportHtmlChunks()", renderReportHtmlChunks],
  ];
  for (const [name, render] of renderers) {
    await t.step(`${name}: the longest chunk does not grow with the jobs`, () => {
      const longest = (report: ReportModel): number =>
        Math.max(...Array.from(render(report), (chunk) => chunk.length));
      // A few characters more at most: the counts in report.html's totals and
      // filters have more digits, and a repeated id's anchor gets a number.
      assert(longest(many) <= longest(REPORT_FIXTURE) + 64, `${longest(many)} characters`);
    });
  }
});

Deno.test("writeReports() puts each job's prompt in report.json, report.csv and report.md", async () => {
  await withTempDir(async (dir) => {
    await writeReports(dir, REPORT_FIXTURE);
    const prompts = REPORT_FIXTURE.jobs.map((job) => job.prompt);
    assert.equal(prompts[0], 'A paper lantern drifts over a "still" lake at dusk & <b>fades</b>');
    assert.equal(prompts[3], null, "an invalid job has no prompt");
    const json = JSON.parse(await Deno.readTextFile(join(dir, "report.json")));
    assert.deepEqual(json.jobs.map((job: { prompt: string | null }) => job.prompt), prompts);
    const csv = parse(await Deno.readTextFile(join(dir, "report.csv")), { columns: true });
    assert.deepEqual(
      (csv as Record<string, string>[]).map((row) => row.prompt),
      // report.json keeps the raw text; report.csv neutralises a formula.
      prompts.map((prompt) => csvTextCell(prompt ?? "")),
    );
    const markdown = await Deno.readTextFile(join(dir, "report.md"));
    assert(markdown.includes("| prompt |"));
    assert(markdown.includes('A paper lantern drifts over a "still" lake at dusk \\& \\<b\\>'));
  });
});

Deno.test("writeReports() links reference images in report.html relative to the output folder", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "batch.out");
    await Deno.mkdir(out);
    const imageFiles = new Map([[REPORT_FIXTURE.jobs[0].id, [
      join(dir, "images", "hero.png"),
      join(out, "refs", "logo, v2.webp"),
    ]]]);
    await writeReports(out, REPORT_FIXTURE, { imageFiles });
    const page = parseHtml(await Deno.readTextFile(join(out, "report.html")));
    const images = findAll(page, (e) => e.name === "img");
    assert.deepEqual(
      images.map((image) => [image.attributes.src, image.attributes.loading]),
      [["../images/hero.png", "lazy"], ["refs/logo%2C%20v2.webp", "lazy"]],
    );
  });
});

Deno.test("writeReports() keeps a report's digest only when all four files were written", async () => {
  await withTempDir(async (dir) => {
    const digest = "ab".repeat(32);
    const stamped = stampDigest(REPORT_FIXTURE, digest);
    await writeReports(dir, stamped);
    assert.equal(await currentReportDigest(dir), digest);
    assert.equal(
      JSON.parse(await Deno.readTextFile(join(dir, "report.json"))).report_digest,
      digest,
    );

    // report.html cannot be replaced: report.json is written without the digest.
    await Deno.remove(join(dir, "report.html"));
    await Deno.mkdir(join(dir, "report.html"));
    await assert.rejects(() => writeReports(dir, stampDigest(REPORT_FIXTURE, "cd".repeat(32))));
    const json = JSON.parse(await Deno.readTextFile(join(dir, "report.json")));
    assert.equal(json.report_digest, undefined);
    assert.equal(json.manifest, REPORT_FIXTURE.manifest);
    assert.equal(await currentReportDigest(dir), undefined);
  });
});

Deno.test("currentReportDigest() finds none when a report file is missing or report.json does not end with one", async () => {
  await withTempDir(async (dir) => {
    const digest = "ab".repeat(32);
    await writeReports(dir, stampDigest(REPORT_FIXTURE, digest));
    assert.equal(await currentReportDigest(dir), digest);
    await Deno.remove(join(dir, "report.csv"));
    assert.equal(await currentReportDigest(dir), undefined);
    await writeReports(dir, REPORT_FIXTURE);
    assert.equal(await currentReportDigest(dir), undefined);
  });
});

Deno.test("writeReports() with a capped gallery keeps every job in report.json and report.csv", async () => {
  await withTempDir(async (dir) => {
    const report = galleryFixture();
    await writeReports(dir, report, { galleryLimit: 20 });
    const json = JSON.parse(await Deno.readTextFile(join(dir, "report.json")));
    assert.equal(json.jobs.length, 300);
    const rows: { id: string }[] = parse(await Deno.readTextFile(join(dir, "report.csv")), {
      columns: true,
    });
    assert.deepEqual(rows.map((row) => row.id), report.jobs.map((job) => job.id));
    const page = parseHtml(await Deno.readTextFile(join(dir, "report.html")));
    assert.equal(findAll(page, (node) => node.name === "article").length, 8 + 20);
    const [more] = findAll(page, (node) => node.attributes.id === "not-shown");
    assert.ok(more, "the page says more jobs are not shown");
  });
});
