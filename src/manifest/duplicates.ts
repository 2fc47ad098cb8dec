/**
 * Jobs that clash: duplicate ids, and outputs that would land on the same
 * file (compared without case), are errors on every job involved. Pure.
 *
 * What the checks need of each job is kept in a {@linkcode JobKeys} as the
 * jobs are checked (its id, line, and output when that is not derived from
 * the id alone), so a caller that only counts the jobs never holds them.
 *
 * @module
 */
import type { Job } from "./job.ts";
import type { RawProblem } from "./raw.ts";
import { type Draft, draftOf, ID_GIVEN, isDraft, OUTPUT_GIVEN, outputOf } from "./draft.ts";

/** The most jobs {@linkcode JobKeys.reserve} makes room for at once. */
const MAX_RESERVED_JOBS = 4_000_000;

/** The most id characters {@linkcode JobKeys.reserve} makes room for at once. */
const MAX_RESERVED_CHARS = 64 * 1024 * 1024;

/** Ids whose derived output name is already lower-case as it is. */
const LOWER_SAFE = /^[a-z0-9_][a-z0-9_.-]*$/;

/**
 * What the clash checks read of each job, by 0-based index: its id (none for
 * a job that is not a mapping), its line, whether its id and output were
 * written, and its output unless that is `videos/<id>.mp4` with the id
 * already a lower-case safe name (the common case, kept as nothing).
 *
 * The ids are kept as their characters in one typed array, with a hash of
 * each, so 1,000,000 ids are not 1,000,000 strings for the garbage collector
 * to copy and walk. Repeated ids are found at the end by sorting the hashes:
 * every array here is written and read in order, never at random (on a
 * virtual machine a random read of a large table costs far more than a
 * sort).
 */
export class JobKeys {
  /**
   * The ids themselves, for a caller that holds its jobs (and so their ids)
   * anyway; undefined when the ids are kept as characters.
   */
  readonly #strings: (string | undefined)[] | undefined;
  /** Every id's characters, one after the other (one byte each until a wider one comes). */
  #chars: Uint8Array | Uint16Array = new Uint8Array(1 << 16);
  #used = 0;
  /** Per job: where its id starts in `#chars`. */
  #start = new Int32Array(1024);
  /** Per job: its id's length + 1; 0 when it has none (not a mapping, or not added yet). */
  #size = new Int32Array(1024);
  /** Per job: a hash of its id (FNV-1a of its UTF-16 code units). */
  #hash = new Uint32Array(1024);
  #lines = new Int32Array(1024);
  #given = new Uint8Array(1024);
  /** The outputs of jobs whose output is not derived from a plain id alone. */
  #outputs: (string | undefined)[] | undefined;
  #count = 0;

  /**
   * @param options `strings`: keep each id as the string it is (for a caller
   * holding every job, and so every id, anyway) rather than copying its characters.
   */
  constructor(options: { strings?: boolean } = {}) {
    this.#strings = options.strings ? [] : undefined;
  }

  /** How many jobs: one more than the highest index added. */
  get count(): number {
    return this.#count;
  }

  /**
   * Keep a job's keys (jobs may come in any order).
   *
   * @param job The job's index, line, id, safe id, values (for its output), whether it
   * is a mapping, and its {@linkcode ID_GIVEN} and {@linkcode OUTPUT_GIVEN} bits.
   */
  add(job: {
    index: number;
    line: number;
    id: string;
    safeId: string;
    values: { output?: string };
    readable: boolean;
    given: number;
  }): void {
    const at = job.index;
    if (at >= this.#lines.length) this.#grow(at);
    if (at >= this.#count) this.#count = at + 1;
    this.#lines[at] = job.line;
    this.#given[at] = job.given;
    if (!job.readable) return;
    const id = job.id;
    this.#addId(at, id);
    const plain = (job.given & OUTPUT_GIVEN) === 0 && job.safeId === id && LOWER_SAFE.test(id);
    if (!plain) {
      const outputs = this.#outputs ??= [];
      while (outputs.length <= at) outputs.push(undefined);
      outputs[at] = outputOf(job.values, job.safeId);
    }
  }

  /** Whether the job at `at` has an id to compare (it is a mapping). */
  hasId(at: number): boolean {
    return this.#size[at] !== 0;
  }

  /** The id of the job at `at`; undefined when it is not a mapping. */
  idAt(at: number): string | undefined {
    const size = this.#size[at] - 1;
    if (size < 0) return undefined;
    if (this.#strings) return this.#strings[at];
    const start = this.#start[at];
    const chars = this.#chars;
    let text = "";
    for (let from = start; from < start + size; from += 4096) {
      text += String.fromCharCode(...chars.subarray(from, Math.min(from + 4096, start + size)));
    }
    return text;
  }

  /** The line of the job at `at`. */
  lineAt(at: number): number {
    return this.#lines[at];
  }

  /** Whether the job at `at` wrote its id or output (see {@linkcode ID_GIVEN}). */
  givenAt(at: number): number {
    return this.#given[at];
  }

  /** The output of the job at `at` when it is not `videos/<id>.mp4` of a plain id. */
  outputAt(at: number): string | undefined {
    return this.#outputs?.[at];
  }

  /**
   * The jobs sharing an id, in groups of two or more, each in manifest order.
   * The hashes are sorted to find those that repeat; only the jobs with a
   * repeated hash have their ids compared.
   *
   * @returns The groups, by the first job of each.
   */
  repeatedIds(): number[][] {
    const count = this.#count;
    const size = this.#size;
    const hash = this.#hash;
    let ids = 0;
    for (let at = 0; at < count; at += 1) if (size[at] !== 0) ids += 1;
    const sorted = new Uint32Array(ids);
    for (let at = 0, next = 0; at < count; at += 1) if (size[at] !== 0) sorted[next++] = hash[at];
    sorted.sort();
    let repeated: Set<number> | undefined;
    for (let i = 1; i < sorted.length; i += 1) {
      if (sorted[i] === sorted[i - 1]) (repeated ??= new Set()).add(sorted[i]);
    }
    if (repeated === undefined) return [];
    const byId = new Map<string, number[]>();
    for (let at = 0; at < count; at += 1) {
      if (size[at] === 0 || !repeated.has(hash[at])) continue;
      const id = this.idAt(at) as string;
      const group = byId.get(id);
      if (group) group.push(at);
      else byId.set(id, [at]);
    }
    return [...byId.values()].filter((group) => group.length > 1);
  }

  /** Keep an id's characters (or the id itself) and its hash. */
  #addId(at: number, id: string): void {
    const length = id.length;
    const strings = this.#strings;
    if (strings) {
      while (strings.length <= at) strings.push(undefined);
      strings[at] = id;
      this.#size[at] = length + 1;
      this.#hash[at] = hashOf(id);
      return;
    }
    if (this.#used + length > this.#chars.length) this.#growChars(this.#used + length);
    let chars = this.#chars;
    let narrow = chars instanceof Uint8Array;
    const start = this.#used;
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i += 1) {
      const unit = id.charCodeAt(i);
      if (unit > 0xff && narrow) {
        chars = this.#widen();
        narrow = false;
      }
      chars[start + i] = unit;
      hash = Math.imul(hash ^ unit, 0x01000193);
    }
    this.#used += length;
    this.#start[at] = start;
    this.#size[at] = length + 1;
    this.#hash[at] = hash;
  }

  /**
   * Make room for about `jobs` jobs at once (a guess from the part of the file
   * read so far), so the keys are not copied again and again as they grow.
   * Room never touched costs no memory.
   *
   * @param jobs How many jobs are expected.
   */
  reserve(jobs: number): void {
    // A guess gone wild (short rows first, long ones after) is capped: past it they grow as usual.
    const expected = Math.min(jobs, MAX_RESERVED_JOBS);
    if (expected > this.#lines.length) this.#resize(expected);
    const perId = this.#count > 0 ? this.#used / this.#count : 0;
    const chars = Math.min(Math.ceil(perId * expected * 1.1), MAX_RESERVED_CHARS);
    if (chars > this.#chars.length) this.#growChars(chars);
  }

  /** Make room for the per-job keys of index `at`. */
  #grow(at: number): void {
    let size = this.#lines.length * 2;
    while (size <= at) size *= 2;
    this.#resize(size);
  }

  #resize(size: number): void {
    const grown = <T extends Int32Array | Uint32Array | Uint8Array>(old: T, made: T): T => {
      made.set(old);
      return made;
    };
    this.#start = grown(this.#start, new Int32Array(size));
    this.#size = grown(this.#size, new Int32Array(size));
    this.#hash = grown(this.#hash, new Uint32Array(size));
    this.#lines = grown(this.#lines, new Int32Array(size));
    this.#given = grown(this.#given, new Uint8Array(size));
  }

  /** Make room for `needed` characters in all. */
  #growChars(needed: number): void {
    let size = this.#chars.length * 2;
    while (size < needed) size *= 2;
    const chars = this.#chars instanceof Uint8Array ? new Uint8Array(size) : new Uint16Array(size);
    chars.set(this.#chars.subarray(0, this.#used));
    this.#chars = chars;
  }

  /** Switch to two bytes a character (an id holds a character above U+00FF). */
  #widen(): Uint16Array {
    const chars = new Uint16Array(this.#chars.length);
    chars.set(this.#chars);
    this.#chars = chars;
    return chars;
  }
}

/**
 * The jobs that clash with others: duplicate ids, and outputs that would
 * land on the same file (compared without case). A job clashes in one way
 * at most (a job sharing its id is not looked at for its output).
 *
 * @param keys Every job's keys.
 * @returns The problem of each job involved, by index.
 */
export function findClashes(keys: JobKeys): Map<number, RawProblem> {
  const clashes = new Map<number, RawProblem>();
  const count = keys.count;
  const linesOf = (group: number[], at: number): string =>
    joinLines(group.filter((other) => other !== at).map((other) => keys.lineAt(other)));
  const duplicated = new Set<number>();
  for (const group of keys.repeatedIds()) {
    for (const at of group) {
      duplicated.add(at);
      const id = keys.idAt(at) as string;
      const others = linesOf(group, at);
      clashes.set(
        at,
        (keys.givenAt(at) & ID_GIVEN) !== 0
          ? {
            code: "duplicate_id",
            field: "id",
            message: `id "${id}" is also used by the job at ${others}`,
          }
          : {
            code: "duplicate_id",
            field: null,
            message:
              `this job is identical to the job at ${others} (same derived id "${id}"); give each an id field`,
          },
      );
    }
  }
  // Compared without case: on macOS and Windows `A.mp4` and `a.mp4` are one file. A job
  // whose output comes from a lower-case id that is already a safe name can share it only
  // with a job whose output does not (equal ids were flagged above), so only those others
  // are mapped, and the common jobs are looked up in that (usually empty) map.
  const byOutput = new Map<string, number[]>();
  for (let at = 0; at < count; at += 1) {
    const output = keys.outputAt(at);
    if (output === undefined || !keys.hasId(at) || duplicated.has(at)) continue;
    const key = output.toLowerCase();
    const group = byOutput.get(key);
    if (group) group.push(at);
    else byOutput.set(key, [at]);
  }
  if (byOutput.size > 0) {
    for (let at = 0; at < count; at += 1) {
      if (keys.hasId(at) && keys.outputAt(at) === undefined && !duplicated.has(at)) {
        byOutput.get(outputOf({}, keys.idAt(at) as string))?.push(at);
      }
    }
  }
  for (const group of byOutput.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => a - b);
    for (const at of group) {
      const output = keys.outputAt(at) ?? outputOf({}, keys.idAt(at) as string);
      clashes.set(at, {
        code: "duplicate_output",
        field: (keys.givenAt(at) & OUTPUT_GIVEN) !== 0 ? "output" : "id",
        message: `output ${output} is also used by the job at ${linesOf(group, at)}`,
      });
    }
  }
  return clashes;
}

/**
 * Duplicate ids, and outputs that would land on the same file, are errors on
 * every job involved (their entries become drafts carrying the problem).
 *
 * @param entries The jobs in manifest order; a clean job involved is replaced by its draft.
 * @param keys Every job's keys (see {@linkcode JobKeys}).
 */
export function flagDuplicates(entries: (Job | Draft)[], keys: JobKeys): void {
  for (const [at, problem] of findClashes(keys)) toDraft(entries, at).problems.push(problem);
}

/** The entry at `at` as a draft, replacing a clean job's entry by its draft. */
function toDraft(entries: (Job | Draft)[], at: number): Draft {
  const entry = entries[at];
  if (isDraft(entry)) return entry;
  const draft = draftOf(entry);
  entries[at] = draft;
  return draft;
}

function joinLines(lines: number[]): string {
  if (lines.length === 1) return `line ${lines[0]}`;
  return `lines ${lines.slice(0, -1).join(", ")} and ${lines[lines.length - 1]}`;
}

/** FNV-1a of a string's UTF-16 code units (a table index, not a digest). */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < text.length; at += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(at), 0x01000193);
  }
  return hash >>> 0;
}
