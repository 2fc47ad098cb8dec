/**
 * report.html as a person gets it: the page and its videos in an output
 * folder, served over HTTP. Every run checks the page's structure and that
 * each video link reaches its file; when Chromium is installed, a headless
 * Chromium also loads the page, and its DOM and a screenshot are checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { GALLERY_SCRIPT, galleryOrder, renderReportHtml } from "../src/report/html.ts";
import { CLIP_MP4 } from "../src/simulator/assets/clip_mp4.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";
import { findAll, hasClass, type HtmlElement, parseHtml, textOf } from "./helpers/html_tree.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";

const CHROMIUM = await findProgram("chromium");
/** A safety net against a hung browser, not a timing assertion. */
const CHROMIUM_LIMIT_MS = 90_000;

interface OutputFolder {
  dir: string;
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Write report.html and the done jobs' videos into a temp folder and serve it on 127.0.0.1. */
async function serveOutputFolder(): Promise<OutputFolder> {
  const dir = await Deno.makeTempDir({ prefix: "report_html_" });
  await Deno.writeTextFile(join(dir, "report.html"), renderReportHtml(REPORT_FIXTURE));
  const clip = CLIP_MP4;
  await Deno.mkdir(join(dir, "videos"));
  for (const job of REPORT_FIXTURE.jobs) {
    if (job.output !== null) await Deno.writeFile(join(dir, job.output), clip);
  }
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      const segments = path.split("/").slice(1).map(decodeURIComponent);
      if (segments.some((segment) => segment === ".." || segment.includes("\\"))) {
        return new Response("bad path", { status: 400 });
      }
      try {
        const body = await Deno.readFile(join(dir, ...segments));
        const type = path.endsWith(".html") ? "text/html; charset=utf-8" : "video/mp4";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    dir,
    url: `http://127.0.0.1:${server.addr.port}/report.html`,
    requests,
    async close(): Promise<void> {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Run headless Chromium with one extra mode (`--dump-dom`, `--screenshot=...`) on a URL. */
async function chromium(profile: string, mode: string[], url: string): Promise<string> {
  const abort = new AbortController();
  const limit = setTimeout(() => abort.abort(), CHROMIUM_LIMIT_MS);
  try {
    const result = await new Deno.Command(CHROMIUM.name, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--mute-audio",
        `--user-data-dir=${profile}`,
        ...mode,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    assert(result.success, `chromium failed: ${new TextDecoder().decode(result.stderr)}`);
    return new TextDecoder().decode(result.stdout);
  } finally {
    clearTimeout(limit);
  }
}

/**
 * Check a page's cards against the fixture: ids, statuses, videos, and only
 * its own script. A video starts with `preload="none"`; in the browser the
 * script raises it to `metadata` once its card nears the screen.
 */
function assertGallery(page: HtmlElement, preload: readonly string[] = ["none"]): void {
  const scripts = findAll(page, (e) => e.name === "script");
  assert.deepEqual(scripts.map((script) => [script.attributes.src, textOf(script)]), [
    [undefined, GALLERY_SCRIPT],
  ]);
  const cards = findAll(page, (e) => e.name === "article" && hasClass(e, "card"));
  assert.deepEqual(
    cards.map((
      card,
    ) => [textOf(findAll(card, (e) => e.name === "h2")[0]), card.attributes["data-status"]]),
    galleryOrder(REPORT_FIXTURE.jobs).map((job) => [job.id, job.status]),
  );
  const videos = findAll(page, (e) => e.name === "video");
  assert.deepEqual(
    videos.map((
      video,
    ) => [video.attributes.src, "controls" in video.attributes]),
    [
      ["videos/intro.mp4", true],
      ["videos/a%20b%231%20%C3%A9%3F.mp4", true],
    ],
  );
  for (const video of videos) assert(preload.includes(video.attributes.preload));
  const totals = findAll(page, (e) => hasClass(e, "total")).map((tile) =>
    findAll(tile, (e) => e.name === "dt" || e.name === "dd").map(textOf)
  );
  assert.deepEqual(totals, [
    ["jobs", "7"],
    ["failed", "1"],
    ["uncertain", "1"],
    ["invalid", "1"],
    ["running", "1"],
    ["pending", "1"],
    ["done", "2"],
    ["mismatched", "1"],
  ]);
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...bytes.slice(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

Deno.test("report.html served from an output folder shows every job and reaches its videos", async (t) => {
  const folder = await serveOutputFolder();
  try {
    const response = await fetch(folder.url);
    const html = await response.text();
    await t.step("the served page parses into the totals and one card per job", () => {
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      assertGallery(parseHtml(html));
    });

    await t.step("each video's relative src resolves to its file in videos/", async () => {
      const clip = await Deno.readFile(join(folder.dir, "videos", "intro.mp4"));
      for (const video of findAll(parseHtml(html), (e) => e.name === "video")) {
        const answer = await fetch(new URL(video.attributes.src, folder.url));
        assert.equal(answer.status, 200, video.attributes.src);
        assert.deepEqual(new Uint8Array(await answer.arrayBuffer()), clip);
      }
    });
  } finally {
    await folder.close();
  }
});

testWith(CHROMIUM, "headless Chromium loads report.html from an output folder", async (t) => {
  const folder = await serveOutputFolder();
  const profile = await Deno.makeTempDir({ prefix: "report_chromium_" });
  try {
    await t.step(
      "headless Chromium builds the same gallery, with only its own script",
      async () => {
        const dom = await chromium(profile, ["--dump-dom"], folder.url);
        assertGallery(parseHtml(dom), ["none", "metadata"]);
        assert(folder.requests.includes("/report.html"));
      },
    );

    await t.step("headless Chromium renders a 1200x900 screenshot of it", async () => {
      const shot = join(profile, "shot.png");
      await chromium(profile, [`--screenshot=${shot}`, "--window-size=1200,900"], folder.url);
      const png = await Deno.readFile(shot);
      assert.deepEqual(pngSize(png), { width: 1200, height: 900 });
      const keep = Deno.env.get("REPORT_SCREENSHOT");
      if (keep !== undefined) await Deno.writeFile(keep, png);
    });
  } finally {
    await Deno.remove(profile, { recursive: true });
    await folder.close();
  }
});
