/**
 * Seeded pseudo-random numbers for the simulator, so that a run with the same
 * seed and the same sequence of requests makes the same decisions.
 *
 * @module
 */

/** A source of numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * Create a mulberry32 generator: tiny, fast and good enough for a fault model.
 *
 * @param seed Any 32-bit integer (other numbers are truncated).
 * @returns A function returning the next number in [0, 1) on each call.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derive an independent seed for one concern (ids, render times, faults) from
 * the simulator's seed, so enabling one fault does not shift every other draw.
 *
 * @param seed The simulator's seed.
 * @param stream A name for the concern.
 * @returns A 32-bit seed.
 */
export function deriveSeed(seed: number, stream: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < stream.length; i++) {
    hash = Math.imul(hash ^ stream.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Whether an event of probability `p` happens. Draws nothing when `p` is 0 or
 * 1, so a fault that is off (or always on) leaves the sequence untouched.
 *
 * @param random The generator to draw from.
 * @param p A probability; values outside [0, 1] are clamped.
 * @returns True when the event happens.
 */
export function chance(random: Random, p: number | undefined): boolean {
  if (p === undefined || !(p > 0)) return false;
  if (p >= 1) return true;
  return random() < p;
}

/**
 * An integer in `[min, max]`, inclusive.
 *
 * @param random The generator to draw from.
 * @param min Lower bound.
 * @param max Upper bound (at least `min`).
 * @returns The drawn integer.
 */
export function between(random: Random, min: number, max: number): number {
  if (max <= min) return min;
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * One element of a non-empty list.
 *
 * @param random The generator to draw from.
 * @param items The choices.
 * @returns The chosen element.
 */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))];
}
