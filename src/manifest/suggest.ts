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
  if (candidates.length === 0) return undefined;
  const best = closestByName(word, candidates);
  const bestDistance = editDistance(lower, best.toLowerCase());
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
  const close = nearest(field, JOB_FIELDS);
  if (close !== undefined) return `unknown field "${field}" (did you mean "${close}"?)`;
  // Nothing is a likely typo: still name the nearest field, and the others.
  const closest = closestByName(field, JOB_FIELDS);
  return `unknown field "${field}" (did you mean "${closest}"? known fields: ${
    JOB_FIELDS.join(", ")
  })`;
}

/**
 * The candidate nearest to `word` however far: the smallest edit distance,
 * then the longest common prefix (so "img" means "image", not "id").
 *
 * @param word What was written.
 * @param candidates The names it may have meant (at least one).
 * @returns The nearest candidate.
 */
export function closestByName(word: string, candidates: readonly string[]): string {
  const lower = word.toLowerCase();
  const score = (candidate: string): [number, number] => {
    const name = candidate.toLowerCase();
    let prefix = 0;
    while (prefix < Math.min(name.length, lower.length) && name[prefix] === lower[prefix]) prefix++;
    return [editDistance(lower, name), -prefix];
  };
  let best = candidates[0];
  let bestScore = score(best);
  for (const candidate of candidates.slice(1)) {
    const candidateScore = score(candidate);
    if (
      candidateScore[0] < bestScore[0] ||
      (candidateScore[0] === bestScore[0] && candidateScore[1] < bestScore[1])
    ) {
      best = candidate;
      bestScore = candidateScore;
    }
  }
  return best;
}
