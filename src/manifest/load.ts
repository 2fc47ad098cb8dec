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
  // Passed straight through, so only parseManifest holds the bytes and can drop them early.
  return parseManifest(await readBytes(file), { file, format });
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
  const { file, format } = options;
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
  // Only YAML needs the text as a string; csv-parse reads the bytes (and reports byte offsets).
  if (format === "csv") return parseCsvManifest(bytes, file);
  const text = new TextDecoder().decode(bytes);
  bytes = new Uint8Array(); // the decoded text replaces them; let the collector have them
  return parseYaml(text, file);
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

function parseYaml(text: string, file: string): RawManifest {
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
  const jobs = document.jobs;
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
  const lines = positions.itemLines.get(jobs) ?? [];
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
    problems: [],
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

function parseCsvManifest(bytes: Uint8Array, file: string): RawManifest {
  const lines = new LineCounter(bytes);
  let previousEnd = 0;
  const startLine = (end: number): number => {
    const line = lines.lineOfRecordAfter(previousEnd);
    previousEnd = end;
    return line;
  };
  let header: CsvHeader | undefined;
  const jobs: RawJob[] = [];
  // Each record becomes a raw job as soon as it is parsed, so neither the cell arrays nor
  // csv-parse's per-record info objects pile up (100,000 of them cost more than the file).
  const onRecord = (cells: string[], context: { bytes: number }): null => {
    const line = startLine(context.bytes);
    if (header === undefined) {
      header = readCsvHeader(cells, line);
      return null;
    }
    const job = csvJob(cells, header, line, jobs.length);
    if (job) jobs.push(job);
    return null;
  };
  try {
    parseCsv(bytes, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: onRecord,
    });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ManifestError(
      `Cannot parse ${file}${line ? ` near line ${line}` : ""}: ${reason}`,
      { file, line, code: "manifest_syntax", cause: error },
    );
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
  let problems: RawProblem[] = [];
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
  return fields ? { index, line, value: fields, problems } : undefined;
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
