/**
 * Render-time evidence: how long the tasks of this batch took, per kind of
 * render (model, resolution, seconds), from the journal's times (the task's
 * creation to the poll that saw it end). Adaptive polling reads it to leave a
 * task alone while it is younger than the shortest render seen for its kind,
 * and how much the kind's renders vary to place a task's first poll.
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
  /** The last {@linkcode RECENT_RENDERS} renders seen, oldest first, ms. */
  recentMs?: readonly number[];
  /**
   * For the last {@linkcode RECENT_RENDERS} tasks this run polled to their
   * end: whether the first poll already saw it ended (their render then is
   * only known to be shorter than it), oldest first.
   */
  recentEndedAtFirstPoll?: readonly boolean[];
}

/** How many recent renders of a kind are kept to tell how much they vary. */
export const RECENT_RENDERS = 32;

/** Fewer recent renders than this say nothing about how much a kind's renders vary. */
export const MIN_RENDERS_FOR_SPREAD = 3;

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
  endedAtFirstPoll?: boolean,
): RenderEvidence {
  if (!Number.isFinite(renderMs) || renderMs <= 0) return evidence;
  const key = renderKindKey(kind);
  const seen = evidence.get(key);
  const next = new Map(evidence);
  const firstPolls = seen?.recentEndedAtFirstPoll ?? [];
  next.set(key, {
    shortestMs: seen === undefined ? renderMs : Math.min(seen.shortestMs, renderMs),
    count: (seen?.count ?? 0) + 1,
    recentMs: [...(seen?.recentMs ?? []), renderMs].slice(-RECENT_RENDERS),
    ...(endedAtFirstPoll === undefined && seen?.recentEndedAtFirstPoll === undefined ? {} : {
      recentEndedAtFirstPoll: endedAtFirstPoll === undefined
        ? firstPolls
        : [...firstPolls, endedAtFirstPoll].slice(-RECENT_RENDERS),
    }),
  });
  return next;
}

/**
 * The share of the kind's recent tasks whose first poll already saw them
 * ended.
 *
 * @param kind What the batch has seen of the kind, if anything.
 * @returns 0..1, or `undefined` with fewer than {@linkcode MIN_RENDERS_FOR_SPREAD} such tasks.
 */
export function endedAtFirstPollShare(kind: KindEvidence | undefined): number | undefined {
  const recent = kind?.recentEndedAtFirstPoll ?? [];
  if (recent.length < MIN_RENDERS_FOR_SPREAD) return undefined;
  return recent.filter((ended) => ended).length / recent.length;
}

/**
 * How much the renders of a kind vary: from the 10th to the 90th percentile
 * (nearest rank) of the recent ones.
 *
 * @param kind What the batch has seen of the kind, if anything.
 * @returns The spread in ms, or `undefined` with fewer than
 *   {@linkcode MIN_RENDERS_FOR_SPREAD} recent renders.
 */
export function renderSpreadMs(kind: KindEvidence | undefined): number | undefined {
  const recent = kind?.recentMs ?? [];
  if (recent.length < MIN_RENDERS_FOR_SPREAD) return undefined;
  const sorted = [...recent].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
  return rank(0.9) - rank(0.1);
}

/**
 * The evidence an earlier run of the batch left in the journal: every task
 * that ended (succeeded, downloaded or failed at the service) with both its
 * creation and its end time journaled, in the order they ended. Jobs not in
 * `jobs` (removed from the manifest) are skipped: their kind is unknown.
 *
 * @param jobs The manifest's jobs (their kinds, by id).
 * @param states The replayed journal states, by job id.
 * @returns The evidence.
 */
export function evidenceFromStates(
  jobs: readonly (RenderKind & { id: string })[],
  states: ReadonlyMap<string, JobState>,
): RenderEvidence {
  // Gathered in place, by kind key (made once per kind, not once per job):
  // the count, the shortest, and the last RECENT_RENDERS in the order they
  // ended (ties in manifest order), as withRender() over them all would give.
  const gathered = new Map<string, { shortestMs: number; count: number; recent: Ended[] }>();
  const keys = new Map<string, Map<string, Map<number, string>>>();
  for (const job of jobs) {
    const state = states.get(job.id);
    if (state === undefined || state.createdAt === undefined) continue;
    if (state.completedAt === undefined) continue;
    const endedAt = Date.parse(state.completedAt);
    const ms = endedAt - Date.parse(state.createdAt);
    if (!Number.isFinite(ms) || ms <= 0) continue;
    let byResolution = keys.get(job.model);
    if (byResolution === undefined) keys.set(job.model, byResolution = new Map());
    let bySeconds = byResolution.get(job.resolution);
    if (bySeconds === undefined) byResolution.set(job.resolution, bySeconds = new Map());
    let key = bySeconds.get(job.seconds);
    if (key === undefined) bySeconds.set(job.seconds, key = renderKindKey(job));
    const seen = gathered.get(key);
    if (seen === undefined) {
      gathered.set(key, { shortestMs: ms, count: 1, recent: [{ endedAt, ms }] });
      continue;
    }
    seen.count += 1;
    if (ms < seen.shortestMs) seen.shortestMs = ms;
    keepRecent(seen.recent, { endedAt, ms });
  }
  const evidence = new Map<string, KindEvidence>();
  for (const [key, { shortestMs, count, recent }] of gathered) {
    evidence.set(key, { shortestMs, count, recentMs: recent.map((ended) => ended.ms) });
  }
  return evidence;
}

/** A render seen in the journal: when it ended and how long it took. */
interface Ended {
  endedAt: number;
  ms: number;
}

/**
 * Keep `ended` among the last {@linkcode RECENT_RENDERS} renders by end time
 * (ascending; a later arrival ranks after an equal end time, as a stable
 * sort would place it).
 */
function keepRecent(recent: Ended[], ended: Ended): void {
  if (recent.length === RECENT_RENDERS) {
    if (ended.endedAt < recent[0].endedAt) return;
    recent.shift();
  }
  let at = recent.length;
  while (at > 0 && recent[at - 1].endedAt > ended.endedAt) at -= 1;
  recent.splice(at, 0, ended);
}
