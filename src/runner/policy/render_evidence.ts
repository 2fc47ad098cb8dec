/**
 * Render-time evidence: how long the tasks of this batch took, per kind of
 * render (model, resolution, seconds), from the journal's times (the task's
 * creation to the poll that saw it end). Adaptive polling reads it to leave a
 * task alone while it is younger than the shortest render seen for its kind.
 * Pure: built from replayed states and updated with values, never in place.
 *
 * @module
 */
import type { JobState } from "../../journal/events.ts";

/** What makes renders comparable: the same model, resolution and length. */
export interface RenderKind {
  /** The model. */
  model: string;
  /** The resolution, e.g. `720p`. */
  resolution: string;
  /** The video's length in seconds. */
  seconds: number;
}

/** What the batch has seen of one kind of render. */
export interface KindEvidence {
  /** The shortest render seen (creation to the poll that saw it end), ms. */
  shortestMs: number;
  /** How many renders were seen. */
  count: number;
}

/** Render evidence, by {@linkcode renderKindKey}. */
export type RenderEvidence = ReadonlyMap<string, KindEvidence>;

/**
 * The key of a kind of render.
 *
 * @param kind Model, resolution and seconds (a job has them).
 * @returns A key that is equal for comparable renders only.
 */
export function renderKindKey(kind: RenderKind): string {
  return JSON.stringify([kind.model, kind.resolution, kind.seconds]);
}

/**
 * The evidence with one more render seen. A duration that is not a finite
 * positive number (clocks that jumped, a corrupt time) is no evidence.
 *
 * @param evidence The evidence so far.
 * @param kind The render's kind.
 * @param renderMs How long it took, ms.
 * @returns The new evidence (the old one is unchanged).
 */
export function withRender(
  evidence: RenderEvidence,
  kind: RenderKind,
  renderMs: number,
): RenderEvidence {
  if (!Number.isFinite(renderMs) || renderMs <= 0) return evidence;
  const key = renderKindKey(kind);
  const seen = evidence.get(key);
  const next = new Map(evidence);
  next.set(key, {
    shortestMs: seen === undefined ? renderMs : Math.min(seen.shortestMs, renderMs),
    count: (seen?.count ?? 0) + 1,
  });
  return next;
}

/**
 * The evidence an earlier run of the batch left in the journal: every task
 * that ended (succeeded, downloaded or failed at the service) with both its
 * creation and its end time journaled. Jobs not in `jobs` (removed from the
 * manifest) are skipped: their kind is unknown.
 *
 * @param jobs The manifest's jobs (their kinds, by id).
 * @param states The replayed journal states, by job id.
 * @returns The evidence.
 */
export function evidenceFromStates(
  jobs: readonly (RenderKind & { id: string })[],
  states: ReadonlyMap<string, JobState>,
): RenderEvidence {
  // Gathered in place (one map, not one copy per render seen), by kind key.
  const evidence = new Map<string, { shortestMs: number; count: number }>();
  const keys = new Map<string, Map<string, Map<number, string>>>();
  for (const job of jobs) {
    const state = states.get(job.id);
    if (state === undefined || state.createdAt === undefined) continue;
    if (state.completedAt === undefined) continue;
    const ms = Date.parse(state.completedAt) - Date.parse(state.createdAt);
    if (!Number.isFinite(ms) || ms <= 0) continue;
    // The kind's key, made once per kind rather than once per job.
    let byResolution = keys.get(job.model);
    if (byResolution === undefined) keys.set(job.model, byResolution = new Map());
    let bySeconds = byResolution.get(job.resolution);
    if (bySeconds === undefined) byResolution.set(job.resolution, bySeconds = new Map());
    let key = bySeconds.get(job.seconds);
    if (key === undefined) bySeconds.set(job.seconds, key = renderKindKey(job));
    const seen = evidence.get(key);
    if (seen === undefined) evidence.set(key, { shortestMs: ms, count: 1 });
    else evidence.set(key, { shortestMs: Math.min(seen.shortestMs, ms), count: seen.count + 1 });
  }
  return evidence;
}
