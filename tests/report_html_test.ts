import assert from "node:assert/strict";
import { escapeHtml, renderReportHtml } from "../src/report/html.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";
import { findAll, hasClass, type HtmlElement, parseHtml, textOf } from "./helpers/html_tree.ts";

const GOLDEN = new URL("./golden/report.html", import.meta.url);
/** Keeps `deno fmt` off the golden file: it must hold the renderer's exact bytes. */
const GOLDEN_HEADER = "<!-- deno-fmt-ignore-file -->\n";

function cardsOf(html: string): HtmlElement[] {
  return findAll(parseHtml(html), (element) => hasClass(element, "card"));
}

Deno.test("renderReportHtml() matches the golden page for the fixed report", async () => {
  const html = renderReportHtml(REPORT_FIXTURE);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(GOLDEN, GOLDEN_HEADER + html);
    return;
  }
  assert.equal(GOLDEN_HEADER + html, await Deno.readTextFile(GOLDEN));
});

Deno.test("renderReportHtml() shows one card per job with its id, status and facts", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  assert.deepEqual(cards.map((card) => card.attributes["data-status"]), [
    "done",
    "done",
    "failed",
    "invalid",
    "pending",
    "running",
    "uncertain",
  ]);
  cards.forEach((card, index) => {
    const job = REPORT_FIXTURE.jobs[index];
    assert.equal(textOf(findAll(card, (e) => e.name === "h2")[0]), job.id);
    assert.equal(textOf(findAll(card, (e) => hasClass(e, "badge"))[0]), job.status);
    const facts = textOf(findAll(card, (e) => hasClass(e, "facts"))[0]);
    for (const value of [job.model, job.size, job.resolution, job.task_id]) {
      if (value !== null) assert(facts.includes(value), `card ${index} lacks ${value}`);
    }
  });
});

Deno.test("renderReportHtml() gives done jobs a video linked relative to the report", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  const videos = cards.map((card) => findAll(card, (e) => e.name === "video"));
  assert.deepEqual(videos.map((found) => found.length), [1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(videos[0][0].attributes, {
    controls: "",
    preload: "metadata",
    src: "videos/intro.mp4",
  });
  assert.equal(videos[1][0].attributes.src, "videos/a%20b%231%20%C3%A9%3F.mp4");
});

Deno.test("renderReportHtml() shows the message of failed, invalid and uncertain jobs", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  const messages = cards.map((card) =>
    findAll(card, (e) => hasClass(e, "message")).map(textOf).join("")
  );
  assert.equal(messages[2], `content_policy: ${REPORT_FIXTURE.jobs[2].error!.message}`);
  assert.equal(messages[3], `too_big: ${REPORT_FIXTURE.jobs[3].error!.message}`);
  assert.match(messages[6], /2025-06-01T11:00:05\.000Z.*--resubmit-uncertain/);
  assert.deepEqual([messages[0], messages[1], messages[4], messages[5]], ["", "", "", ""]);
});

Deno.test("renderReportHtml() escapes markup, quotes and ampersands in every value", () => {
  const hostile = `<script>alert("x")</script> & 'y'`;
  const report: ReportModel = {
    ...REPORT_FIXTURE,
    manifest: hostile,
    jobs: REPORT_FIXTURE.jobs.map((job) => ({
      ...job,
      id: `${job.id} ${hostile}`,
      model: hostile,
      task_id: hostile,
      size: hostile,
      resolution: hostile,
      images: [hostile],
      sha256: job.sha256 === null ? null : hostile,
      output: job.output === null ? null : `videos/${hostile}.mp4`,
      error: { code: hostile, message: hostile },
    })),
  };
  const html = renderReportHtml(report);
  assert(!/<script/i.test(html), "a <script> tag got through");
  const tree = parseHtml(html);
  assert.deepEqual(findAll(tree, (e) => e.name === "script"), []);
  const cards = findAll(tree, (e) => hasClass(e, "card"));
  assert.equal(cards.length, report.jobs.length);
  cards.forEach((card, index) => {
    assert.equal(textOf(findAll(card, (e) => e.name === "h2")[0]), report.jobs[index].id);
  });
  const subtitle = findAll(tree, (e) => hasClass(e, "subtitle"))[0];
  assert.equal(textOf(findAll(subtitle, (e) => e.name === "code")[0]), hostile);
  const messages = findAll(tree, (e) => hasClass(e, "message")).map(textOf);
  assert(messages.every((message) => message === `${hostile}: ${hostile}`));
  const videos = findAll(tree, (e) => e.name === "video");
  assert.deepEqual(
    videos.map((video) => decodeURIComponent(video.attributes.src)),
    [`videos/${hostile}.mp4`, `videos/${hostile}.mp4`],
  );
});

Deno.test("renderReportHtml() loads nothing from elsewhere and runs no script", () => {
  const html = renderReportHtml(REPORT_FIXTURE);
  const tree = parseHtml(html);
  assert.deepEqual(findAll(tree, (e) => ["script", "link", "iframe", "img"].includes(e.name)), []);
  for (const element of findAll(tree, (e) => "src" in e.attributes || "href" in e.attributes)) {
    const url = element.attributes.src ?? element.attributes.href;
    assert.match(url, /^videos\/[^/:]+$/, `${element.name} points outside: ${url}`);
  }
  assert(!/@import|url\(|https?:/i.test(html), "a style or link reaches out");
  const csp = findAll(tree, (e) => e.attributes["http-equiv"] === "Content-Security-Policy");
  assert.match(csp[0].attributes.content, /default-src 'none'/);
});

Deno.test("renderReportHtml() is readable in light and dark and lays cards out in a grid", () => {
  const html = renderReportHtml(REPORT_FIXTURE);
  assert.match(html, /@media \(prefers-color-scheme: dark\)/);
  assert.match(html, /<meta name="color-scheme" content="light dark">/);
  assert.match(html, /\.gallery \{[^}]*display: grid;[^}]*auto-fill/);
});

Deno.test("renderReportHtml() says so when the manifest has no jobs", () => {
  const empty: ReportModel = {
    manifest: "empty.yaml",
    generated_at: "2025-06-01T12:00:00.000Z",
    totals: { jobs: 0, done: 0, failed: 0, invalid: 0, pending: 0, running: 0, uncertain: 0 },
    jobs: [],
  };
  const tree = parseHtml(renderReportHtml(empty));
  assert.deepEqual(findAll(tree, (e) => hasClass(e, "card")), []);
  assert.equal(textOf(findAll(tree, (e) => hasClass(e, "empty"))[0]), "The manifest has no jobs.");
});

Deno.test("escapeHtml() replaces the five significant characters", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("renderReportHtml() shows each job's prompt, escaped, when it is given", () => {
  const [first, second] = REPORT_FIXTURE.jobs;
  const prompts = new Map([[first.id, `A <b>"lantern"</b> & a lake`]]);
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE, { prompts }));
  const promptOf = (card: HtmlElement): string | undefined => {
    const found = findAll(card, (e) => hasClass(e, "prompt"));
    return found.length === 0 ? undefined : textOf(found[0]);
  };
  assert.equal(promptOf(cards[0]), `A <b>"lantern"</b> & a lake`);
  assert.equal(promptOf(cards[1]), undefined, `${second.id} has no prompt given`);
  assert.equal(findAll(cards[0], (e) => e.name === "b").length, 0, "markup stays text");
});
