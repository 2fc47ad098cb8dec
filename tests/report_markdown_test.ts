import assert from "node:assert/strict";
import { renderReportMarkdown } from "../src/report/markdown.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";

const GOLDEN = new URL("./golden/report.md", import.meta.url);
/** Keeps `deno fmt` off the golden file: it must hold the renderer's exact bytes. */
const GOLDEN_HEADER = "<!-- deno-fmt-ignore-file -->\n";

/** The table rows under a heading, each split into cells at unescaped pipes. */
function tableUnder(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(heading);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(2, -2).split(/(?<!\\) \| /));
  }
  return rows;
}

Deno.test("renderReportMarkdown() matches the golden report for the fixed report", async () => {
  const markdown = renderReportMarkdown(REPORT_FIXTURE);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(GOLDEN, GOLDEN_HEADER + markdown);
    return;
  }
  assert.equal(GOLDEN_HEADER + markdown, await Deno.readTextFile(GOLDEN));
});

Deno.test("renderReportMarkdown() titles the report and tabulates the totals", () => {
  const markdown = renderReportMarkdown(REPORT_FIXTURE);
  assert(markdown.startsWith("# Seedance batch report: launch \\& \\<promo\\>.yaml\n"));
  assert(markdown.includes("generated 2025-06-01T12:00:00.000Z"));
  assert.deepEqual(tableUnder(markdown, "## Totals"), [
    ["jobs", "done", "failed", "invalid", "pending", "running", "uncertain"],
    ["---:", "---:", "---:", "---:", "---:", "---:", "---:"],
    ["7", "2", "1", "1", "1", "1", "1"],
  ]);
});

Deno.test("renderReportMarkdown() keeps one row of nine cells per job whatever the text", () => {
  const rows = tableUnder(renderReportMarkdown(REPORT_FIXTURE), "## Jobs");
  assert.deepEqual(rows[0], [
    "id",
    "status",
    "model",
    "seconds",
    "size",
    "resolution",
    "output",
    "error",
    "prompt",
  ]);
  const jobs = rows.slice(2);
  assert.equal(jobs.length, REPORT_FIXTURE.jobs.length);
  for (const cells of jobs) assert.equal(cells.length, 9, cells.join(" | "));
  assert.deepEqual(jobs.map((cells) => cells[1]), REPORT_FIXTURE.jobs.map((job) => job.status));
});

Deno.test("renderReportMarkdown() escapes markup, pipes and line breaks in cells", () => {
  const rows = tableUnder(renderReportMarkdown(REPORT_FIXTURE), "## Jobs").slice(2);
  assert.equal(rows[1][0], "a b\\#1 \\<script\\>alert(1)\\</script\\>");
  assert.equal(
    rows[2][7],
    'The prompt "x, y" was rejected:<br>it names \\<b\\>a brand\\</b\\> \\& a \\| pipe',
  );
});

Deno.test("renderReportMarkdown() shows each job's prompt, escaped, in its last cell", () => {
  const rows = tableUnder(renderReportMarkdown(REPORT_FIXTURE), "## Jobs").slice(2);
  assert.equal(
    rows[0][8],
    'A paper lantern drifts over a "still" lake at dusk \\& \\<b\\>fades\\</b\\>',
  );
  assert.equal(rows[1][8], '=HYPERLINK("http://x") \\| a pipe, a comma<br>and a second line');
  assert.equal(rows[2][8], "prompt of rejected");
  assert.equal(rows[3][8], "", "an invalid job has no prompt");
});

Deno.test("renderReportMarkdown() links done jobs to their video and explains uncertain ones", () => {
  const rows = tableUnder(renderReportMarkdown(REPORT_FIXTURE), "## Jobs").slice(2);
  assert.equal(rows[0][6], "[videos/intro.mp4](videos/intro.mp4)<br>5.042 s, 1280x720, avc1");
  assert.equal(
    rows[1][6],
    "[videos/a b\\#1 é?.mp4](videos/a%20b%231%20%C3%A9%3F.mp4)<br>5 s, 1920x1080, \\<i\\>\\&" +
      "<br>**does not match:** the video lasts 5 s, 10 s were asked for; " +
      "the picture is 1920x1080, not 9:16 as asked for",
  );
  assert.deepEqual(rows.slice(2).map((cells) => cells[6]), ["", "", "", "", ""]);
  assert.match(rows[6][7], /^The submission at 2025-06-01T11:00:05\.000Z has an unknown outcome/);
  assert.match(rows[6][7], /--resubmit-uncertain$/);
});

Deno.test("renderReportMarkdown() says so when the manifest has no jobs", () => {
  const empty: ReportModel = {
    manifest: "empty.yaml",
    generated_at: "2025-06-01T12:00:00.000Z",
    totals: { jobs: 0, done: 0, failed: 0, invalid: 0, pending: 0, running: 0, uncertain: 0 },
    jobs: [],
  };
  assert(renderReportMarkdown(empty).endsWith("## Jobs\n\nThe manifest has no jobs.\n"));
});
