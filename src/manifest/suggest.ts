/**
 * "Did you mean" suggestions for names a user mistyped: job fields, top-level
 * keys, models. Pure.
 *
 * @module
 */
import { JOB_FIELDS } from "./raw.ts";

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

/**
 * The message for a field that is not a job field, with the nearest job field as a hint.
 *
 * @param field The field as written.
 * @returns E.g. `unknown field "promt" (did you mean "prompt"?)`.
 */
export function unknownFieldMessage(field: string): string {
  const hint = nearest(field, JOB_FIELDS);
  return `unknown field "${field}"${hint ? ` (did you mean "${hint}"?)` : ""}`;
}
