/**
 * The resume index: what a run that left nothing to do knew at its end, so
 * that the next `run` over the same inputs can see that nothing changed
 * without validating the manifest or replaying the journal again. Pure: the
 * index's shape, its text form, and how two keys compare. Reading, writing
 * and using it are {@linkcode ./batch/resume_index_file.ts} and
 * {@linkcode ./batch/unchanged.ts}.
 *
 * The index is a cache and never the truth: it is used only when every input
 * it was made from is byte-for-byte the same (each file's SHA-256, the
 * journal's included), and the run it shortens still looks at every recorded
 * video on disk. Anything else (a mismatch, a torn or foreign file, a
 * video missing or altered) sends the run down the whole path, which
 * validates, replays and plans as usual.
 *
 * Text form (UTF-8): one JSON line (the header), then one line per done
 * video (`<bytes>\t<downloaded at, epoch ms, or empty>\t<output>`), then
 * `end <hex SHA-256 of every byte before this line>`.
 *
 * @module
 */
import { sha256, sha256Hex } from "./hash.ts";
import type { ReportTotals } from "./report/summary.ts";
import type { EstimateJson } from "./estimate.ts";

/** The index's format; a different one is not read. */
export const RESUME_INDEX_FORMAT = 1;

/** How an index's text begins (its header's first field; see {@linkcode encodeResumeIndex}). */
export const RESUME_INDEX_HEAD = `{"seedance_resume_index":${RESUME_INDEX_FORMAT},`;

/** An image the manifest's jobs send, by content. */
export interface KeyedImage {
  /** Absolute path. */
  path: string;
  /** Hex SHA-256 of its bytes, as validation read them. */
  sha256: string;
  /** What it is, for a message: `the image of job "a"`. */
  role: string;
}

/** The settings of a run that its outcome depends on when it has nothing to do. */
export interface ResumeSettings {
  /** The tool's version (its catalog and rules come with it). */
  version: string;
  /** The manifest's absolute path. */
  manifest: string;
  /** The `--models` file's absolute path, when one was given. */
  models: string | null;
  /** The `--prices` file's absolute path, when one was given. */
  prices: string | null;
  /** `--max-spend` in millionths, as decimal text, when given. */
  maxSpend: string | null;
  /** `--shard K/N` as `K/N`, when given. */
  shard: string | null;
  /** `--retry-failed` (changes what a run does with failed jobs). */
  retryFailed: boolean;
  /** `--rerender-changed` (with edited jobs). */
  rerenderChanged: boolean;
  /** `--resubmit-uncertain` (with uncertain jobs). */
  resubmitUncertain: boolean;
  /** The output folder's absolute path. */
  outDir: string;
}

/** The input files' contents, taken before the manifest was validated. */
export interface InputDigests {
  /** Hex SHA-256 of the manifest. */
  manifest: string;
  /** Of the `--models` file, when one was given. */
  models: string | null;
  /** Of the `--prices` file, when one was given. */
  prices: string | null;
}

/** Everything a run's outcome depends on when it has nothing to do. */
export interface ResumeKey {
  /** The run's settings. */
  settings: ResumeSettings;
  /** The input files' contents. */
  inputs: InputDigests;
  /** Every distinct reference image, by content. */
  images: KeyedImage[];
  /** The journal's size when the index was written. */
  journalBytes: number;
  /** The journal's hex SHA-256 then. */
  journalSha256: string;
  /** Hex SHA-256 of the names in `videos/previous/`, sorted, as a JSON array. */
  previousVideos: string;
}

/** A done video the next run looks at on disk. */
export interface IndexedVideo {
  /** Recorded size. */
  bytes: number;
  /** When its download was recorded, epoch ms (NaN when unknown). */
  downloadedAtMs: number;
  /** Path relative to the output folder. */
  output: string;
}

/** What the run knew at its end. */
export interface ResumeIndex {
  /** What it depends on. */
  key: ResumeKey;
  /** Jobs the run covered (its `run_started` event's count). */
  jobs: number;
  /** The report's totals. */
  totals: ReportTotals;
  /** The report's `manifest` field. */
  manifest: string;
  /** The report's `estimate` field, when it had one. */
  estimate?: EstimateJson;
  /** The digest report.json was stamped with. */
  reportDigest: string;
  /** The video of every done job of the manifest (the whole path looks at these). */
  videos: IndexedVideo[];
}

/**
 * Whether an output name can be written on one line of the index.
 *
 * @param output A recorded output path.
 * @returns False for a name holding a tab, a line break or a NUL.
 */
export function indexableOutput(output: string): boolean {
  return !/[\t\n\r\0]/.test(output);
}

/**
 * The index as UTF-8, in pieces of about 1 MiB (written one after another,
 * never joined: a million videos make about 40 MB; each piece is encoded
 * once, for its checksum and its write alike).
 *
 * @param index What the run knew.
 * @returns The file's content, in order.
 * @throws {RangeError} When an output name cannot be written on one line
 *   (check {@linkcode indexableOutput} first).
 */
export function encodeResumeIndex(index: ResumeIndex): Uint8Array[] {
  const header = {
    seedance_resume_index: RESUME_INDEX_FORMAT,
    key: index.key,
    jobs: index.jobs,
    totals: index.totals,
    manifest: index.manifest,
    ...(index.estimate === undefined ? {} : { estimate: index.estimate }),
    report_digest: index.reportDigest,
    videos: index.videos.length,
  };
  const hash = sha256();
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  const push = (piece: string): void => {
    const bytes = encoder.encode(piece);
    hash.update(bytes);
    pieces.push(bytes);
  };
  let chunk = JSON.stringify(header) + "\n";
  for (const video of index.videos) {
    if (!indexableOutput(video.output)) {
      throw new RangeError(`Cannot index the output name ${JSON.stringify(video.output)}`);
    }
    const at = Number.isFinite(video.downloadedAtMs) ? String(video.downloadedAtMs) : "";
    chunk += `${video.bytes}\t${at}\t${video.output}\n`;
    if (chunk.length >= 1 << 20) {
      push(chunk);
      chunk = "";
    }
  }
  push(chunk);
  pieces.push(encoder.encode(`end ${hash.hex()}\n`));
  return pieces;
}

/**
 * Read an index back.
 *
 * @param text The file's content.
 * @returns The index, or undefined when the text is not a whole index of
 *   this format (torn, edited, foreign or older).
 */
export function decodeResumeIndex(text: string): ResumeIndex | undefined {
  const endAt = text.lastIndexOf("\nend ", text.length - 2);
  if (endAt < 0 || !text.endsWith("\n")) return undefined;
  const body = text.slice(0, endAt + 1);
  if (text.slice(endAt + 5, -1) !== sha256Hex(body)) return undefined;
  const headerEnd = body.indexOf("\n");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(body.slice(0, headerEnd));
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== "object") return undefined;
  if (header.seedance_resume_index !== RESUME_INDEX_FORMAT) return undefined;
  const count = header.videos;
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) return undefined;
  const videos: IndexedVideo[] = new Array(count);
  let at = headerEnd + 1;
  for (let i = 0; i < count; i++) {
    const lineEnd = body.indexOf("\n", at);
    if (lineEnd < 0) return undefined;
    const tab1 = body.indexOf("\t", at);
    const tab2 = tab1 < 0 ? -1 : body.indexOf("\t", tab1 + 1);
    if (tab2 < 0 || tab2 > lineEnd) return undefined;
    const bytes = Number(body.slice(at, tab1));
    const when = body.slice(tab1 + 1, tab2);
    if (!Number.isSafeInteger(bytes) || bytes < 0) return undefined;
    videos[i] = {
      bytes,
      downloadedAtMs: when === "" ? NaN : Number(when),
      output: body.slice(tab2 + 1, lineEnd),
    };
    at = lineEnd + 1;
  }
  if (at !== body.length) return undefined;
  const index = {
    key: header.key,
    jobs: header.jobs,
    totals: header.totals,
    manifest: header.manifest,
    ...(header.estimate === undefined ? {} : { estimate: header.estimate }),
    reportDigest: header.report_digest,
    videos,
  } as ResumeIndex;
  return wellFormed(index) ? index : undefined;
}

/** The header's fields have the types the code relies on. */
function wellFormed(index: ResumeIndex): boolean {
  const key = index.key as unknown as Record<string, unknown> | null;
  if (key === null || typeof key !== "object") return false;
  const settings = key.settings as Record<string, unknown> | null;
  const inputs = key.inputs as Record<string, unknown> | null;
  if (settings === null || typeof settings !== "object") return false;
  if (inputs === null || typeof inputs !== "object") return false;
  const text = (value: unknown): boolean => typeof value === "string";
  const textOrNull = (value: unknown): boolean => value === null || typeof value === "string";
  const flag = (value: unknown): boolean => typeof value === "boolean";
  return text(settings.version) && text(settings.manifest) && textOrNull(settings.models) &&
    textOrNull(settings.prices) && textOrNull(settings.maxSpend) && textOrNull(settings.shard) &&
    flag(settings.retryFailed) && flag(settings.rerenderChanged) &&
    flag(settings.resubmitUncertain) && text(settings.outDir) && text(inputs.manifest) &&
    textOrNull(inputs.models) && textOrNull(inputs.prices) &&
    Number.isSafeInteger(key.journalBytes) && text(key.journalSha256) &&
    Array.isArray(key.images) &&
    key.images.every((image) =>
      image !== null && typeof image === "object" && text(image.path) && text(image.sha256) &&
      text(image.role)
    ) &&
    text(key.previousVideos) && Number.isSafeInteger(index.jobs) &&
    index.totals !== null && typeof index.totals === "object" && text(index.manifest) &&
    text(index.reportDigest);
}

/**
 * Whether two runs' settings are the same.
 *
 * @param a Settings.
 * @param b Settings.
 * @returns True when every field is equal.
 */
export function sameSettings(a: ResumeSettings, b: ResumeSettings): boolean {
  return settingsText(a) === settingsText(b);
}

/**
 * Whether two sets of input digests are the same.
 *
 * @param a Digests.
 * @param b Digests.
 * @returns True when every digest is equal.
 */
export function sameInputs(a: InputDigests, b: InputDigests): boolean {
  return a.manifest === b.manifest && a.models === b.models && a.prices === b.prices;
}

function settingsText(s: ResumeSettings): string {
  return JSON.stringify([
    s.version,
    s.manifest,
    s.models,
    s.prices,
    s.maxSpend,
    s.shard,
    s.retryFailed,
    s.rerenderChanged,
    s.resubmitUncertain,
    s.outDir,
  ]);
}

/**
 * The digest of the kept old videos' names, as the key holds it.
 *
 * @param names The names in `videos/previous/`, sorted.
 * @returns Hex SHA-256.
 */
export function previousVideosDigest(names: readonly string[]): string {
  // Not joined by line breaks: a name may hold one, and two names would read as one.
  return sha256Hex(JSON.stringify(names));
}
