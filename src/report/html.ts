/**
 * report.html: a gallery of the batch, one card per job with its video, as a
 * single self-contained page (inline CSS, no scripts, nothing fetched from
 * elsewhere) that works opened from disk or served. Pure.
 *
 * Every piece of text from the manifest or the service is HTML-escaped, and a
 * Content-Security-Policy that allows no scripts and no outside resources
 * backs that up.
 *
 * @module
 */
import {
  REPORT_STATUSES,
  type ReportJob,
  type ReportModel,
  type ReportStatus,
  type ReportTotals,
} from "./summary.ts";
import { jobMessage, manifestName, videoHref } from "./format.ts";
import { formatBytes } from "../text.ts";
import { estimateHtml } from "./estimate.ts";

/** What a card without a video shows in its place. */
const PLACEHOLDERS: Record<ReportStatus, string> = {
  done: "No video file",
  failed: "Failed",
  invalid: "Invalid job",
  pending: "Not submitted yet",
  running: "Rendering",
  uncertain: "Outcome unknown",
};

// Relative videos only: 'self' covers a served folder, file: a page opened from disk.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; media-src 'self' file:; " +
  "img-src 'self' data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #1b1f24; --muted: #5b6470; --line: #d9dde3;
  --media: #0d1117; --on-status: #ffffff; --done: #1a7f37; --failed: #cf222e; --invalid: #bc4c00;
  --pending: #6e7781; --running: #0969da; --uncertain: #8250df;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9da7b3; --line: #30363d;
    --media: #010409; --on-status: #0d1117; --done: #3fb950; --failed: #f85149; --invalid: #db6d28;
    --pending: #8b949e; --running: #58a6ff; --uncertain: #a371f7;
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
.gallery {
  display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr));
}
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
  color: var(--status); background: color-mix(in srgb, var(--status) 10%, var(--card));
}
.card-body { padding: .75rem .9rem 1rem; }
.card-head { display: flex; gap: .5rem; align-items: flex-start; justify-content: space-between; }
.card h2 { margin: 0; font-size: 1.05rem; overflow-wrap: anywhere; }
.prompt { margin: .4rem 0 .2rem; color: var(--muted); font-style: italic; overflow-wrap: anywhere; }
.badge {
  flex: none; padding: .1rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  color: var(--on-status); background: var(--status);
}
.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .6rem 0 0;
  font-size: .9rem;
}
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--running); }
.message {
  margin: .75rem 0 0; padding: .5rem .65rem; border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; border-left: 4px solid var(--status);
  background: color-mix(in srgb, var(--status) 12%, transparent);
}
.empty { color: var(--muted); }
.status-done { --status: var(--done); }
.status-failed { --status: var(--failed); }
.status-invalid { --status: var(--invalid); }
.status-pending { --status: var(--pending); }
.status-running { --status: var(--running); }
.status-uncertain { --status: var(--uncertain); }
`;

/** What the page shows beyond the report model (which is report.json's schema). */
export interface ReportExtras {
  /** Each job's prompt by job id, shown on its card. */
  prompts?: ReadonlyMap<string, string>;
}

/**
 * Render report.html in pieces: the page's head, the totals and the gallery's
 * opening as one chunk, one chunk per job card, then the page's end.
 *
 * @param report The report model.
 * @param extras The prompts to show on the cards, if known.
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
  yield `${head}\n<main class="gallery">`;
  for (const [index, job] of report.jobs.entries()) {
    yield `\n${jobCard(job, index, extras.prompts?.get(job.id))}`;
  }
  yield `\n</main>${end}`;
}

/**
 * Render report.html.
 *
 * @param report The report model.
 * @param extras The prompts to show on the cards, if known.
 * @returns The page: totals at the top, then a card per job.
 */
export function renderReportHtml(report: ReportModel, extras: ReportExtras = {}): string {
  return Array.from(renderReportHtmlChunks(report, extras)).join("");
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
  const tiles = [
    `<div class="total"><dt>jobs</dt><dd>${totals.jobs}</dd></div>`,
    ...REPORT_STATUSES.map((status) =>
      `<div class="total status-${status}"><dt>${status}</dt><dd>${totals[status]}</dd></div>`
    ),
  ];
  return `<dl class="totals" aria-label="Totals">\n${tiles.join("\n")}\n</dl>`;
}

function jobCard(job: ReportJob, index: number, prompt: string | undefined): string {
  const message = jobMessage(job);
  const lines = [
    `<article class="card status-${job.status}" id="job-${index + 1}" data-status="${job.status}">`,
    media(job),
    `<div class="card-body">`,
    `<div class="card-head"><h2>${escapeHtml(job.id)}</h2>` +
    `<span class="badge">${job.status}</span></div>`,
    ...(prompt === undefined ? [] : [`<p class="prompt">${escapeHtml(prompt)}</p>`]),
    `<dl class="facts">`,
    ...facts(job).map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`),
    `</dl>`,
  ];
  if (message !== null) {
    const code = job.error === null ? "" : `<code>${escapeHtml(job.error.code)}</code>: `;
    lines.push(`<p class="message">${code}${escapeHtml(message)}</p>`);
  }
  lines.push("</div>", "</article>");
  return lines.join("\n");
}

function media(job: ReportJob): string {
  if (job.status === "done" && job.output !== null) {
    const src = escapeHtml(videoHref(job.output));
    return `<div class="media"><video controls preload="metadata" src="${src}"></video></div>`;
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
  if (job.sha256 !== null) {
    const hash = escapeHtml(job.sha256);
    rows.push(["SHA-256", `<code title="${hash}">${escapeHtml(job.sha256.slice(0, 12))}…</code>`]);
  }
  if (job.images.length > 0) rows.push(["Images", job.images.map(escapeHtml).join("<br>")]);
  add("Attempts", job.attempts);
  add("Line", job.line);
  return rows;
}
