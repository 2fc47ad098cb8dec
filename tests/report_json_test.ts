import assert from "node:assert/strict";
import { renderReportJson, renderReportJsonChunks } from "../src/report/json.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";

/** Text that JSON must escape or carry through: quotes, controls, separators, astral and lone surrogates. */
const AWKWARD = [
  'say "hi"\\ then \\"leave\\"',
  "tab\there\nnew line\r\nand \u0000\u0007\u001f\u007f",
  "line\u2028separator\u2029paragraph",
  "été 東京 🎬🎞️ 👩🏽‍💻",
  "lone \ud800 high and \udfff low",
  "</script><!-- & 'single' -->",
  "",
  " ",
];

/** The fixture (a job in every status, nulls and hostile text) with more awkward jobs. */
const AWKWARD_REPORT: ReportModel = {
  ...REPORT_FIXTURE,
  manifest: `manifests/${AWKWARD[3]} "${AWKWARD[0]}".yaml`,
  jobs: [
    ...REPORT_FIXTURE.jobs,
    ...AWKWARD.map((text, index) => ({
      ...REPORT_FIXTURE.jobs[index % REPORT_FIXTURE.jobs.length],
      id: `awkward-${index} ${text}`,
      images: [text, `${text}/second.png`],
      error: { code: `code ${text}`, message: text },
    })),
  ],
};

Deno.test("renderReportJson() is JSON.stringify(report, null, 2) plus a line break", async (t) => {
  const cases: Array<[string, ReportModel]> = [
    ["the fixture: every status, nulls, markup, quotes, line breaks", REPORT_FIXTURE],
    ["escapes, control characters, unicode and lone surrogates", AWKWARD_REPORT],
    ["no jobs", { ...REPORT_FIXTURE, jobs: [] }],
    ["one job", { ...REPORT_FIXTURE, jobs: [REPORT_FIXTURE.jobs[0]] }],
    ["keys in another order", {
      jobs: REPORT_FIXTURE.jobs,
      totals: REPORT_FIXTURE.totals,
      generated_at: REPORT_FIXTURE.generated_at,
      manifest: REPORT_FIXTURE.manifest,
    }],
  ];
  for (const [name, report] of cases) {
    await t.step(name, () => {
      assert.equal(renderReportJson(report), JSON.stringify(report, null, 2) + "\n");
    });
  }
});

Deno.test("renderReportJson() parses back to the report model", () => {
  assert.deepEqual(JSON.parse(renderReportJson(AWKWARD_REPORT)), AWKWARD_REPORT);
});

Deno.test("renderReportJsonChunks() yields the envelope, then one chunk per job", () => {
  const chunks = [...renderReportJsonChunks(AWKWARD_REPORT)];
  assert.equal(chunks.length, AWKWARD_REPORT.jobs.length + 2);
  assert.match(chunks[0], /^\{\n {2}"manifest": .*\n {2}"jobs": \[$/s);
  AWKWARD_REPORT.jobs.forEach((job, index) => {
    assert.deepEqual(JSON.parse(chunks[index + 1].replace(/^,/, "")), job);
  });
  assert.equal(chunks.at(-1), "\n  ]\n}\n");
});
