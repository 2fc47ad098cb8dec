/**
 * The model rules the validator enforces, kept as data in one place
 * (CONTRACT.md "Model rules"). A `--models FILE` can extend or override it.
 *
 * @module
 */

/** The rules for one model. */
export interface ModelRule {
  /** Allowed `seconds`, inclusive integer range. */
  seconds: { min: number; max: number };
  /** Allowed `resolution` words. */
  resolutions: string[];
  /** How many reference images a job may carry; 0 means images are rejected. */
  maxImages: number;
}

/** Model name to its rules. */
export type Catalog = Readonly<Record<string, ModelRule>>;

/** `size` values every model accepts. */
export const SIZES: readonly string[] = ["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"];

/** Defaults for fields a job leaves out. */
export const JOB_DEFAULTS = { seconds: 5, size: "16:9", resolution: "720p" } as const;

/** Upstream provider's image limits, checked as warnings only. */
export const IMAGE_LIMITS = {
  maxBytes: 30 * 1024 * 1024,
  minSide: 300,
  maxSide: 6000,
  minAspect: 0.4,
  maxAspect: 2.5,
} as const;

/** The built-in catalog (CONTRACT.md's table). */
export const DEFAULT_CATALOG: Catalog = {
  "doubao-seedance-2-0": {
    seconds: { min: 4, max: 15 },
    resolutions: ["480p", "720p"],
    maxImages: 9,
  },
  "doubao-seedance-2-0-fast": {
    seconds: { min: 4, max: 15 },
    resolutions: ["480p", "720p"],
    maxImages: 9,
  },
  "doubao-seedance-1-5-pro": {
    seconds: { min: 4, max: 12 },
    resolutions: ["480p", "720p", "1080p"],
    maxImages: 0,
  },
  "doubao-seedance-1-0-pro": {
    seconds: { min: 2, max: 10 },
    resolutions: ["480p", "720p", "1080p"],
    maxImages: 0,
  },
};

/**
 * The rules of a model named by user text. An own-property lookup, so a name
 * such as `toString` or `__proto__` is just a model the catalog lacks.
 *
 * @param catalog The catalog.
 * @param model The model's name as written.
 * @returns Its rules, or undefined when the catalog has no such model.
 */
export function modelRule(catalog: Catalog, model: string): ModelRule | undefined {
  return Object.hasOwn(catalog, model) ? catalog[model] : undefined;
}

/**
 * Overlay `override` on `base`: models named in the override replace the
 * base's rules field by field; new models are added.
 *
 * @param base The catalog to start from.
 * @param override Partial rules per model, already validated.
 * @returns A new catalog.
 */
export function mergeCatalog(
  base: Catalog,
  override: Readonly<Record<string, Partial<ModelRule>>>,
): Catalog {
  const merged = new Map(Object.entries(base));
  for (const [model, rule] of Object.entries(override)) {
    const previous = modelRule(base, model);
    merged.set(model, {
      seconds: rule.seconds ?? previous?.seconds ?? { min: 1, max: 60 },
      resolutions: rule.resolutions ?? previous?.resolutions ?? [],
      maxImages: rule.maxImages ?? previous?.maxImages ?? 0,
    });
  }
  // fromEntries defines own properties, so a model named `__proto__` stays a model.
  return Object.fromEntries(merged);
}
