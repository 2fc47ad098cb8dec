/**
 * report.html at the size a person reviews: 300 jobs, served from an output
 * folder on 127.0.0.1 and driven in headless Chromium over the DevTools
 * protocol (a WebSocket on 127.0.0.1; no npm package needed). The page is
 * clicked as a person would click it, and what the page then shows is read
 * back: filters, totals that filter, the copy button, lazy videos, thumbnails,
 * and no console error or CSP violation on the way.
 *
 * Ignored, with the reason, where Chromium is not installed. With
 * `REPORT_SCREENSHOT=<file>` the 1200x900 screenshot is kept (docs/report.png).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { renderReportHtml } from "../src/report/html.ts";
import type { ReportModel } from "../src/report/summary.ts";
import { CLIP_MP4 } from "../src/simulator/assets/clip_mp4.ts";
import { GALLERY_COUNTS, galleryFixture } from "./fixtures/report_model.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";

const CHROMIUM = await findProgram("chromium");
/** A safety net against a hung browser, not a timing assertion. */
const CHROMIUM_LIMIT_MS = 90_000;

/** A 1x1 PNG: the reference images' bytes. */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

interface Served {
  root: string;
  url: string;
  requests: string[];
  /** Resolves with the first request whose path starts with the prefix. */
  firstRequest(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A manifest folder with `images/` and the output folder `out/` (report.html
 * and each done job's video), served on 127.0.0.1; the page is /out/report.html.
 */
async function serveBatch(report: ReportModel): Promise<Served> {
  const root = await Deno.makeTempDir({ prefix: "report_gallery_" });
  const out = join(root, "out");
  await Deno.mkdir(join(out, "videos"), { recursive: true });
  await Deno.mkdir(join(root, "images"));
  const imageFiles = new Map<string, string[]>();
  for (const job of report.jobs) {
    if (job.output !== null) await Deno.writeFile(join(out, job.output), CLIP_MP4);
    for (const path of job.images) await Deno.writeFile(join(root, path), PNG);
    if (job.status !== "invalid") {
      imageFiles.set(job.id, job.images.map((path) => join(root, path)));
    }
  }
  await Deno.writeTextFile(
    join(out, "report.html"),
    renderReportHtml(report, { imageFiles, outDir: out }),
  );
  const requests: string[] = [];
  const waiting: Array<{ prefix: string; resolve: (path: string) => void }> = [];
  const types: Record<string, string> = {
    html: "text/html; charset=utf-8",
    mp4: "video/mp4",
    png: "image/png",
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      for (const waiter of waiting.filter((w) => path.startsWith(w.prefix))) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(path);
      }
      const segments = path.split("/").slice(1).map(decodeURIComponent);
      if (segments.some((segment) => segment === ".." || segment.includes("\\"))) {
        return new Response("bad path", { status: 400 });
      }
      try {
        const body = await Deno.readFile(join(root, ...segments));
        const type = types[path.split(".").at(-1) ?? ""] ?? "application/octet-stream";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    root,
    url: `http://127.0.0.1:${server.addr.port}/out/report.html`,
    requests,
    firstRequest(prefix: string): Promise<string> {
      const seen = requests.find((path) => path.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ prefix, resolve }));
    },
    async close(): Promise<void> {
      await server.shutdown();
      await Deno.remove(root, { recursive: true });
    },
  };
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A minimal Chrome DevTools Protocol client over one WebSocket. */
class Cdp {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #listeners: Array<(message: CdpMessage) => void> = [];
  #closed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onclose = () => {
      this.#closed = true;
      for (const waiter of this.#pending.values()) waiter.reject(new Error("Chromium went away"));
      this.#pending.clear();
      for (const listener of [...this.#listeners]) listener({ method: "#closed" });
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as CdpMessage;
      if (message.id !== undefined) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result ?? {});
      } else {
        for (const listener of [...this.#listeners]) listener(message);
      }
    };
  }

  static async connect(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
    });
    return new Cdp(socket);
  }

  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<T> {
    const id = this.#next++;
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("Chromium went away"));
    }
    this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    );
  }

  /** Call `listener` with every event. */
  on(listener: (message: CdpMessage) => void): void {
    this.#listeners.push(listener);
  }

  /** The next event named `method`; rejected if the browser goes away first. */
  next(method: string, sessionId?: string): Promise<CdpMessage> {
    if (this.#closed) return Promise.reject(new Error("Chromium went away"));
    return new Promise((resolve, reject) => {
      const listener = (message: CdpMessage): void => {
        const closed = message.method === "#closed";
        if (!closed && (message.method !== method || message.sessionId !== sessionId)) return;
        this.#listeners.splice(this.#listeners.indexOf(listener), 1);
        if (closed) reject(new Error("Chromium went away"));
        else resolve(message);
      };
      this.#listeners.push(listener);
    });
  }

  close(): void {
    this.#socket.close();
  }
}

/** Headless Chromium with its DevTools endpoint on 127.0.0.1, and a client to it. */
async function launchChromium(profile: string): Promise<{ cdp: Cdp; stop(): Promise<void> }> {
  const child = new Deno.Command(CHROMIUM.name, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--mute-audio",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Chromium names its endpoint on stderr; the rest of stderr is read and dropped.
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let endpoint: string | undefined;
  while (endpoint === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`chromium exited before it listened: ${text}`);
    text += value;
    endpoint = text.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
  }
  const drained = (async () => {
    while (!(await lines.read()).done) { /* drop */ }
  })();
  const cdp = await Cdp.connect(endpoint);
  return {
    cdp,
    async stop(): Promise<void> {
      await cdp.send("Browser.close").catch(() => {});
      cdp.close();
      await child.status;
      await drained;
    },
  };
}

/** A page (tab) of the browser, with what its console and log said. */
interface Page {
  evaluate<T>(expression: string): Promise<T>;
  errors: string[];
  session: string;
}

async function openPage(cdp: Cdp, url: string, scripts = true): Promise<Page> {
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
    url: "about:blank",
  });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  const errors: string[] = [];
  cdp.on((message) => {
    if (message.sessionId !== sessionId) return;
    const params = message.params ?? {};
    if (message.method === "Runtime.consoleAPICalled") {
      const type = params.type as string;
      if (type === "error" || type === "warning" || type === "assert") {
        errors.push(`console.${type}: ${JSON.stringify(params.args)}`);
      }
    } else if (message.method === "Runtime.exceptionThrown") {
      errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
    } else if (message.method === "Log.entryAdded") {
      const entry = params.entry as { level: string; text: string; url?: string };
      if (entry.level === "error" || entry.level === "warning") {
        errors.push(`log ${entry.level}: ${entry.text} ${entry.url ?? ""}`);
      }
    }
  });
  for (const domain of ["Runtime.enable", "Log.enable", "Page.enable"]) {
    await cdp.send(domain, {}, sessionId);
  }
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: 1200,
    height: 900,
    deviceScaleFactor: 1,
    mobile: false,
  }, sessionId);
  if (!scripts) await cdp.send("Emulation.setScriptExecutionDisabled", { value: true }, sessionId);
  const loaded = cdp.next("Page.loadEventFired", sessionId);
  await cdp.send("Page.navigate", { url }, sessionId);
  await loaded;
  return {
    errors,
    session: sessionId,
    async evaluate<T>(expression: string): Promise<T> {
      const answer = await cdp.send<{
        result: { value?: unknown };
        exceptionDetails?: unknown;
      }>("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
        userGesture: true,
      }, sessionId);
      if (answer.exceptionDetails) {
        throw new Error(`page threw: ${JSON.stringify(answer.exceptionDetails)}`);
      }
      return answer.result.value as T;
    },
  };
}

/** The shown cards as [id, status, model] (read from the page's data attributes). */
const SHOWN_CARDS = `[...document.querySelectorAll("article.card")]
  .filter((card) => !card.hidden && card.offsetParent !== null)
  .map((card) => [card.dataset.id, card.dataset.status, card.dataset.model])`;

/** Resolves once the page's pending IntersectionObserver callbacks have run. */
const SETTLED = `new Promise((resolve) => {
  const observer = new IntersectionObserver(() => { observer.disconnect(); resolve(true); });
  observer.observe(document.body);
})`;

testWith(
  CHROMIUM,
  "a 300-job report.html filters, copies ids and loads videos lazily in headless Chromium",
  async (t) => {
    const report = galleryFixture();
    assert.equal(report.jobs.length, 300);
    const served = await serveBatch(report);
    const profile = await Deno.makeTempDir({ prefix: "report_gallery_chromium_" });
    const browser = await launchChromium(profile);
    let limit: ReturnType<typeof setTimeout> | undefined;
    // Fails a wait for the browser that never ends (and stops the browser).
    const expired = new Promise<never>((_, reject) => {
      limit = setTimeout(() => {
        reject(new Error(`Chromium did not answer within ${CHROMIUM_LIMIT_MS} ms`));
        browser.stop();
      }, CHROMIUM_LIMIT_MS);
    });
    expired.catch(() => {});
    const byStatus = (status: string) => report.jobs.filter((job) => job.status === status);
    try {
      const page = await openPage(browser.cdp, served.url);
      await page.evaluate(SETTLED);

      await t.step("every card shows, failures first, and no video has loaded yet", async () => {
        const cards = await page.evaluate<string[][]>(SHOWN_CARDS);
        assert.equal(cards.length, 300);
        const order = ["failed", "uncertain", "invalid", "running", "pending", "done"];
        const statuses = cards.map((card) => card[1]);
        assert.deepEqual(
          statuses,
          [...statuses].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
        );
        assert.equal(statuses[0], "failed");
        assert.equal(
          await page.evaluate("document.getElementById('shown').textContent"),
          "Showing 300 of 300",
        );
        assert.deepEqual(served.requests.filter((path) => path.startsWith("/out/videos/")), []);
      });

      await t.step("clicking the failed total shows only the failed jobs", async () => {
        await page.evaluate(
          `document.querySelector('.total[data-status="failed"] button').click()`,
        );
        const cards = await page.evaluate<string[][]>(SHOWN_CARDS);
        assert.deepEqual(cards.map((card) => card[0]), byStatus("failed").map((job) => job.id));
        assert.equal(cards.length, GALLERY_COUNTS.failed);
        assert.equal(
          await page.evaluate(
            "document.getElementById('filter-status').selectedOptions[0].textContent",
          ),
          "failed (5)",
        );
        assert.equal(
          await page.evaluate("document.querySelector('.total.active').dataset.status"),
          "failed",
        );
      });

      await t.step(
        "the model filter narrows the status filter, and the jobs total clears it",
        async () => {
          const model = "doubao-seedance-2-0";
          await page.evaluate(`(() => {
          const select = document.getElementById("filter-model");
          for (const option of select.options) option.selected = option.dataset.value === ${
            JSON.stringify(model)
          };
          select.dispatchEvent(new Event("change", { bubbles: true }));
        })()`);
          let cards = await page.evaluate<string[][]>(SHOWN_CARDS);
          const expected = byStatus("failed").filter((job) => job.model === model);
          assert(expected.length > 0 && expected.length < GALLERY_COUNTS.failed);
          assert.deepEqual(cards.map((card) => card[0]), expected.map((job) => job.id));
          await page.evaluate(`document.querySelector('.total:not([data-status]) button').click()`);
          cards = await page.evaluate<string[][]>(SHOWN_CARDS);
          assert.equal(cards.length, report.jobs.filter((job) => job.model === model).length);
          assert(cards.every((card) => card[2] === model));
        },
      );

      await t.step("copy ids copies the shown ids, or the ticked ones, one a line", async () => {
        await page.evaluate(
          `document.querySelector('.total[data-status="pending"] button').click()`,
        );
        const model = await page.evaluate<string>(
          "document.getElementById('filter-model').selectedOptions[0].dataset.value",
        );
        const pending = byStatus("pending").filter((job) => job.model === model);
        assert(pending.length > 1 && pending.length < GALLERY_COUNTS.pending);
        assert.equal(
          await page.evaluate("document.getElementById('copy-ids').textContent"),
          `Copy ${pending.length} ids`,
        );
        await page.evaluate("document.getElementById('copy-ids').click()");
        await page.evaluate(SETTLED);
        const copied = await page.evaluate<string>("document.getElementById('copied-ids').value");
        assert.equal(copied, pending.map((job) => job.id).join("\n"));

        const allModels = `(() => {
          const select = document.getElementById("filter-model");
          select.selectedIndex = 0;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        })()`;
        await page.evaluate(allModels);
        await page.evaluate(
          `document.querySelector('.total[data-status="failed"] button').click()`,
        );
        await page.evaluate(`(() => {
          const boxes = [...document.querySelectorAll("article.card:not([hidden]) .pick input")];
          boxes[0].click();
          boxes[2].click();
        })()`);
        assert.equal(
          await page.evaluate("document.getElementById('copy-ids').textContent"),
          "Copy 2 ids",
        );
        await page.evaluate("document.getElementById('copy-ids').click()");
        const picked = byStatus("failed");
        assert.equal(
          await page.evaluate<string>("document.getElementById('copied-ids').value"),
          `${picked[0].id}\n${picked[2].id}`,
        );
      });

      await t.step("videos load only as their cards near the screen", async () => {
        await page.evaluate(`(() => {
          const select = document.getElementById("filter-model");
          select.selectedIndex = 0;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          for (const box of document.querySelectorAll(".pick input:checked")) box.click();
          document.querySelector('.total:not([data-status]) button').click();
          window.scrollTo(0, document.documentElement.scrollHeight);
        })()`);
        await Promise.race([served.firstRequest("/out/videos/"), expired]);
        await page.evaluate(SETTLED);
        const preload = await page.evaluate<string[]>(
          `[...document.querySelectorAll("video")].map((video) => video.preload)`,
        );
        assert.equal(preload.length, GALLERY_COUNTS.done);
        assert.equal(preload.at(-1), "metadata", "the last card, on screen, loads");
        assert.equal(preload[0], "none", "the first done card, far above, does not");
        assert(preload.filter((p) => p === "metadata").length < GALLERY_COUNTS.done / 4);
      });

      await t.step("every video and thumbnail points at an existing file", async () => {
        const urls = await page.evaluate<{ videos: string[]; images: string[] }>(`({
          videos: [...document.querySelectorAll("video")].map((video) => video.src),
          images: [...document.querySelectorAll(".thumbs img")].map((image) => image.src),
        })`);
        assert.deepEqual(
          urls.videos.map((url) => new URL(url).pathname).sort(),
          byStatus("done").map((job) => `/out/${job.output}`).sort(),
        );
        const withImages = report.jobs.filter((job) =>
          job.status !== "invalid" && job.images.length > 0
        );
        assert.equal(urls.images.length, withImages.length);
        for (const url of new Set([...urls.videos, ...urls.images])) {
          const answer = await fetch(url);
          await answer.body?.cancel();
          assert.equal(answer.status, 200, url);
        }
        assert(urls.images.every((url) => new URL(url).pathname.startsWith("/images/")));
      });

      await t.step("the #job-<id> anchor of a card reaches it", async () => {
        const id = byStatus("done")[100].id;
        await page.evaluate(`location.hash = "#job-${id}"`);
        await page.evaluate(SETTLED);
        const top = await page.evaluate<number>(
          `document.getElementById("job-${id}").getBoundingClientRect().top`,
        );
        assert(Math.abs(top) < 2, `card at ${top}`);
      });

      await t.step("a 1200x900 screenshot of the page's top", async () => {
        await page.evaluate(`(() => { location.hash = ""; window.scrollTo(0, 0); })()`);
        await page.evaluate(SETTLED);
        const shot = await browser.cdp.send<{ data: string }>("Page.captureScreenshot", {
          format: "png",
        }, page.session);
        const png = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
        const view = new DataView(png.buffer);
        assert.deepEqual([view.getUint32(16), view.getUint32(20)], [1200, 900]);
        const keep = Deno.env.get("REPORT_SCREENSHOT");
        if (keep !== undefined) await Deno.writeFile(keep, png);
      });

      await t.step("nothing was logged as an error or warning (console, CSP, network)", () => {
        assert.deepEqual(page.errors, []);
      });

      await t.step("without JavaScript every card shows and the controls are hidden", async () => {
        const plain = await openPage(browser.cdp, served.url, false);
        const state = await plain.evaluate<{ cards: number; nav: string; ticks: string }>(`({
          cards: [...document.querySelectorAll("article.card")].filter((c) => c.offsetParent !== null).length,
          nav: getComputedStyle(document.querySelector("nav.controls")).display,
          ticks: getComputedStyle(document.querySelector(".pick")).display,
        })`);
        assert.deepEqual(state, { cards: 300, nav: "none", ticks: "none" });
        assert.deepEqual(plain.errors, []);
      });
    } finally {
      clearTimeout(limit);
      await browser.stop();
      await Deno.remove(profile, { recursive: true });
      await served.close();
    }
  },
);
