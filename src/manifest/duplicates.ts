/**
 * Jobs that clash: duplicate ids, and outputs that would land on the same
 * file (compared without case), are errors on every job involved. Pure.
 *
 * @module
 */
import type { Job } from "./job.ts";
import { type Draft, draftOf, ID_GIVEN, isDraft, OUTPUT_GIVEN } from "./draft.ts";

/** Ids whose derived output name is already lower-case as it is. */
const LOWER_SAFE = /^[a-z0-9_][a-z0-9_.-]*$/;

/**
 * Duplicate ids, and outputs that would land on the same file, are errors on
 * every job involved (their entries become drafts carrying the problem).
 *
 * @param entries The jobs in manifest order; a clean job involved is replaced by its draft.
 * @param given The id and output bits per job index (see `draft.ts`).
 */
export function flagDuplicates(entries: (Job | Draft)[], given: Uint8Array): void {
  const readable = (entry: Job | Draft): boolean => !isDraft(entry) || entry.readable;
  const byId = groups(entries, (entry) => readable(entry) ? entry.id : undefined);
  const duplicated = new Set<number>();
  for (const group of byId) {
    const drafts = group.map((at) => toDraft(entries, at));
    for (const draft of drafts) {
      duplicated.add(draft.index);
      const others = linesOf(drafts.filter((other) => other !== draft));
      draft.problems.push(
        (given[draft.index] & ID_GIVEN) !== 0
          ? {
            code: "duplicate_id",
            field: "id",
            message: `id "${draft.id}" is also used by the job at ${others}`,
          }
          : {
            code: "duplicate_id",
            field: null,
            message:
              `this job is identical to the job at ${others} (same derived id "${draft.id}"); give each an id field`,
          },
      );
    }
  }
  // Compared without case: on macOS and Windows `A.mp4` and `a.mp4` are one file. A job
  // whose output comes from a lower-case id that is already a safe name can share it only
  // with a job whose output does not (equal ids were flagged above), so only those others
  // are mapped, and the common jobs are looked up in that (usually empty) map.
  const plain = (entry: Job | Draft, at: number): boolean =>
    (given[at] & OUTPUT_GIVEN) === 0 && entry.safeId === entry.id && LOWER_SAFE.test(entry.id);
  const byOutput = new Map<string, number[]>();
  for (let at = 0; at < entries.length; at += 1) {
    const entry = entries[at];
    if (!readable(entry) || duplicated.has(at) || plain(entry, at)) continue;
    const key = entry.output.toLowerCase();
    const group = byOutput.get(key);
    if (group) group.push(at);
    else byOutput.set(key, [at]);
  }
  if (byOutput.size > 0) {
    for (let at = 0; at < entries.length; at += 1) {
      const entry = entries[at];
      if (readable(entry) && !duplicated.has(at) && plain(entry, at)) {
        byOutput.get(entry.output)?.push(at);
      }
    }
  }
  for (const group of byOutput.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => a - b);
    const drafts = group.map((at) => toDraft(entries, at));
    for (const draft of drafts) {
      const others = linesOf(drafts.filter((other) => other !== draft));
      draft.problems.push({
        code: "duplicate_output",
        field: (given[draft.index] & OUTPUT_GIVEN) !== 0 ? "output" : "id",
        message: `output ${draft.output} is also used by the job at ${others}`,
      });
    }
  }
}

/** The entry at `at` as a draft, replacing a clean job's entry by its draft. */
function toDraft(entries: (Job | Draft)[], at: number): Draft {
  const entry = entries[at];
  if (isDraft(entry)) return entry;
  const draft = draftOf(entry);
  entries[at] = draft;
  return draft;
}

function linesOf(drafts: Draft[]): string {
  const lines = drafts.map((draft) => draft.line);
  if (lines.length === 1) return `line ${lines[0]}`;
  return `lines ${lines.slice(0, -1).join(", ")} and ${lines[lines.length - 1]}`;
}

/**
 * Positions of entries sharing a key, in groups of two or more (undefined keys
 * are left out). The keys are first put in an open-addressing table of
 * positions (a typed array, which the garbage collector never walks, instead
 * of a set of 1,000,000 strings); positions are grouped only for keys that
 * turn out to repeat.
 */
function groups(
  entries: (Job | Draft)[],
  key: (entry: Job | Draft, at: number) => string | undefined,
): number[][] {
  let capacity = 16;
  while (capacity < entries.length * 2) capacity *= 2;
  const mask = capacity - 1;
  const table = new Int32Array(capacity); // position + 1; 0 for an empty slot
  let repeated: Set<string> | undefined;
  for (let at = 0; at < entries.length; at += 1) {
    const k = key(entries[at], at);
    if (k === undefined) continue;
    for (let slot = hashOf(k) & mask;; slot = (slot + 1) & mask) {
      const held = table[slot];
      if (held === 0) {
        table[slot] = at + 1;
        break;
      }
      if (key(entries[held - 1], held - 1) === k) {
        (repeated ??= new Set()).add(k);
        break;
      }
    }
  }
  if (repeated === undefined) return [];
  const shared = new Map<string, number[]>();
  for (let at = 0; at < entries.length; at += 1) {
    const k = key(entries[at], at);
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
