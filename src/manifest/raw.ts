/**
 * The raw manifest: what loading a YAML or CSV file gives, before any field
 * is judged. Shared by the loader (`load.ts` and its format modules) and the
 * validator (`validate.ts`), along with the loader's way of refusing a file.
 *
 * @module
 */
import { ManifestError } from "../errors.ts";

/** The two manifest formats, chosen by extension. */
export type ManifestFormat = "yaml" | "csv";

/** The field names a job may carry (`variants` and `matrix` are expanded away by `expand.ts`). */
export const JOB_FIELDS = [
  "id",
  "prompt",
  "model",
  "seconds",
  "size",
  "resolution",
  "image",
  "input_reference",
  "output",
  "variants",
  "matrix",
] as const;

/** A job's field name. */
export type JobField = typeof JOB_FIELDS[number];

/** A problem the loader found with one job, turned into an issue by the validator. */
export interface RawProblem {
  /** Stable machine-readable code, e.g. `extra_cells`, `unknown_field`. */
  code: string;
  /** The field at fault, or null for the job as a whole. */
  field: string | null;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** A job as written: its fields (or whatever non-mapping value stood in its place). */
export interface RawJob {
  /** 0-based position among the jobs. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /**
   * The job's fields, or the non-mapping value found instead. CSV cells are
   * strings (empty cells left out, `image` split on `|`); YAML values are as parsed.
   */
  value: unknown;
  /** Problems the loader already saw (CSV: cells beyond the header). */
  problems: RawProblem[];
  /** For a job expanded from an entry with `variants` or `matrix`: how it was made. */
  fanout?: Fanout;
}

/** How an expanded job was made from its entry (see `expand.ts`). */
export interface Fanout {
  /** Appended to the entry's given id: `-<value>..-v<k>`. */
  idSuffix: string;
  /** Appended to an id derived from content: `-v<k>` with variants, else empty. */
  derivedSuffix: string;
  /** The combination in words, for messages, e.g. `matrix size="16:9", variant 2 of 3`. */
  combination: string;
}

/** A problem with the manifest as a whole that still lets its jobs be read. */
export interface ManifestProblem {
  /** Stable machine-readable code, e.g. `unknown_key`, `duplicate_column`. */
  code: string;
  /** 1-based line of the problem, when known. */
  line: number | null;
  /** The key or column at fault, when there is one. */
  field: string | null;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** A manifest read into raw jobs. */
export interface RawManifest {
  /** The file as named by the caller (used in messages). */
  file: string;
  /** Whether the file was read as YAML or CSV. */
  format: ManifestFormat;
  /** YAML `defaults:`, with the line of the key; undefined when absent. */
  defaults?: { line: number; value: unknown };
  /** The jobs, in manifest order. */
  jobs: RawJob[];
  /** Manifest-level problems (unknown top-level keys, bad CSV header cells). */
  problems: ManifestProblem[];
  /** How many entries the file holds, set once `variants` and `matrix` are expanded. */
  entries?: number;
  /** Whether any entry has `variants` or `matrix` (set by the expansion). */
  fannedOut?: boolean;
}

/** The problems of a job the loader found nothing wrong with (shared, frozen: never pushed to). */
export const NO_PROBLEMS: RawProblem[] = Object.freeze([]) as unknown as RawProblem[];

/** A manifest's bytes, taken out (and the box emptied) by whoever decodes them. */
export interface ManifestSource {
  /** The file's content, until it is decoded. */
  bytes?: Uint8Array;
}

/**
 * Refuse a file that cannot be read as a manifest.
 *
 * @param file The manifest as named by the caller.
 * @param reason Why, completing "Cannot read manifest <file>: ".
 * @param code The error's code, e.g. `manifest_empty`.
 * @param cause The underlying error, if any.
 * @param line The 1-based line at fault, when known.
 * @throws {ManifestError} Always.
 */
export function refuseManifest(
  file: string,
  reason: string,
  code: string,
  cause?: unknown,
  line?: number,
): never {
  throw new ManifestError(`Cannot read manifest ${file}: ${reason}`, { file, code, cause, line });
}
