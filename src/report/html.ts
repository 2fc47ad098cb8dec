/**
 * report.html: a gallery of the batch, one card per job with its video, as a
 * single self-contained page (inline CSS and one small inline script, nothing
 * fetched from elsewhere) that works opened from disk or served. Pure.
 *
 * Cards come failures first, in the order of {@linkcode GALLERY_ORDER}
 * (failed, uncertain, invalid, running, pending, done: what needs a person's
 * decision before what needs only time), in manifest order within a status.
 * Every failed, uncertain and invalid job has its card; of the others, the
 * first {@linkcode GALLERY_LIMIT} do, and a line under the gallery says how
 * many more there are (report.csv and report.json list them all).
 * Each card's anchor is `#job-<id>` (see {@linkcode jobAnchor}).
 *
 * The script filters the cards by status and model (the totals filter when
 * clicked), loads each video's metadata only once its card nears the screen,
 * and copies the ids of the shown (or ticked) cards for a rerun. Without
 * JavaScript the page is the whole gallery, every control hidden. The script
 * reads user text only from data attributes; none is ever written into it.
 *
 * Every piece of text from the manifest or the service is HTML-escaped, and a
 * Content-Security-Policy that allows only that script (by its hash) and no
 * outside resources backs that up.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";
import {
  isMismatched,
  type ReportJob,
  type ReportModel,
  type ReportStatus,
  type ReportTotals,
} from "./summary.ts";
import { jobMessage, manifestName, videoHref } from "./format.ts";
import { formatBytes } from "../text.ts";
import { estimateHtml } from "./estimate.ts";

/** The order of the gallery's cards by status: what needs a decision first. */
export const GALLERY_ORDER: readonly ReportStatus[] = [
  "failed",
  "uncertain",
  "invalid",
  "running",
  "pending",
  "done",
];

/** What a card without a video shows in its place. */
const PLACEHOLDERS: Record<ReportStatus, string> = {
  done: "No video file",
  failed: "Failed",
  invalid: "Invalid job",
  pending: "Not submitted yet",
  running: "Rendering",
  uncertain: "Outcome unknown",
};

/**
 * The page's only script. It reads the cards' data attributes and never
 * receives user text any other way; it changes only `hidden`, classes, text
 * content and the videos' `preload`.
 */
export const GALLERY_SCRIPT = `
(() => {
  const d = document;
  d.documentElement.classList.add("js");
  const cards = [...d.querySelectorAll("article.card")];
  const byId = (id) => d.getElementById(id);
  const status = byId("filter-status"), model = byId("filter-model");
  const shown = byId("shown"), copy = byId("copy-ids"), box = byId("copied-ids");
  const value = (select) => {
    const option = select.selectedOptions[0];
    return option && option.hasAttribute("data-value") ? option.dataset.value : null;
  };
  const visible = () => cards.filter((card) => !card.hidden);
  const chosen = () => {
    const seen = visible();
    const ticked = seen.filter((card) => card.querySelector(".pick input").checked);
    return ticked.length > 0 ? ticked : seen;
  };
  const update = () => {
    const s = value(status), m = value(model);
    for (const card of cards) {
      const mismatched = s === "mismatched" && card.hasAttribute("data-mismatched");
      card.hidden = (s !== null && card.dataset.status !== s && !mismatched) ||
        (m !== null && card.dataset.model !== m);
    }
    for (const tile of d.querySelectorAll(".total")) {
      tile.classList.toggle("active", (tile.dataset.status ?? null) === s);
    }
    const n = chosen().length;
    shown.textContent = "Showing " + visible().length + " of " + cards.length;
    copy.textContent = "Copy " + n + (n === 1 ? " id" : " ids");
  };
  const choose = (select, wanted) => {
    for (const option of select.options) {
      option.selected = (option.hasAttribute("data-value") ? option.dataset.value : null) === wanted;
    }
    update();
  };
  status.addEventListener("change", update);
  model.addEventListener("change", update);
  d.addEventListener("change", (event) => {
    if (event.target.closest(".pick")) update();
  });
  for (const button of d.querySelectorAll(".total button")) {
    button.addEventListener("click", () => {
      const tile = button.closest(".total");
      choose(status, tile.dataset.status ?? null);
    });
  }
  copy.addEventListener("click", async () => {
    const ids = chosen().map((card) => card.dataset.id).join("\\n");
    box.value = ids;
    try {
      await navigator.clipboard.writeText(ids);
      box.hidden = true;
      copy.textContent = "Copied";
    } catch {
      box.hidden = false;
      box.select();
    }
  });
  if ("IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        entry.target.preload = "metadata";
        entry.target.load();
      }
    }, { rootMargin: "400px" });
    for (const video of d.querySelectorAll("video")) observer.observe(video);
  }
  update();
})();
`;

const SCRIPT_HASH = createHash("sha256").update(GALLERY_SCRIPT).digest("base64");

// Relative files only: 'self' covers a served folder, file: a page opened from disk.
const CSP = `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; ` +
  "style-src 'unsafe-inline'; media-src 'self' file:; img-src 'self' data: file:; " +
  "base-uri 'none'; form-action 'none'";

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #1b1f24; --muted: #5b6470; --line: #d9dde3;
  --media: #0d1117; --on-status: #ffffff; --done: #1a7f37; --failed: #cf222e; --invalid: #bc4c00;
  --pending: #6e7781; --running: #0969da; --uncertain: #8250df; --mismatched: #9a6700;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9da7b3; --line: #30363d;
    --media: #010409; --on-status: #0d1117; --done: #3fb950; --failed: #f85149; --invalid: #db6d28;
    --pending: #8b949e; --running: #58a6ff; --uncertain: #a371f7; --mismatched: #d29922;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 1.5rem; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
h1 { margin: 0 0 .25rem; font-size: 1.5rem; overflow-wrap: anywhere; }
.subtitle { margin: 0 0 1.25rem; color: var(--muted); overflow-wrap: anywhere; }
.totals {
  display: grid; gap: .5rem; margin: 0 0 1.5rem; padding: 0;
  grid-template-columns: repeat(auto-fit, minmax(7rem, 1fr));
}
.total {
  margin: 0; padding: .6rem .8rem; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; border-top: 4px solid var(--status, var(--text));
}
.total dt { color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
.total dd { margin: 0; font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.total button {
  all: unset; cursor: pointer; color: inherit;
}
.total button::after { content: ""; position: absolute; inset: 0; }
.total { position: relative; }
.total:focus-within { outline: 2px solid var(--running); }
.total.active { background: color-mix(in srgb, var(--status, var(--text)) 14%, var(--card)); }
.controls {
  display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: 0 0 1rem;
}
.controls select, .controls button { font: inherit; padding: .2rem .5rem; }
.controls textarea { flex-basis: 100%; min-height: 5rem; font: .85rem ui-monospace, monospace; }
.shown { color: var(--muted); }
html:not(.js) .js-only { display: none; }
.gallery {
  display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 13rem), 1fr));
}
.card[hidden] { display: none; }
.card {
  display: flex; flex-direction: column; overflow: hidden; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; border-top: 4px solid var(--status);
}
.media {
  display: grid; place-items: center; aspect-ratio: 16 / 9; background: var(--media);
  color: #c9d1d9; font-weight: 600;
}
.media video { width: 100%; height: 100%; object-fit: contain; }
.media.placeholder {
  aspect-ratio: auto; min-height: 2.5rem; color: var(--status);
  background: color-mix(in srgb, var(--status) 10%, var(--card));
}
.card-body { padding: .5rem .7rem .7rem; font-size: .9rem; }
.card-head { display: flex; gap: .5rem; align-items: flex-start; justify-content: space-between; }
.card h2 { margin: 0; font-size: 1rem; overflow-wrap: anywhere; flex: 1; }
.card h2 a { color: inherit; text-decoration: none; }
.card h2 a:hover { text-decoration: underline; }
.pick input { margin: .2rem 0 0; }
.meta { margin: .25rem 0 0; color: var(--muted); }
.prompt {
  margin: .3rem 0 0; font-style: italic; overflow-wrap: anywhere; display: -webkit-box;
  -webkit-box-orient: vertical; -webkit-line-clamp: 3; line-clamp: 3; overflow: hidden;
}
.prompt:hover, .prompt:focus { -webkit-line-clamp: unset; line-clamp: unset; }
.thumbs { display: flex; flex-wrap: wrap; gap: .3rem; margin: .4rem 0 0; }
.thumbs img {
  display: block; width: 3rem; height: 3rem; object-fit: cover; border-radius: 4px;
  border: 1px solid var(--line); background: var(--media);
}
details { margin: .4rem 0 0; }
summary { cursor: pointer; color: var(--muted); }
.badge {
  flex: none; padding: .1rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  color: var(--on-status); background: var(--status);
}
.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .4rem 0 0;
  font-size: .85rem;
}
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--running); }
.message {
  margin: .5rem 0 0; padding: .5rem .65rem; border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; border-left: 4px solid var(--status);
  background: color-mix(in srgb, var(--status) 12%, transparent);
}
.empty { color: var(--muted); }
.more { margin: 1rem 0 0; color: var(--muted); }
.status-done { --status: var(--done); }
.status-failed { --status: var(--failed); }
.status-invalid { --status: var(--invalid); }
.status-pending { --status: var(--pending); }
.status-running { --status: var(--running); }
.status-uncertain { --status: var(--uncertain); }
.status-mismatched, .mismatch { --status: var(--mismatched); }
.badge.mismatch { background: var(--mismatched); }
`;

/** What the page shows beyond the report model (which is report.json's schema). */
export interface ReportExtras {
  /**
   * Each job's prompt by job id, for a model built without one (the model's
   * own `prompt` field wins).
   */
  prompts?: ReadonlyMap<string, string>;
  /**
   * Each job's reference images on disk by job id (absolute paths, in the
   * order of the row's `images`), shown as thumbnails when `outDir` is known.
   */
  imageFiles?: ReadonlyMap<string, readonly string[]>;
  /** The output folder the page is written to: image links are relative to it. */
  outDir?: string;
  /**
   * The most cards shown beyond those of the jobs that need a decision
   * (failed, uncertain, invalid: always all shown). @default {@linkcode GALLERY_LIMIT}
   */
  galleryLimit?: number;
}

/**
 * The most cards report.html shows beyond those of the failed, uncertain and
 * invalid jobs: a browser cannot open a page of a million cards (over a
 * gigabyte). The page says how many more there are; report.csv and
 * report.json always list every job.
 */
export const GALLERY_LIMIT = 5000;

/** The statuses whose cards are always all shown: a person must decide about them. */
const DECIDE: ReadonlySet<ReportStatus> = new Set(["failed", "uncertain", "invalid"]);

/**
 * Render report.html in pieces: the page's head, the totals, the filters and
 * the gallery's opening as one chunk, one chunk per job card, then the page's
 * end with its script.
 *
 * @param report The report model.
 * @param extras Prompts for rows without one, and the images on disk.
 * @returns The page, chunk by chunk.
 */
export function* renderReportHtmlChunks(
  report: ReportModel,
  extras: ReportExtras = {},
): Generator<string> {
  const title = `Seedance batch report: ${manifestName(report.manifest)}`;
  const head = [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark">`,
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    // No favicon request: the page fetches nothing but its videos and images.
    `<link rel="icon" href="data:,">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="subtitle">Manifest <code>${escapeHtml(report.manifest)}</code>, generated ` +
    `<time datetime="${escapeHtml(report.generated_at)}">${
      escapeHtml(report.generated_at)
    }</time></p>`,
    totalsList(report.totals),
    ...(report.estimate ? [estimateHtml(report.estimate, escapeHtml)] : []),
    "</header>",
  ].join("\n");
  const end = "\n</body>\n</html>\n";
  if (report.jobs.length === 0) {
    yield `${head}\n<p class="empty">The manifest has no jobs.</p>${end}`;
    return;
  }
  yield `${head}\n${controls(report)}\n<main class="gallery">`;
  const limit = extras.galleryLimit ?? GALLERY_LIMIT;
  const anchors = new Set<string>();
  let others = 0;
  const notShown = new Map<ReportStatus, number>();
  // One pass per status in the gallery's order: no sorted copy of the rows.
  for (const status of GALLERY_ORDER) {
    for (const job of report.jobs) {
      if (job.status !== status) continue;
      if (!DECIDE.has(status) && others++ >= limit) {
        notShown.set(status, (notShown.get(status) ?? 0) + 1);
        continue;
      }
      let anchor = jobAnchor(job.id);
      for (let n = 2; anchors.has(anchor); n++) anchor = `${jobAnchor(job.id)}-${n}`;
      anchors.add(anchor);
      const prompt = job.prompt ?? extras.prompts?.get(job.id) ?? null;
      yield `\n${jobCard(job, anchor, prompt, imageHrefs(job, extras))}`;
    }
  }
  yield `\n</main>${notShownLine(notShown)}\n<script>${GALLERY_SCRIPT}</script>${end}`;
}

/** The line under a gallery cut short by its limit: how many more, by status, and where they are. */
function notShownLine(notShown: ReadonlyMap<ReportStatus, number>): string {
  if (notShown.size === 0) return "";
  let total = 0;
  for (const count of notShown.values()) total += count;
  const parts = [...notShown].map(([status, count]) =>
    `${count.toLocaleString("en-US")} ${status}`
  );
  return `\n<p class="more" id="not-shown">${total.toLocaleString("en-US")} more ` +
    `${total === 1 ? "job is" : "jobs are"} not shown here (${parts.join(", ")}): every job is ` +
    `in report.csv and report.json. Every failed, uncertain and invalid job is shown above.</p>`;
}

/**
 * Render report.html.
 *
 * @param report The report model.
 * @param extras Prompts for rows without one, and the images on disk.
 * @returns The page: totals and filters at the top, then a card per job, failures first.
 */
export function renderReportHtml(report: ReportModel, extras: ReportExtras = {}): string {
  return Array.from(renderReportHtmlChunks(report, extras)).join("");
}

/**
 * The jobs in the gallery's order: by {@linkcode GALLERY_ORDER}, then as the
 * report lists them (manifest order).
 *
 * @param jobs The report's rows.
 * @returns A new array, sorted.
 */
export function galleryOrder(jobs: readonly ReportJob[]): ReportJob[] {
  const rank = (job: ReportJob): number => GALLERY_ORDER.indexOf(job.status);
  return jobs.map((job, index) => ({ job, index }))
    .sort((a, b) => rank(a.job) - rank(b.job) || a.index - b.index)
    .map(({ job }) => job);
}

/**
 * A job's card's element id, for links like `report.html#job-intro`: `job-`
 * then the id, where every character but ASCII letters, digits, `_` and `-` is
 * written as `.` and its UTF-8 bytes in hex (so different ids never share an
 * anchor, and the anchor needs no escaping in a URL, an attribute or CSS).
 *
 * @param id The job's id.
 * @returns The anchor, without `#`.
 */
export function jobAnchor(id: string): string {
  let safe = "";
  for (const char of id) {
    if (/^[A-Za-z0-9_-]$/.test(char)) {
      safe += char;
    } else {
      for (const byte of new TextEncoder().encode(char)) {
        safe += `.${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    }
  }
  return `job-${safe}`;
}

/**
 * Escape text for HTML element content and double- or single-quoted attribute values.
 *
 * @param text Any text.
 * @returns The text with `&`, `<`, `>`, `"` and `'` as character references.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function totalsList(totals: ReportTotals): string {
  const tile = (status: ReportStatus | null, count: number): string => {
    const name = status ?? "jobs";
    const attributes = status === null
      ? `class="total"`
      : `class="total status-${status}" data-status="${status}"`;
    return `<div ${attributes}><dt><button type="button">${name}</button></dt>` +
      `<dd>${count}</dd></div>`;
  };
  const tiles = [tile(null, totals.jobs), ...GALLERY_ORDER.map((s) => tile(s, totals[s]))];
  // Done videos that are not what was asked for: a warning, shown only when there are some.
  const mismatched = totals.mismatched ?? 0;
  if (mismatched > 0) {
    tiles.push(
      `<div class="total status-mismatched" data-status="mismatched"><dt><button ` +
        `type="button">mismatched</button></dt><dd>${mismatched}</dd></div>`,
    );
  }
  return `<dl class="totals" aria-label="Totals">\n${tiles.join("\n")}\n</dl>`;
}

/** The filters and the copy button, shown only when the script runs. */
function controls(report: ReportModel): string {
  const option = (value: string | null, label: string): string =>
    `<option${value === null ? "" : ` data-value="${escapeHtml(value)}"`}>${
      escapeHtml(label)
    }</option>`;
  const statuses = [
    option(null, `all statuses (${report.totals.jobs})`),
    ...GALLERY_ORDER.map((status) => option(status, `${status} (${report.totals[status]})`)),
  ];
  const mismatched = report.totals.mismatched ?? 0;
  if (mismatched > 0) statuses.push(option("mismatched", `mismatched (${mismatched})`));
  const counts = new Map<string, number>();
  for (const job of report.jobs) {
    counts.set(job.model ?? "", (counts.get(job.model ?? "") ?? 0) + 1);
  }
  const models = [
    option(null, "all models"),
    ...[...counts].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([model, count]) =>
      option(model, `${model === "" ? "(no model)" : model} (${count})`)
    ),
  ];
  return [
    `<nav class="controls js-only" aria-label="Filters">`,
    `<label>Status <select id="filter-status">${statuses.join("")}</select></label>`,
    `<label>Model <select id="filter-model">${models.join("")}</select></label>`,
    `<span class="shown" id="shown" aria-live="polite"></span>`,
    `<button type="button" id="copy-ids" title="Copies the ids of the ticked cards, or of every card shown, one a line">Copy ids</button>`,
    `<textarea id="copied-ids" readonly hidden aria-label="Job ids to copy"></textarea>`,
    `</nav>`,
  ].join("\n");
}

/** Links to the job's reference images from the output folder, null where unknown. */
function imageHrefs(job: ReportJob, extras: ReportExtras): Array<string | null> {
  const files = extras.imageFiles?.get(job.id);
  return job.images.map((_, index) => {
    const file = files?.[index];
    if (file === undefined || extras.outDir === undefined) return null;
    const path = relative(extras.outDir, file);
    // Another drive (Windows) has no relative path.
    if (/^([A-Za-z]:)?[\\/]/.test(path)) return null;
    return videoHref(path);
  });
}

function jobCard(
  job: ReportJob,
  anchor: string,
  prompt: string | null,
  images: ReadonlyArray<string | null>,
): string {
  const message = jobMessage(job);
  const id = escapeHtml(job.id);
  const meta = [
    job.model,
    job.seconds === null ? null : `${job.seconds} s`,
    job.size,
    job.resolution,
  ].filter((part) => part !== null).map((part) => escapeHtml(String(part)));
  const lines = [
    `<article class="card status-${job.status}" id="${anchor}" data-status="${job.status}" ` +
    `data-model="${escapeHtml(job.model ?? "")}" data-id="${id}"` +
    `${isMismatched(job) ? " data-mismatched" : ""}>`,
    media(job),
    `<div class="card-body">`,
    `<div class="card-head"><label class="pick js-only"><input type="checkbox" ` +
    `aria-label="Select ${id}"></label><h2><a href="#${anchor}">${id}</a></h2>` +
    `${isMismatched(job) ? `<span class="badge mismatch">mismatch</span>` : ""}` +
    `<span class="badge">${job.status}</span></div>`,
    ...(meta.length === 0 ? [] : [`<p class="meta">${meta.join(" · ")}</p>`]),
    ...(prompt === null ? [] : [`<p class="prompt" tabindex="0">${escapeHtml(prompt)}</p>`]),
    ...thumbnails(job, images),
  ];
  if (message !== null) {
    const code = job.error === null ? "" : `<code>${escapeHtml(job.error.code)}</code>: `;
    lines.push(`<p class="message">${code}${escapeHtml(message)}</p>`);
  }
  if (isMismatched(job)) {
    lines.push(
      `<p class="message mismatch">Does not match the request: ${
        escapeHtml((job.video_mismatch ?? []).join("; "))
      }</p>`,
    );
  }
  lines.push(
    `<details><summary>Details</summary>`,
    `<dl class="facts">`,
    ...facts(job).map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`),
    `</dl></details>`,
    "</div>",
    "</article>",
  );
  return lines.join("\n");
}

function thumbnails(job: ReportJob, hrefs: ReadonlyArray<string | null>): string[] {
  const links = job.images.flatMap((path, index) => {
    const href = hrefs[index];
    if (href === null || href === undefined) return [];
    const src = escapeHtml(href);
    const alt = escapeHtml(`Reference image ${path}`);
    return [
      `<a href="${src}"><img src="${src}" alt="${alt}" title="${escapeHtml(path)}" ` +
      `loading="lazy" width="48" height="48"></a>`,
    ];
  });
  return links.length === 0 ? [] : [`<div class="thumbs">${links.join("")}</div>`];
}

function media(job: ReportJob): string {
  if (job.status === "done" && job.output !== null) {
    const src = escapeHtml(videoHref(job.output));
    return `<div class="media"><video controls preload="none" src="${src}"></video></div>`;
  }
  return `<div class="media placeholder"><span>${PLACEHOLDERS[job.status]}</span></div>`;
}

/** The card's facts as [term, HTML value] pairs; absent values are left out. */
function facts(job: ReportJob): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const add = (term: string, value: string | number | null): void => {
    if (value !== null) rows.push([term, escapeHtml(String(value))]);
  };
  add("Model", job.model);
  add("Seconds", job.seconds);
  add("Size", job.size);
  add("Resolution", job.resolution);
  if (job.task_id !== null) rows.push(["Task", `<code>${escapeHtml(job.task_id)}</code>`]);
  if (job.output !== null) {
    const href = escapeHtml(videoHref(job.output));
    const size = job.bytes === null ? "" : ` (${formatBytes(job.bytes)})`;
    rows.push(["File", `<a href="${href}">${escapeHtml(job.output)}</a>${size}`]);
  }
  if (job.video_duration !== null) {
    add(
      "Video",
      `${job.video_duration} s · ${job.video_width}x${job.video_height} · ${job.video_codec}`,
    );
  }
  if (job.sha256 !== null) {
    const hash = escapeHtml(job.sha256);
    rows.push(["SHA-256", `<code title="${hash}">${escapeHtml(job.sha256.slice(0, 12))}…</code>`]);
  }
  if (job.images.length > 0) rows.push(["Images", job.images.map(escapeHtml).join("<br>")]);
  add("Attempts", job.attempts);
  add("Line", job.line);
  // In a merged report: the shard (or folder) the job's row comes from.
  add("Shard", job.shard ?? null);
  return rows;
}
