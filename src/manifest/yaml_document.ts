/**
 * The reference path for YAML manifests: parse the whole document with
 * js-yaml, place each job on its line, check the document's shape (a job list,
 * or `defaults:` and `jobs:`), word every error, and refuse alias bombs before
 * anything walks the tree. Pure.
 *
 * @module
 */
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import { ManifestError } from "../errors.ts";
import { MANIFEST_SCHEMA } from "./yaml_schema.ts";
import { isRecord } from "../text.ts";
import {
  JOB_FIELDS,
  type ManifestProblem,
  NO_PROBLEMS,
  type RawJob,
  type RawManifest,
  refuseManifest,
} from "./raw.ts";
import { nearest } from "./suggest.ts";

/**
 * Least number of YAML nodes aliases may expand a document to before it is
 * refused as an alias bomb; the real limit is this or the file's length,
 * whichever is larger (a document without aliases has fewer nodes than characters).
 */
const MIN_ALIAS_EXPANSION_LIMIT = 1_000_000;

/** Job items parsed one by one, standing in for the skeleton's empty `jobs:` list. */
export interface YamlItems {
  /** Each item's value. */
  values: unknown[];
  /** 1-based line of each item. */
  lines: number[];
  /** 1-based line of the `jobs:` key. */
  keyLine: number;
  /** How many lines after the key were cut out of the skeleton. */
  removedLines: number;
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
      schema: MANIFEST_SCHEMA,
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

  if (document === undefined || document === null) {
    refuseManifest(file, "it has no jobs", "manifest_empty");
  }
  if (Array.isArray(document)) {
    return {
      file,
      format: "yaml",
      jobs: rawJobs(document, positions.lines, positions.rootLine),
      problems: [],
    };
  }
  if (!isRecord(document)) {
    refuseManifest(
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
    const misspelt = Object.keys(document).find((key) =>
      key !== "defaults" && nearest(key, ["defaults", "jobs", ...JOB_FIELDS]) === "jobs"
    );
    refuseManifest(
      file,
      misspelt !== undefined
        ? `it has no "jobs:" list; "${misspelt}:" at line ${keyLine(misspelt)}: ` +
          `did you mean "jobs:"?`
        : looksLikeJob
        ? 'it holds one job, not a list; write each job as a list item ("- prompt: ...")'
        : 'it has no "jobs:" list',
      jobs === null ? "manifest_empty" : "manifest_structure",
      undefined,
      jobs === null ? keyLine("jobs") : positions.rootLine,
    );
  }
  if (!Array.isArray(jobs)) {
    refuseManifest(
      file,
      '"jobs:" must be a list of jobs',
      "manifest_structure",
      undefined,
      keyLine("jobs"),
    );
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

/**
 * Raw jobs from parsed items and their lines.
 *
 * @param values The items' values, in order.
 * @param lines The 1-based line of each item.
 * @param fallbackLine The line every job gets when `lines` does not match `values` one to one.
 * @returns The raw jobs, without problems.
 */
export function rawJobs(values: unknown[], lines: number[], fallbackLine: number): RawJob[] {
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
    refuseManifest(
      file,
      `its aliases (*name) expand it to more than ${limit} nodes; refusing a possible YAML alias bomb`,
      "manifest_alias_bomb",
    );
  }
}
