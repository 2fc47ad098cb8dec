import assert from "node:assert/strict";
import {
  escapeHtml,
  GALLERY_SCRIPT,
  galleryOrder,
  jobAnchor,
  renderReportHtml,
} from "../src/report/html.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { galleryFixture, REPORT_FIXTURE } from "./fixtures/report_model.ts";
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

/** The fixture's jobs in the order the gallery shows them. */
const SHOWN = ["rejected", "lost", "too-long", "rendering", "later", "intro"]
  .map((id) => REPORT_FIXTURE.jobs.find((job) => job.id === id)!)
  .concat(REPORT_FIXTURE.jobs[1]);

Deno.test("renderReportHtml() shows failures first: failed, uncertain, invalid, running, pending, done", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  assert.deepEqual(cards.map((card) => card.attributes["data-status"]), [
    "failed",
    "uncertain",
    "invalid",
    "running",
    "pending",
    "done",
    "done",
  ]);
  assert.deepEqual(cards.map((card) => card.attributes["data-id"]), SHOWN.map((job) => job.id));
  assert.deepEqual(galleryOrder(REPORT_FIXTURE.jobs), SHOWN);
});

Deno.test("renderReportHtml() shows one card per job with its id, status and facts", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  cards.forEach((card, index) => {
    const job = SHOWN[index];
    assert.equal(textOf(findAll(card, (e) => e.name === "h2")[0]), job.id);
    const badges = findAll(card, (e) => hasClass(e, "badge")).map(textOf);
    assert.equal(badges.at(-1), job.status);
    assert.equal(card.attributes["data-model"], job.model ?? "");
    const facts = textOf(findAll(card, (e) => hasClass(e, "facts"))[0]);
    for (const value of [job.model, job.size, job.resolution, job.task_id]) {
      if (value !== null) assert(facts.includes(value), `card ${index} lacks ${value}`);
    }
  });
});

Deno.test("renderReportHtml() gives each card an anchor #job-<id> made of safe characters", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  const anchors = cards.map((card) => card.attributes.id);
  assert.equal(anchors[5], "job-intro");
  assert.equal(anchors[2], "job-too-long");
  assert.equal(anchors[6], "job-a.20b.231.20.3Cscript.3Ealert.281.29.3C.2Fscript.3E");
  for (const anchor of anchors) assert.match(anchor, /^job-[A-Za-z0-9_.-]+$/);
  assert.equal(new Set(anchors).size, anchors.length);
  cards.forEach((card, index) => {
    const link = findAll(card, (e) => e.name === "h2")[0].children[0];
    assert(typeof link !== "string" && link.name === "a");
    assert.equal(link.attributes.href, `#${anchors[index]}`);
  });
  assert.equal(jobAnchor("é"), "job-.C3.A9");
  assert.notEqual(jobAnchor("a.2E"), jobAnchor("a."));
});

Deno.test("renderReportHtml() numbers the anchors of jobs that share an id", () => {
  const twice: ReportModel = { ...REPORT_FIXTURE, jobs: [SHOWN[0], SHOWN[0], SHOWN[0]] };
  const anchors = cardsOf(renderReportHtml(twice)).map((card) => card.attributes.id);
  assert.deepEqual(anchors, ["job-rejected", "job-rejected-2", "job-rejected-3"]);
});

Deno.test("renderReportHtml() offers status and model filters with their counts", () => {
  const tree = parseHtml(renderReportHtml(REPORT_FIXTURE));
  const options = (id: string) =>
    findAll(findAll(tree, (e) => e.attributes.id === id)[0], (e) => e.name === "option")
      .map((option) => [option.attributes["data-value"] ?? null, textOf(option)]);
  assert.deepEqual(options("filter-status"), [
    [null, "all statuses (7)"],
    ["failed", "failed (1)"],
    ["uncertain", "uncertain (1)"],
    ["invalid", "invalid (1)"],
    ["running", "running (1)"],
    ["pending", "pending (1)"],
    ["done", "done (2)"],
    ["mismatched", "mismatched (1)"],
  ]);
  assert.deepEqual(options("filter-model"), [
    [null, "all models"],
    ["doubao-seedance-1-0-pro", "doubao-seedance-1-0-pro (1)"],
    ["doubao-seedance-2-0", "doubao-seedance-2-0 (5)"],
    ["doubao-seedance-2-0-fast", "doubao-seedance-2-0-fast (1)"],
  ]);
  const tiles = findAll(tree, (e) => hasClass(e, "total"));
  assert.deepEqual(tiles.map((tile) => tile.attributes["data-status"] ?? null), [
    null,
    "failed",
    "uncertain",
    "invalid",
    "running",
    "pending",
    "done",
    "mismatched",
  ]);
  assert(tiles.every((tile) => findAll(tile, (e) => e.name === "button").length === 1));
  const nav = findAll(tree, (e) => e.name === "nav")[0];
  assert(hasClass(nav, "js-only"), "the filters are hidden when no script runs");
});

Deno.test("renderReportHtml() gives done jobs a lazily loaded video linked relative to the report", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  const videos = cards.map((card) => findAll(card, (e) => e.name === "video"));
  assert.deepEqual(videos.map((found) => found.length), [0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(videos[5][0].attributes, {
    controls: "",
    preload: "none",
    src: "videos/intro.mp4",
  });
  assert.equal(videos[6][0].attributes.src, "videos/a%20b%231%20%C3%A9%3F.mp4");
});

Deno.test("renderReportHtml() shows the message of failed, invalid and uncertain jobs", () => {
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  const messages = cards.map((card) =>
    findAll(card, (e) => hasClass(e, "message") && !hasClass(e, "mismatch")).map(textOf).join("")
  );
  assert.equal(messages[0], `content_policy: ${SHOWN[0].error!.message}`);
  assert.equal(messages[2], `too_big: ${SHOWN[2].error!.message}`);
  assert.match(messages[1], /2025-06-01T11:00:05\.000Z.*--resubmit-uncertain/);
  assert.deepEqual([messages[3], messages[4], messages[5], messages[6]], ["", "", "", ""]);
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
      prompt: hostile,
      video_codec: job.video_codec === null ? null : hostile,
      video_mismatch: job.video_mismatch === null ? null : [hostile],
    })),
  };
  const html = renderReportHtml(report);
  assert.equal(html.match(/<script/gi)?.length, 1, "a <script> tag got through");
  const tree = parseHtml(html);
  const scripts = findAll(tree, (e) => e.name === "script");
  assert.deepEqual(scripts.map((script) => textOf(script)), [GALLERY_SCRIPT]);
  const cards = findAll(tree, (e) => hasClass(e, "card"));
  assert.equal(cards.length, report.jobs.length);
  const ids = new Set(report.jobs.map((job) => job.id));
  for (const card of cards) {
    const id = textOf(findAll(card, (e) => e.name === "h2")[0]);
    assert(ids.has(id), id);
    assert.equal(card.attributes["data-id"], id);
    assert.equal(card.attributes["data-model"], hostile);
    assert.equal(textOf(findAll(card, (e) => hasClass(e, "prompt"))[0]), hostile);
  }
  const subtitle = findAll(tree, (e) => hasClass(e, "subtitle"))[0];
  assert.equal(textOf(findAll(subtitle, (e) => e.name === "code")[0]), hostile);
  const messages = findAll(tree, (e) => hasClass(e, "message") && !hasClass(e, "mismatch"))
    .map(textOf);
  assert(messages.every((message) => message === `${hostile}: ${hostile}`));
  const mismatches = findAll(tree, (e) => hasClass(e, "message") && hasClass(e, "mismatch"))
    .map(textOf);
  assert.deepEqual(mismatches, Array(2).fill(`Does not match the request: ${hostile}`));
  const facts = findAll(tree, (e) => hasClass(e, "facts")).map(textOf).join("");
  assert(facts.includes(`1280x720 · ${hostile}`), "the codec is shown as text");
  const videos = findAll(tree, (e) => e.name === "video");
  assert.deepEqual(
    videos.map((video) => decodeURIComponent(video.attributes.src)),
    [`videos/${hostile}.mp4`, `videos/${hostile}.mp4`],
  );
});

Deno.test("renderReportHtml() loads nothing from elsewhere and allows only its own script", async () => {
  const html = renderReportHtml(REPORT_FIXTURE);
  const tree = parseHtml(html);
  assert.deepEqual(
    findAll(tree, (e) => ["link", "iframe", "object", "embed"].includes(e.name)),
    [{ name: "link", attributes: { rel: "icon", href: "data:," }, children: [] }],
  );
  for (const element of findAll(tree, (e) => "src" in e.attributes || "href" in e.attributes)) {
    const url = element.attributes.src ?? element.attributes.href;
    assert.match(
      url,
      /^(videos\/[^/:]+|#job-[A-Za-z0-9_.-]+|data:,)$/,
      `${element.name} points outside: ${url}`,
    );
  }
  const code = findAll(tree, (e) => e.name === "style" || e.name === "script").map(textOf);
  assert.equal(code.length, 2);
  for (const text of code) {
    assert(!/@import|url\(|https?:|\/\//i.test(text), "a style or the script reaches out");
  }
  assert(!/\bfetch\(|XMLHttpRequest|innerHTML|eval\(/.test(GALLERY_SCRIPT));
  const csp = findAll(tree, (e) => e.attributes["http-equiv"] === "Content-Security-Policy");
  const policy = csp[0].attributes.content;
  assert.match(policy, /default-src 'none'/);
  const script = findAll(tree, (e) => e.name === "script")[0];
  assert.equal(script.attributes.src, undefined);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(textOf(script)));
  const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
  assert(policy.includes(`script-src 'sha256-${hash}';`), policy);
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

Deno.test("renderReportHtml() shows each job's prompt, escaped, from the model or the extras", () => {
  const promptOf = (card: HtmlElement): string | undefined => {
    const found = findAll(card, (e) => hasClass(e, "prompt"));
    return found.length === 0 ? undefined : textOf(found[0]);
  };
  const cards = cardsOf(renderReportHtml(REPORT_FIXTURE));
  assert.equal(promptOf(cards[5]), SHOWN[5].prompt);
  assert.equal(findAll(cards[5], (e) => e.name === "b").length, 0, "markup stays text");
  assert.equal(promptOf(cards[2]), undefined, "an invalid job has no prompt");
  const prompts = new Map([["too-long", `A <b>"lantern"</b> & a lake`]]);
  const withExtras = cardsOf(renderReportHtml(REPORT_FIXTURE, { prompts }));
  assert.equal(promptOf(withExtras[2]), `A <b>"lantern"</b> & a lake`);
  assert.equal(promptOf(withExtras[5]), SHOWN[5].prompt, "the model's own prompt wins");
});

Deno.test("renderReportHtml() shows reference images as lazy thumbnails linked from the output folder", () => {
  const imageFiles = new Map([["intro", ["/work/m/images/hero.png", "/work/m/out/a b.png"]]]);
  const report = renderReportHtml(REPORT_FIXTURE, { imageFiles, outDir: "/work/m/out" });
  const card = cardsOf(report)[5];
  const images = findAll(card, (e) => e.name === "img");
  assert.deepEqual(images.map((image) => image.attributes), [
    {
      src: "../images/hero.png",
      alt: "Reference image images/hero.png",
      title: "images/hero.png",
      loading: "lazy",
      width: "48",
      height: "48",
    },
    {
      src: "a%20b.png",
      alt: "Reference image images/logo, v2.webp",
      title: "images/logo, v2.webp",
      loading: "lazy",
      width: "48",
      height: "48",
    },
  ]);
  const without = cardsOf(renderReportHtml(REPORT_FIXTURE, { imageFiles }))[5];
  assert.deepEqual(findAll(without, (e) => e.name === "img"), [], "no folder, no guessed links");
});

Deno.test("renderReportHtml() flags a video that does not match its request and filters on it", () => {
  const tree = parseHtml(renderReportHtml(REPORT_FIXTURE));
  const cards = findAll(tree, (e) => hasClass(e, "card"));
  const flagged = cards.filter((card) => "data-mismatched" in card.attributes);
  assert.deepEqual(flagged.map((card) => card.attributes["data-id"]), [SHOWN[6].id]);
  const [card] = flagged;
  assert.deepEqual(findAll(card, (e) => hasClass(e, "badge")).map(textOf), ["mismatch", "done"]);
  assert.equal(
    textOf(findAll(card, (e) => hasClass(e, "mismatch") && hasClass(e, "message"))[0]),
    "Does not match the request: the video lasts 5 s, 10 s were asked for; " +
      "the picture is 1920x1080, not 9:16 as asked for",
  );
  // The matching video shows its facts and no flag.
  const intro = cards.find((c) => c.attributes["data-id"] === "intro")!;
  assert.equal(findAll(intro, (e) => hasClass(e, "mismatch")).length, 0);
  assert(
    textOf(findAll(intro, (e) => hasClass(e, "facts"))[0]).includes("5.042 s · 1280x720 · avc1"),
  );
  // The script's status filter knows the "mismatched" choice.
  assert.match(GALLERY_SCRIPT, /s === "mismatched" && card\.hasAttribute\("data-mismatched"\)/);
});

Deno.test("renderReportHtml() shows no mismatched tile or filter when every video matches", () => {
  const report: ReportModel = {
    ...REPORT_FIXTURE,
    totals: { ...REPORT_FIXTURE.totals, mismatched: 0 },
    jobs: REPORT_FIXTURE.jobs.map((job) => ({
      ...job,
      video_mismatch: job.video_mismatch === null ? null : [],
    })),
  };
  const html = renderReportHtml(report);
  assert.doesNotMatch(html, /data-status="mismatched"|data-value="mismatched"| data-mismatched>/);
});

Deno.test("renderReportHtml() shows every failed, uncertain and invalid card, at most the limit of the others, and says how many more", () => {
  const report = galleryFixture(
    { failed: 5, uncertain: 2, invalid: 1, running: 4, pending: 8, done: 280 },
  );
  const page = parseHtml(renderReportHtml(report, { galleryLimit: 10 }));
  const cards = findAll(page, (node) => node.name === "article" && hasClass(node, "card"));
  const shown = cards.map((card) => card.attributes["data-id"]);
  const ofStatus = (...statuses: string[]) =>
    galleryOrder(report.jobs).filter((job) => statuses.includes(job.status)).map((job) => job.id);
  // 8 that need a decision, then 10 more: the 4 running, 6 of the 8 pending.
  assert.deepEqual(shown, [
    ...ofStatus("failed", "uncertain", "invalid"),
    ...ofStatus("running"),
    ...ofStatus("pending").slice(0, 6),
  ]);
  const [more] = findAll(page, (node) => node.attributes.id === "not-shown");
  assert.equal(
    textOf(more),
    "282 more jobs are not shown here (2 pending, 280 done): every job is in report.csv and " +
      "report.json. Every failed, uncertain and invalid job is shown above.",
  );
  // Under the limit: every card, no such line.
  const all = parseHtml(renderReportHtml(report, { galleryLimit: 292 }));
  assert.equal(findAll(all, (node) => node.name === "article").length, 300);
  assert.deepEqual(findAll(all, (node) => node.attributes.id === "not-shown"), []);
});

Deno.test("renderReportHtml() shows every failed card even beyond the limit", () => {
  const report = galleryFixture(
    { failed: 30, uncertain: 0, invalid: 0, running: 0, pending: 0, done: 20 },
  );
  const page = parseHtml(renderReportHtml(report, { galleryLimit: 5 }));
  const statuses = findAll(page, (node) => node.name === "article").map((card) =>
    card.attributes["data-status"]
  );
  assert.deepEqual(statuses, [...Array(30).fill("failed"), ...Array(5).fill("done")]);
  assert.match(textOf(findAll(page, (node) => node.attributes.id === "not-shown")[0]), /^15 more/);
});
