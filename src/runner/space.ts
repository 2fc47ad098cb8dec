/**
 * Free disk space for the videos of one run, measured (`statfs`) only now
 * and then: once per folder, then again when the bytes admitted since reach
 * a step, when the estimate comes near the reserve, or after a while (other
 * programs write too). Between measures the free space is estimated as the
 * last measure less every byte admitted since, which can only be lower than
 * the truth for this run's own writes. A statfs per video was 3% of a run's
 * samples (bench/NOTES.md).
 *
 * @module
 */
import { statfs } from "node:fs/promises";

/** Space of a file system, in bytes. */
export interface DiskSpace {
  /** Free for an unprivileged writer. */
  free: number;
  /** The file system's size. */
  total: number;
}

/** The default space kept free beside a video (on a file system of 640 MiB or more). */
export const DEFAULT_RESERVE_BYTES = 64 * 1024 ** 2;

/**
 * The space kept free beside a video: {@linkcode DEFAULT_RESERVE_BYTES},
 * or a tenth of a file system too small for that (a small tmpfs, a quota).
 *
 * @param total The file system's size.
 * @returns The reserve in bytes.
 */
export function reserveFor(total: number): number {
  return Math.min(DEFAULT_RESERVE_BYTES, Math.floor(total / 10));
}

/**
 * The free (for an unprivileged writer) and total bytes of the file system
 * holding `folder` (`statfs`), or undefined when the platform does not tell.
 *
 * @param folder A folder that exists.
 * @returns The space, or undefined.
 */
export async function diskSpace(folder: string): Promise<DiskSpace | undefined> {
  try {
    const stats = await statfs(folder);
    const free = Number(stats.bavail) * Number(stats.bsize);
    const total = Number(stats.blocks) * Number(stats.bsize);
    return Number.isFinite(free) && Number.isFinite(total) ? { free, total } : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes admitted between two measures at most (and the margin above the reserve). @default */
export const RECHECK_BYTES = 64 * 1024 ** 2;

/** The longest an estimate is trusted, ms. */
export const RECHECK_MS = 5_000;

/** Options of a {@linkcode SpaceGauge}. */
export interface SpaceGaugeOptions {
  /** Measures a folder's file system. @default {@linkcode diskSpace} */
  diskSpace?: (folder: string) => Promise<DiskSpace | undefined>;
  /** Bytes kept free. @default {@linkcode reserveFor} the file system's size */
  reserveBytes?: number;
  /** Measure again once this many bytes were admitted, or within this of the reserve. */
  recheckBytes?: number;
  /** Measure again after this long, ms. */
  recheckMs?: number;
  /** The clock of `recheckMs`. @default performance.now */
  now?: () => number;
}

/** Why a write was refused: what the measure or the estimate said. */
export interface SpaceRefusal {
  /** Free bytes (measured or estimated). */
  free: number;
  /** Bytes kept in reserve. */
  reserve: number;
}

interface Measure {
  space: DiskSpace | undefined;
  /** The gauge's admitted-bytes count when measured. */
  admittedAt: number;
  /** When measured (`now()`). */
  at: number;
}

/** Decides whether a write of N more bytes leaves the reserve free. */
export class SpaceGauge {
  readonly #diskSpace: (folder: string) => Promise<DiskSpace | undefined>;
  readonly #reserveBytes?: number;
  readonly #recheckBytes: number;
  readonly #recheckMs: number;
  readonly #now: () => number;
  readonly #measures = new Map<string, Measure>();
  #admitted = 0;
  #measured = 0;

  /** @param options Injected measure, reserve and thresholds. */
  constructor(options: SpaceGaugeOptions = {}) {
    this.#diskSpace = options.diskSpace ?? diskSpace;
    this.#reserveBytes = options.reserveBytes;
    this.#recheckBytes = options.recheckBytes ?? RECHECK_BYTES;
    this.#recheckMs = options.recheckMs ?? RECHECK_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** How many times the free space was measured. */
  get measures(): number {
    return this.#measured;
  }

  /**
   * Admit `needed` more bytes into `folder` when they leave the reserve free.
   *
   * @param folder The folder written to (it exists).
   * @param needed Bytes about to be written.
   * @returns `undefined` when admitted (or the platform does not tell the
   *   space), else the free space and reserve that refused it.
   */
  async admit(folder: string, needed: number): Promise<SpaceRefusal | undefined> {
    let measure = this.#measures.get(folder);
    if (measure === undefined || this.#stale(measure, needed)) {
      measure = {
        space: await this.#diskSpace(folder),
        admittedAt: this.#admitted,
        at: this.#now(),
      };
      this.#measured += 1;
      this.#measures.set(folder, measure);
    }
    if (measure.space === undefined) return undefined;
    const free = this.#estimate(measure);
    const reserve = this.#reserve(measure.space);
    if (needed + reserve > free) return { free, reserve };
    this.#admitted += needed;
    return undefined;
  }

  #estimate(measure: Measure): number {
    return (measure.space?.free ?? 0) - (this.#admitted - measure.admittedAt);
  }

  #reserve(space: DiskSpace): number {
    return this.#reserveBytes ?? reserveFor(space.total);
  }

  /** Whether `measure` is too old or too close to the reserve to decide on. */
  #stale(measure: Measure, needed: number): boolean {
    if (this.#now() - measure.at >= this.#recheckMs) return true;
    if (this.#admitted - measure.admittedAt + needed >= this.#recheckBytes) return true;
    if (measure.space === undefined) return false;
    const left = this.#estimate(measure) - needed - this.#reserve(measure.space);
    return left < this.#recheckBytes;
  }
}
