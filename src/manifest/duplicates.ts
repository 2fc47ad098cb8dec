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
import { type Draft, draftOf, ID_GIVEN, isDraft, OUTPUT_GIVEN } from "./draft.ts";

/** Ids whose derived output name is already lower-case as it is. */
const LOWER_SAFE = /^[a-z0-9_][a-z0-9_.-]*$/;

/**
 * What the clash checks read of each job, by 0-based index: its id (none for
 * a job that is not a mapping), its line, whether its id and output were
 * written, and its output unless that is `videos/<id>.mp4` with the id
 * already a lower-case safe name (the common case, kept as nothing).
 */
export class JobKeys {
  /** The ids; undefined for a job that is not a mapping (and for one not added yet). */
  #ids: (string | undefined)[] = [];
  /** The outputs of jobs whose output is not derived from a plain id alone. */
  #outputs: (string | undefined)[] = [];
  #lines = new Int32Array(1024);
  #given = new Uint8Array(1024);
  #count = 0;

  /** How many jobs: one more than the highest index added. */
  get count(): number {
    return this.#count;
  }

  /**
   * Keep a job's keys (jobs may come in any order).
   *
   * @param job The job's index, line, id, safe id, output, whether it is a mapping,
   * and its {@linkcode ID_GIVEN} and {@linkcode OUTPUT_GIVEN} bits.
   */
  add(job: {
    index: number;
    line: number;
    id: string;
    safeId: string;
    output: string;
    readable: boolean;
    given: number;
  }): void {
    const at = job.index;
    const ids = this.#ids;
    const outputs = this.#outputs;
    // Filled up to the index, so the lists stay packed whatever order the jobs come in.
    while (ids.length <= at) {
      ids.push(undefined);
      outputs.push(undefined);
    }
    if (at >= this.#lines.length) {
      let size = this.#lines.length * 2;
      while (size <= at) size *= 2;
      const lines = new Int32Array(size);
      lines.set(this.#lines);
      this.#lines = lines;
      const given = new Uint8Array(size);
      given.set(this.#given);
      this.#given = given;
    }
    if (at >= this.#count) this.#count = at + 1;
    this.#lines[at] = job.line;
    this.#given[at] = job.given;
    if (!job.readable) return;
    ids[at] = job.id;
    const plain = (job.given & OUTPUT_GIVEN) === 0 && job.safeId === job.id &&
      LOWER_SAFE.test(job.id);
    if (!plain) outputs[at] = job.output;
  }

  /** The id of the job at `at`; undefined when it is not a mapping. */
  idAt(at: number): string | undefined {
    return this.#ids[at];
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
    return this.#outputs[at];
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
  for (const group of groups(count, (at) => keys.idAt(at))) {
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
    if (output === undefined || keys.idAt(at) === undefined || duplicated.has(at)) continue;
    const key = output.toLowerCase();
    const group = byOutput.get(key);
    if (group) group.push(at);
    else byOutput.set(key, [at]);
  }
  if (byOutput.size > 0) {
    for (let at = 0; at < count; at += 1) {
      const id = keys.idAt(at);
      if (id !== undefined && keys.outputAt(at) === undefined && !duplicated.has(at)) {
        byOutput.get(plainOutput(id))?.push(at);
      }
    }
  }
  for (const group of byOutput.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => a - b);
    for (const at of group) {
      const output = keys.outputAt(at) ?? plainOutput(keys.idAt(at) as string);
      clashes.set(at, {
        code: "duplicate_output",
        field: (keys.givenAt(at) & OUTPUT_GIVEN) !== 0 ? "output" : "id",
        message: `output ${output} is also used by the job at ${linesOf(group, at)}`,
      });
    }
  }
  return clashes;
}

/** The output of a job whose id is a plain name and which names no output. */
function plainOutput(id: string): string {
  return `videos/${id}.mp4`;
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

/**
 * Positions sharing a key, in groups of two or more (undefined keys are left
 * out), each group in ascending order. The keys are first put in an
 * open-addressing table of positions (a typed array, which the garbage
 * collector never walks, instead of a set of 1,000,000 strings); positions
 * are grouped only for keys that turn out to repeat.
 */
function groups(count: number, key: (at: number) => string | undefined): number[][] {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  const mask = capacity - 1;
  const table = new Int32Array(capacity); // position + 1; 0 for an empty slot
  let repeated: Set<string> | undefined;
  for (let at = 0; at < count; at += 1) {
    const k = key(at);
    if (k === undefined) continue;
    for (let slot = hashOf(k) & mask;; slot = (slot + 1) & mask) {
      const held = table[slot];
      if (held === 0) {
        table[slot] = at + 1;
        break;
      }
      if (key(held - 1) === k) {
        (repeated ??= new Set()).add(k);
        break;
      }
    }
  }
  if (repeated === undefined) return [];
  const shared = new Map<string, number[]>();
  for (let at = 0; at < count; at += 1) {
    const k = key(at);
    if (k === undefined || !repeated.has(k)) continue;
    const group = shared.get(k);
    if (group) group.push(at);
    else shared.set(k, [at]);
  }
  return [...shared.values()];
}

/** FNV-1a of a string's UTF-16 code units (a table index, not a digest). */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < text.length; at += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(at), 0x01000193);
  }
  return hash >>> 0;
}
