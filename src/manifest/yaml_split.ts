/**
 * The lean path's first step for YAML manifests: find where each job item of
 * the common layouts starts by scanning lines, without parsing anything. Pure.
 *
 * @module
 */

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
