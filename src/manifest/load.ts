/**
 * Manifest loading: a YAML or CSV file to raw jobs, each with the 1-based
 * line where it starts. Nothing here judges the fields (that is
 * `validate.ts`); this module only refuses files that cannot be read as a
 * manifest at all, by throwing {@linkcode ManifestError}: missing or
 * unreadable files, unknown extensions, empty, binary or huge files, syntax
 * errors, YAML alias bombs, and documents that hold no job list.
 *
 * {@linkcode parseManifest} is pure (bytes in, raw manifest out);
 * {@linkcode loadManifest} adds the file system.
 *
 * Large manifests are the norm (100,000 jobs), so the common layouts take a
 * lean path: a YAML job list is cut into items by scanning lines
 * ({@linkcode splitYamlJobs}) and each item parsed alone, and CSV records are
 * split here; anything unusual takes the general path (js-yaml on the whole
 * document, csv-parse), which also words every syntax error.
 *
 * @module
 */
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { isUtf8 } from "node:buffer";
import { ManifestError } from "../errors.ts";

/** The two manifest formats, chosen by extension. */
export type ManifestFormat = "yaml" | "csv";

/** The field names a job may carry. */
export const JOB_FIELDS = [
  "id",
  "prompt",
  "model",
  "seconds",
  "size",
  "resolution",
  "image",
  "input_reference",
  "output",
] as const;

/** A job's field name. */
export type JobField = typeof JOB_FIELDS[number];

/** A problem the loader found with one job, turned into an issue by the validator. */
export interface RawProblem {
  code: string;
  field: string | null;
  message: string;
}

/** A job as written: its fields (or whatever non-mapping value stood in its place). */
export interface RawJob {
  /** 0-based position among the jobs. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /**
   * The job's fields, or the non-mapping value found instead. CSV cells are
   * strings (empty cells left out, `image` split on `|`); YAML values are as parsed.
   */
  value: unknown;
  /** Problems the loader already saw (CSV: cells beyond the header). */
  problems: RawProblem[];
}

/** A problem with the manifest as a whole that still lets its jobs be read. */
export interface ManifestProblem {
  code: string;
  line: number | null;
  field: string | null;
  message: string;
}

/** A manifest read into raw jobs. */
export interface RawManifest {
  /** The file as named by the caller (used in messages). */
  file: string;
  format: ManifestFormat;
  /** YAML `defaults:`, with the line of the key; undefined when absent. */
  defaults?: { line: number; value: unknown };
  jobs: RawJob[];
  /** Manifest-level problems (unknown top-level keys, bad CSV header cells). */
  problems: ManifestProblem[];
}

/** The problems of a job the loader found nothing wrong with (shared, frozen: never pushed to). */
const NO_PROBLEMS: RawProblem[] = Object.freeze([]) as unknown as RawProblem[];

/** Largest manifest accepted, in bytes. */
export const MAX_MANIFEST_BYTES = 200 * 1024 * 1024;

/**
 * Least number of YAML nodes aliases may expand a document to before it is
 * refused as an alias bomb; the real limit is this or the file's length,
 * whichever is larger (a document without aliases has fewer nodes than characters).
 */
export const MIN_ALIAS_EXPANSION_LIMIT = 1_000_000;

/**
 * The format of a manifest, from its extension.
 *
 * @param file The manifest's path.
 * @returns `yaml` for `.yaml`/`.yml`, `csv` for `.csv`.
 * @throws {ManifestError} For any other extension.
 */
export function manifestFormat(file: string): ManifestFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".csv")) return "csv";
  const ext = /\.[^./\\]*$/.exec(file)?.[0];
  throw new ManifestError(
    `Cannot read manifest ${file}: ${
      ext ? `the extension "${ext}" is unknown` : "it has no extension"
    }; use .yaml, .yml or .csv`,
    { file, code: "manifest_extension" },
  );
}

/**
 * Read a manifest file into raw jobs.
 *
 * @param file The manifest's path (relative to the working folder or absolute).
 * @returns The raw manifest.
 * @throws {ManifestError} When the file cannot be read as a manifest.
 */
export async function loadManifest(file: string): Promise<RawManifest> {
  const format = manifestFormat(file);
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) fail(file, "it is not a file", "manifest_unreadable");
    if (info.size > MAX_MANIFEST_BYTES) {
      fail(
        file,
        `it is ${mebibytes(info.size)} MB, more than the ${mebibytes(MAX_MANIFEST_BYTES)} MB limit`,
        "manifest_too_large",
      );
    }
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      fail(file, "no such file", "manifest_unreadable", error);
    }
    const reason = error instanceof Error ? error.message : String(error);
    fail(file, reason, "manifest_unreadable", error);
  }
  // Handed over in a box that parseSource empties, so nothing else keeps the bytes alive
  // once they are decoded (an argument would stay referenced by the caller's frame).
  const source: ManifestSource = { bytes: await readBytes(file) };
  return parseSource(source, { file, format });
}

/** A manifest's bytes, taken out (and the box emptied) by whoever decodes them. */
interface ManifestSource {
  bytes?: Uint8Array;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(file, reason, "manifest_unreadable", error);
  }
}

/**
 * Parse a manifest's bytes into raw jobs (pure).
 *
 * @param bytes The file's content.
 * @param options The file name (for messages and lines) and its format.
 * @returns The raw manifest.
 * @throws {ManifestError} When the content cannot be read as a manifest.
 */
export function parseManifest(
  bytes: Uint8Array,
  options: { file: string; format: ManifestFormat },
): RawManifest {
  return parseSource({ bytes }, options);
}

function parseSource(
  source: ManifestSource,
  options: { file: string; format: ManifestFormat },
): RawManifest {
  const { file, format } = options;
  checkBytes(source.bytes ?? new Uint8Array(), file);
  if (format === "yaml") return parseYaml(source, file);
  const text = new TextDecoder().decode(source.bytes);
  source.bytes = undefined;
  return parseCsvManifest(text, file);
}

/** Refuse content that cannot be a manifest: too large, binary, not UTF-8, or blank. */
function checkBytes(bytes: Uint8Array, file: string): void {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    fail(
      file,
      `it is ${mebibytes(bytes.length)} MB, more than the ${
        mebibytes(MAX_MANIFEST_BYTES)
      } MB limit`,
      "manifest_too_large",
    );
  }
  checkText(bytes, file);
  if (isBlank(bytes)) fail(file, "it is empty", "manifest_empty");
}

/** Whether the bytes hold only whitespace (and perhaps a BOM). */
function isBlank(bytes: Uint8Array): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}

/** Refuse binary junk and non-UTF-8 text. */
function checkText(bytes: Uint8Array, file: string): void {
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) ||
      (bytes[0] === 0xfe && bytes[1] === 0xff);
    fail(
      file,
      utf16
        ? "it is UTF-16 text; save it as UTF-8"
        : `it holds binary data (a NUL byte at offset ${nul}), not text`,
      "manifest_binary",
    );
  }
  if (!isUtf8(bytes)) fail(file, "it is not UTF-8 text; save it as UTF-8", "manifest_binary");
}

// ---------------------------------------------------------------- YAML

/** Job items parsed one by one, standing in for the skeleton's empty `jobs:` list. */
interface YamlItems {
  values: unknown[];
  lines: number[];
  /** 1-based line of the `jobs:` key. */
  keyLine: number;
  /** How many lines after the key were cut out of the skeleton. */
  removedLines: number;
}

/** Where a YAML manifest's job items are, found by scanning its lines. */
export interface YamlLayout {
  /** Byte offset where each item's first line (the one with its dash) starts. */
  itemStarts: number[];
  /** 1-based line of each item's dash. */
  itemLines: number[];
  /** Byte offset where the last item ends. */
  itemsEnd: number;
  /**
   * For a mapping root: the `jobs:` key line (`start` is its byte offset,
   * `line` its 1-based number), where its list ends, and how many lines the list spans.
   * Undefined when the jobs are a list at the root.
   */
  jobsKey?: { start: number; line: number; blockEnd: number; removedLines: number };
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const HASH = 0x23;
/** `jobs` in ASCII. */
const JOBS_KEY = [0x6a, 0x6f, 0x62, 0x73];
/** First characters of a top-level line the scan does not try to understand. */
const UNSURE_KEY_START = new Set([..."\"'?{}[]&*!|>%@`,:"].map((char) => char.charCodeAt(0)));

/**
 * Find the job items of a YAML manifest by scanning its lines, without
 * parsing it: the items of a block list at the root, or of the block list
 * under a top-level `jobs:` key, each starting at a dash at the list's
 * indentation. Returns undefined for any layout it is not sure about
 * (flow lists, tabs, document markers, quoted or complex keys, `jobs:` with
 * something after it, ...), which then takes the whole-document parse.
 *
 * @param bytes The manifest's UTF-8 bytes.
 * @returns Where each item starts, or undefined.
 */
export function splitYamlJobs(bytes: Uint8Array): YamlLayout | undefined {
  const length = bytes.length;
  const itemStarts: number[] = [];
  const itemLines: number[] = [];
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 0;
  /** `start`: before any content; `list`: a root list; `map`: a root mapping, outside `jobs:`. */
  let phase: "start" | "list" | "map" | "jobsKey" | "jobs" = "start";
  let indent = -1; // the jobs list's indentation
  let jobsKey: YamlLayout["jobsKey"];
  let itemsEnd = length;
  while (pos < length) {
    line += 1;
    const start = pos;
    let end = bytes.indexOf(LF, pos);
    pos = end === -1 ? length : end + 1;
    if (end === -1) end = length;
    if (end > start && bytes[end - 1] === CR) end -= 1;
    let at = start;
    while (at < end && bytes[at] === SPACE) at += 1;
    if (at === end) continue; // blank
    const first = bytes[at];
    if (first === HASH) continue; // a comment
    if (first === TAB || first === CR) return undefined;
    const column = at - start;
    const dash = first === DASH &&
      (at + 1 === end || bytes[at + 1] === SPACE || bytes[at + 1] === TAB);
    if (dash && bytes[at + 1] === TAB) return undefined;
    switch (phase) {
      case "start":
        if (column > 0) return undefined;
        if (dash) {
          phase = "list";
          indent = 0;
          itemStarts.push(start);
          itemLines.push(line);
          continue;
        }
        phase = "map";
        break; // read it as a top-level key below
      case "list":
        if (column > 0) continue;
        if (!dash) return undefined;
        itemStarts.push(start);
        itemLines.push(line);
        continue;
      case "jobsKey":
        if (!dash) return undefined; // `jobs:` is empty or not a block list
        phase = "jobs";
        indent = column;
        itemStarts.push(start);
        itemLines.push(line);
        continue;
      case "jobs":
        if (column > indent) continue;
        if (column === indent && dash) {
          itemStarts.push(start);
          itemLines.push(line);
          continue;
        }
        if (column > 0 || !jobsKey) return undefined;
        // The list ends at the next top-level key.
        jobsKey.blockEnd = start;
        jobsKey.removedLines = line - jobsKey.line - 1;
        itemsEnd = start;
        phase = "map";
        break;
      case "map":
        if (column > 0 || dash) continue; // inside another top-level key's value
        break;
    }
    // A top-level line of a mapping root: a key.
    if (UNSURE_KEY_START.has(first)) return undefined;
    if (first === DASH || first === 0x2e) {
      // `---` or `...` (document markers), or a key starting with a dash or dot.
      return undefined;
    }
    let key = at;
    while (key < end && key - at < 4 && bytes[key] === JOBS_KEY[key - at]) key += 1;
    if (key - at < 4) continue; // another key
    let colon = key;
    while (colon < end && bytes[colon] === SPACE) colon += 1;
    if (bytes[colon] !== 0x3a) {
      if (colon === key) continue; // a longer key, e.g. `jobs2:`
      return undefined;
    }
    let rest = colon + 1;
    while (rest < end && bytes[rest] === SPACE) rest += 1;
    const nothingAfter = rest === end || (bytes[rest] === HASH && rest > colon + 1);
    if (!nothingAfter || jobsKey) return undefined; // `jobs: [...]`, `jobs: &a`, a second `jobs:`
    jobsKey = { start, line, blockEnd: length, removedLines: 0 };
    phase = "jobsKey";
  }
  if (phase === "jobs" && jobsKey) {
    jobsKey.removedLines = line - jobsKey.line;
  }
  if (itemStarts.length === 0 || (phase !== "list" && !jobsKey)) return undefined;
  if (jobsKey && phase === "jobsKey") return undefined;
  return { itemStarts, itemLines, itemsEnd, jobsKey };
}

/** The options every item is parsed with. */
const ITEM_OPTIONS: yaml.LoadOptions = { schema: yaml.CORE_SCHEMA };

/**
 * Parse each item of a layout on its own, as a one-item list. Returns
 * undefined when an item does not parse alone (an alias to an anchor in
 * another item, a quoted text running past the next dash, a syntax error)
 * or uses an alias to a collection (the whole-document parse then guards
 * against alias bombs).
 */
function parseYamlItems(bytes: Uint8Array, layout: YamlLayout): unknown[] | undefined {
  const { itemStarts, itemsEnd } = layout;
  const decoder = new TextDecoder();
  const values: unknown[] = new Array(itemStarts.length);
  let star = -2; // the next `*` at or after the current item, -1 for none
  for (let index = 0; index < itemStarts.length; index += 1) {
    const start = itemStarts[index];
    const end = index + 1 < itemStarts.length ? itemStarts[index + 1] : itemsEnd;
    if (star !== -1 && star < start) star = bytes.indexOf(0x2a, start);
    const text = decoder.decode(bytes.subarray(start, end));
    let parsed: unknown;
    try {
      parsed = star !== -1 && star < end
        ? loadCountingAliases(text)
        : yaml.load(text, ITEM_OPTIONS);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 1) return undefined;
    values[index] = parsed[0];
  }
  return values;
}

/** Parse an item that may hold aliases; undefined when one points at a collection. */
function loadCountingAliases(text: string): unknown {
  let collectionAliases = 0;
  const parsed = yaml.load(text, {
    schema: yaml.CORE_SCHEMA,
    listener(event, state): void {
      if (
        event === "close" && state.kind === null && typeof state.result === "object" &&
        state.result !== null
      ) {
        collectionAliases += 1;
      }
    },
  });
  return collectionAliases > 0 ? undefined : parsed;
}

/** Where the listener saw nodes open, enough to place each job on its line. */
interface YamlPositions {
  /** 1-based open line of each depth-2 node, in document order. */
  lines: number[];
  /** The value of each depth-2 node (parallel to `lines`). */
  results: unknown[];
  /** For each depth-2 sequence: the 1-based open lines of its items. */
  itemLines: Map<unknown, number[]>;
  rootLine: number;
}

/**
 * Parse a YAML manifest. The common layout (a job list at the root or under
 * `jobs:`, each item starting with a dash at the list's indentation) is
 * split into items by scanning lines, and each item is parsed on its own:
 * lines come from the scan, and neither the whole text as a string nor the
 * whole tree is ever built at once. Anything the scan is not sure about, or
 * any item that does not parse on its own, falls back to parsing the whole
 * document with {@linkcode parseYamlDocument}, which also words every error.
 */
function parseYaml(source: ManifestSource, file: string): RawManifest {
  const layout = splitYamlJobs(source.bytes ?? new Uint8Array());
  const items = layout && parseYamlItems(source.bytes ?? new Uint8Array(), layout);
  if (layout && items) {
    const key = layout.jobsKey;
    if (key === undefined) {
      source.bytes = undefined;
      return { file, format: "yaml", jobs: rawJobs(items, layout.itemLines, 1), problems: [] };
    }
    const decoder = new TextDecoder();
    const skeleton = decoder.decode(source.bytes?.subarray(0, key.start)) + "jobs: []\n" +
      decoder.decode(source.bytes?.subarray(key.blockEnd));
    try {
      const manifest = parseYamlDocument(skeleton, file, {
        values: items,
        lines: layout.itemLines,
        keyLine: key.line,
        removedLines: key.removedLines,
      });
      source.bytes = undefined;
      return manifest;
    } catch {
      // The rest of the document has a problem; the whole-document parse words it.
    }
  }
  const text = new TextDecoder().decode(source.bytes);
  source.bytes = undefined;
  return parseYamlDocument(text, file);
}

/**
 * Parse YAML manifest text as one document (the reference path: every
 * layout, every error message). With `items`, `text` is a skeleton whose
 * `jobs:` is an empty list standing for the items parsed one by one.
 *
 * @param text The manifest's text (or its skeleton).
 * @param file The file name for messages.
 * @param items The job items parsed separately, their lines, and where they were cut out.
 * @returns The raw manifest.
 * @throws {ManifestError} When the text cannot be read as a manifest.
 */
export function parseYamlDocument(text: string, file: string, items?: YamlItems): RawManifest {
  const positions: YamlPositions = { lines: [], results: [], itemLines: new Map(), rootLine: 1 };
  const openLines: number[] = [];
  let depth3: number[] = [];
  let collectionAliases = 0;
  let document: unknown;
  try {
    document = yaml.load(text, {
      filename: file,
      schema: yaml.CORE_SCHEMA,
      // Called when each node opens and closes; `state.depth` is the node's depth (root = 1).
      listener(event, state): void {
        const depth = (state as unknown as { depth: number }).depth;
        if (depth > 3) {
          if (
            event === "close" && state.kind === null && typeof state.result === "object" &&
            state.result !== null
          ) {
            collectionAliases += 1;
          }
          return;
        }
        if (event === "open") {
          openLines[depth] = depth === 1
            ? state.line + 1
            : itemLine(text, state.position, state.line);
          if (depth === 1) positions.rootLine = state.line + 1;
          return;
        }
        // An alias node closes with no kind of its own (js-yaml resets it and only
        // readAlias sets the result); one that points at a collection may multiply the tree.
        if (state.kind === null && typeof state.result === "object" && state.result !== null) {
          collectionAliases += 1;
        }
        const line = openLines[depth];
        if (depth === 3) {
          depth3.push(line);
        } else if (depth === 2) {
          positions.lines.push(line);
          positions.results.push(state.result);
          if (Array.isArray(state.result)) positions.itemLines.set(state.result, depth3);
          depth3 = [];
        }
      },
    });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const line = error.mark ? error.mark.line + 1 : undefined;
      throw new ManifestError(
        `Cannot parse ${file}${line ? ` at line ${line}` : ""}: ${error.reason}`,
        { file, line, code: "manifest_syntax", cause: error },
      );
    }
    throw error;
  }
  if (collectionAliases > 0) refuseAliasBomb(document, text.length, file);
  if (items) {
    // Lines after the `jobs:` key moved up by the lines cut out of the skeleton.
    const { keyLine, removedLines } = items;
    positions.lines = positions.lines.map((line) => line > keyLine ? line + removedLines : line);
  }

  if (document === undefined || document === null) fail(file, "it has no jobs", "manifest_empty");
  if (Array.isArray(document)) {
    return {
      file,
      format: "yaml",
      jobs: rawJobs(document, positions.lines, positions.rootLine),
      problems: [],
    };
  }
  if (!isMapping(document)) {
    fail(
      file,
      "it must be a list of jobs, or a mapping with defaults: and jobs:",
      "manifest_structure",
      undefined,
      positions.rootLine,
    );
  }
  const keyLine = (key: string): number => {
    const at = positions.results.indexOf(key);
    return at === -1 ? positions.rootLine : positions.lines[at];
  };
  const problems: ManifestProblem[] = [];
  for (const key of Object.keys(document)) {
    if (key === "defaults" || key === "jobs") continue;
    const hint = nearest(key, ["defaults", "jobs", ...JOB_FIELDS]);
    const isJobField = (JOB_FIELDS as readonly string[]).includes(key);
    problems.push({
      code: "unknown_key",
      line: keyLine(key),
      field: key,
      message: isJobField
        ? `unknown top-level key "${key}"; job fields belong under defaults: or in each job of jobs:`
        : `unknown top-level key "${key}"${
          hint ? ` (did you mean "${hint}"?)` : ""
        }; expected defaults: and jobs:`,
    });
  }
  const jobs = items ? items.values : document.jobs;
  if (jobs === undefined || jobs === null) {
    const looksLikeJob = "prompt" in document || "model" in document;
    fail(
      file,
      looksLikeJob
        ? 'it holds one job, not a list; write each job as a list item ("- prompt: ...")'
        : 'it has no "jobs:" list',
      jobs === null ? "manifest_empty" : "manifest_structure",
      undefined,
      jobs === null ? keyLine("jobs") : positions.rootLine,
    );
  }
  if (!Array.isArray(jobs)) {
    fail(file, '"jobs:" must be a list of jobs', "manifest_structure", undefined, keyLine("jobs"));
  }
  const jobsAt = positions.results.lastIndexOf(jobs);
  const jobsLine = jobsAt === -1 ? keyLine("jobs") : positions.lines[jobsAt];
  const lines = items ? items.lines : positions.itemLines.get(jobs) ?? [];
  return {
    file,
    format: "yaml",
    defaults: "defaults" in document && document.defaults !== null
      ? { line: keyLine("defaults"), value: document.defaults }
      : undefined,
    jobs: rawJobs(jobs, lines, jobsLine),
    problems,
  };
}

/**
 * The 1-based line where a node starts. A block item written as a bare dash
 * (`-` alone or followed by a comment, its fields on the next lines) opens on
 * its first field's line; the item starts at the dash, so look back for it.
 */
function itemLine(text: string, position: number, zeroBasedLine: number): number {
  let at = position - 1;
  while (at >= 0 && (text.charCodeAt(at) === 0x20 || text.charCodeAt(at) === 0x09)) at -= 1;
  // Anything but a line break before the node on its own line: the node starts here.
  if (at < 0 || text.charCodeAt(at) !== 0x0a) return zeroBasedLine + 1;
  let line = zeroBasedLine;
  let end = at; // the line break ending the previous line
  while (end >= 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    line -= 1;
    let content = text.slice(start, end);
    if (content.includes("#")) content = content.replace(/(^|\s)#.*$/, "");
    content = content.trimEnd();
    if (content.trim() === "") {
      end = start - 1; // a blank or comment-only line: keep looking
      continue;
    }
    const dash = content.endsWith("-") &&
      (content.length === 1 || /\s/.test(content[content.length - 2]));
    return dash ? line + 1 : zeroBasedLine + 1;
  }
  return zeroBasedLine + 1;
}

function rawJobs(values: unknown[], lines: number[], fallbackLine: number): RawJob[] {
  const exact = lines.length === values.length;
  return values.map((value, index) => ({
    index,
    line: exact ? lines[index] : fallbackLine,
    value,
    problems: NO_PROBLEMS,
  }));
}

/**
 * js-yaml shares an aliased node instead of copying it, so a tiny file can
 * describe a document of billions of nodes. Count the expanded size with
 * memoisation (linear in distinct nodes) and refuse it before anything walks
 * the tree.
 */
function refuseAliasBomb(document: unknown, textLength: number, file: string): void {
  const limit = Math.max(MIN_ALIAS_EXPANSION_LIMIT, textLength);
  const sizes = new Map<object, number>();
  const size = (node: unknown): number => {
    if (node === null || typeof node !== "object") return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let total = 1;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      total += size(child);
      if (total > limit) break;
    }
    sizes.set(node, total);
    return total;
  };
  const total = size(document);
  if (total > limit) {
    fail(
      file,
      `its aliases (*name) expand it to more than ${limit} nodes; refusing a possible YAML alias bomb`,
      "manifest_alias_bomb",
    );
  }
}

// ---------------------------------------------------------------- CSV

function parseCsvManifest(text: string, file: string): RawManifest {
  let header: CsvHeader | undefined;
  let jobs: RawJob[] = [];
  const addRecord = (cells: string[], line: number): void => {
    if (header === undefined) {
      header = readCsvHeader(cells, line);
      return;
    }
    const job = csvJob(cells, header, line, jobs.length);
    if (job) jobs.push(job);
  };
  // The common case is split here, a record at a time: quicker than csv-parse, and
  // leaner (no per-record info objects). Anything unusual goes to csv-parse.
  if (!splitCsvRecords(text, addRecord)) {
    header = undefined;
    jobs = [];
    parseCsvWithLibrary(new TextEncoder().encode(text), file, addRecord);
  }
  if (header === undefined) return fail(file, "it is empty", "manifest_empty");
  const problems = header.problems;
  header.unnamedWithValues.forEach((column) =>
    problems.push({
      code: "unknown_field",
      line: header?.line ?? 1,
      field: null,
      message: `column ${column + 1} has no name in the header but holds values`,
    })
  );
  if (jobs.length === 0 && problems.length === 0) {
    fail(file, "it has a header but no jobs", "manifest_empty", undefined, header.line);
  }
  return { file, format: "csv", jobs, problems };
}

/** Parse CSV bytes with csv-parse, calling `addRecord` with each record and its starting line. */
function parseCsvWithLibrary(
  bytes: Uint8Array,
  file: string,
  addRecord: (cells: string[], line: number) => void,
): void {
  const lines = new LineCounter(bytes);
  let previousEnd = 0;
  try {
    parseCsv(bytes, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Each record is handed on as soon as it is parsed, so neither the cell arrays nor
      // csv-parse's per-record info objects pile up.
      on_record: (cells: string[], context: { bytes: number }): null => {
        const line = lines.lineOfRecordAfter(previousEnd);
        previousEnd = context.bytes;
        addRecord(cells, line);
        return null;
      },
    });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ManifestError(
      `Cannot parse ${file}${line ? ` near line ${line}` : ""}: ${reason}`,
      { file, line, code: "manifest_syntax", cause: error },
    );
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Split CSV text into records the way csv-parse does with the loader's
 * options (`,` between cells, `"` quotes with `""` inside, the record
 * delimiter found at the first line break, empty lines skipped), calling
 * `onRecord` with each record's cells and the 1-based line where it starts.
 * Returns false, having perhaps called `onRecord` already, at anything
 * csv-parse might read differently or refuse (a quote inside an unquoted
 * cell, text after a closing quote, an unclosed quote, a lone CR, mixed
 * line breaks); the caller then starts over with csv-parse, which also words errors.
 */
function splitCsvRecords(
  text: string,
  onRecord: (cells: string[], line: number) => void,
): boolean {
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let crlf: boolean | undefined; // the record delimiter, set at the first line break
  let nextLf = -2; // position of the next LF / CR at or after `pos`, -1 for none
  let nextCr = -2;
  /** Line breaks inside a quoted cell, counted as the line numbers count them. */
  const breaksIn = (start: number, end: number): number => {
    if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf("\n", start);
    if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf("\r", start);
    if ((nextLf === -1 || nextLf >= end) && (nextCr === -1 || nextCr >= end)) return 0;
    let breaks = 0;
    for (let at = start; at < end; at += 1) {
      const char = text.charCodeAt(at);
      if (char === LF || (char === CR && text.charCodeAt(at + 1) !== LF)) breaks += 1;
    }
    return breaks;
  };
  /** Step over the line break at `pos`; false when it is not the record delimiter. */
  const lineBreak = (): boolean => {
    const crThenLf = text.charCodeAt(pos) === CR && text.charCodeAt(pos + 1) === LF;
    if (crlf === undefined) {
      if (!crThenLf && text.charCodeAt(pos) === CR) return false;
      crlf = crThenLf;
    }
    if (crlf !== crThenLf) return false;
    pos += crlf ? 2 : 1;
    line += 1;
    return true;
  };
  while (pos < length) {
    let char = text.charCodeAt(pos);
    if (char === LF || char === CR) {
      if (!lineBreak()) return false; // an empty line: skipped
      continue;
    }
    const recordLine = line;
    const cells: string[] = [];
    for (;;) {
      if (char === QUOTE) {
        let close = pos + 1;
        let escaped = false;
        for (;;) {
          close = text.indexOf('"', close);
          if (close === -1) return false;
          if (text.charCodeAt(close + 1) !== QUOTE) break;
          escaped = true;
          close += 2;
        }
        const cell = text.slice(pos + 1, close);
        cells.push(escaped ? cell.replaceAll('""', '"') : cell);
        line += breaksIn(pos + 1, close);
        pos = close + 1;
        char = text.charCodeAt(pos); // NaN at the end
        if (char !== COMMA && char !== LF && char !== CR && pos < length) return false;
      } else {
        const start = pos;
        while (
          pos < length && char !== COMMA && char !== LF && char !== CR && char !== QUOTE
        ) {
          pos += 1;
          char = text.charCodeAt(pos);
        }
        if (char === QUOTE) return false;
        cells.push(text.slice(start, pos));
      }
      if (char !== COMMA) break;
      pos += 1;
      char = text.charCodeAt(pos);
    }
    onRecord(cells, recordLine);
    if (pos < length && !lineBreak()) return false;
  }
  return true;
}

/** What the header row says about each column. */
interface CsvHeader {
  line: number;
  columns: string[];
  /** The job field of each column; undefined for unknown, duplicate or unnamed columns. */
  known: (JobField | undefined)[];
  problems: ManifestProblem[];
  /** Unnamed columns (e.g. a trailing comma) found to hold a value in some row. */
  unnamedWithValues: Set<number>;
}

function readCsvHeader(cells: string[], line: number): CsvHeader {
  const columns = cells.map((name) => name.trim());
  const problems: ManifestProblem[] = [];
  const known = columns.map((name, column): JobField | undefined => {
    if ((JOB_FIELDS as readonly string[]).includes(name)) {
      if (columns.indexOf(name) === column) return name as JobField;
      problems.push({
        code: "duplicate_column",
        line,
        field: name,
        message: `column "${name}" appears more than once in the header`,
      });
      return undefined;
    }
    if (name === "") return undefined;
    const hint = nearest(name, JOB_FIELDS);
    problems.push({
      code: "unknown_field",
      line,
      field: name,
      message: `unknown field "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
    });
    return undefined;
  });
  for (const required of ["prompt", "model"] as const) {
    if (!columns.includes(required)) {
      problems.push({
        code: "required",
        line,
        field: required,
        message: `the header has no "${required}" column; every job needs a ${required}`,
      });
    }
  }
  return { line, columns, known, problems, unnamedWithValues: new Set() };
}

/** One CSV record as a raw job; undefined for a row of empty cells (e.g. ",,,"). */
function csvJob(
  cells: string[],
  header: CsvHeader,
  line: number,
  index: number,
): RawJob | undefined {
  const { columns, known } = header;
  let fields: Record<string, unknown> | undefined;
  let problems: RawProblem[] | undefined;
  for (let column = 0; column < cells.length; column += 1) {
    const cell = cells[column];
    if (cell.trim() === "") continue;
    fields ??= {};
    if (column >= columns.length) {
      problems = [{
        code: "extra_cells",
        field: null,
        message: `the row has ${cells.length} cells but the header has ${columns.length} columns`,
      }];
      break;
    }
    const field = known[column];
    if (field === undefined) {
      if (columns[column] === "") header.unnamedWithValues.add(column);
      continue;
    }
    fields[field] = field === "image" || field === "input_reference"
      ? cell.split("|").map((path) => path.trim())
      : cell;
  }
  return fields ? { index, line, value: fields, problems: problems ?? NO_PROBLEMS } : undefined;
}

/** 1-based line numbers of byte offsets, counted incrementally as offsets grow. */
class LineCounter {
  readonly #bytes: Uint8Array;
  #offset = 0;
  #line = 1;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The line of the first byte at or after `offset` that is not a line break. */
  lineOfRecordAfter(offset: number): number {
    let start = offset;
    while (
      start < this.#bytes.length && (this.#bytes[start] === 0x0a || this.#bytes[start] === 0x0d)
    ) {
      start += 1;
    }
    return this.lineAt(start);
  }

  lineAt(target: number): number {
    const bytes = this.#bytes;
    for (let i = this.#offset; i < target && i < bytes.length; i += 1) {
      const byte = bytes[i];
      if (byte === 0x0a || (byte === 0x0d && bytes[i + 1] !== 0x0a)) this.#line += 1;
    }
    this.#offset = Math.max(this.#offset, target);
    return this.#line;
  }
}

// ---------------------------------------------------------------- shared

/**
 * The candidate closest to `word` (edit distance, case-insensitive), when close enough
 * to be a likely typo.
 *
 * @param word What was written.
 * @param candidates The names it may have meant.
 * @returns The suggestion, or undefined when nothing is close.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  if (bestDistance <= allowed) return best !== word ? best : undefined;
  // A fragment of a longer name, e.g. "seedance-2-0" for "doubao-seedance-2-0".
  if (lower.length >= 4) return candidates.find((candidate) => candidate.includes(lower));
  return undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 10) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(
  file: string,
  reason: string,
  code: string,
  cause?: unknown,
  line?: number,
): never {
  throw new ManifestError(`Cannot read manifest ${file}: ${reason}`, { file, code, cause, line });
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(0);
}
