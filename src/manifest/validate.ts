/**
 * Manifest validation: raw jobs and the model catalog to typed jobs with
 * stable ids and fingerprints, and every problem found, all at once, each
 * with its job, line and field.
 *
 * - {@linkcode validateRawManifest} is pure: it takes what the images'
 *   files turned out to be as a lookup, so it never touches the disk.
 * - {@linkcode validateManifest} is the shell: it loads the file, reads the
 *   referenced images once each, then calls the pure part.
 *
 * A file that cannot be read as a manifest at all (missing, binary, syntax
 * error, alias bomb, no job list) makes {@linkcode validateManifest} throw
 * `ManifestError` (src/errors.ts); everything else comes back as issues.
 *
 * An error of the manifest as a whole (a bad `defaults:` value, an unknown
 * CSV column or top-level key) makes every job invalid, since none of their
 * settings can be trusted; each job then carries a `manifest_invalid` issue
 * naming the line to fix (in `invalid[].issues`, not repeated in `errors`).
 *
 * The pieces: `fields.ts` reads and checks one job's fields against the
 * catalog, `draft.ts` turns a raw job into a job or a draft with problems,
 * `duplicates.ts` flags clashing ids and outputs, `issues.ts` shapes the
 * problems as issues, and `suggest.ts` offers the "did you mean".
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { type Catalog, DEFAULT_CATALOG } from "../catalog.ts";
import { type ImageProbe, readImage } from "../image.ts";
import type { Job } from "./job.ts";
import { loadManifest } from "./load.ts";
import type { RawManifest, RawProblem } from "./raw.ts";
import { expandManifest } from "./expand.ts";
import { isRecord } from "../text.ts";
import { type FieldContext, type Level, readLevel } from "./fields.ts";
import { type Draft, draftJob, draftOf, isDraft, lazyFingerprint, toInvalid } from "./draft.ts";
import { flagDuplicates } from "./duplicates.ts";
import { type InvalidJob, type Issue, jobIssue, manifestIssue } from "./issues.ts";

export type { InvalidJob, Issue } from "./issues.ts";

/** Everything validation found. */
export interface ValidationResult {
  /** Absolute path of the manifest. */
  manifest: string;
  /** The valid jobs, in manifest order. */
  jobs: Job[];
  /** The invalid jobs, in manifest order. */
  invalid: InvalidJob[];
  /** Every error: manifest-level ones first, then by job. */
  errors: Issue[];
  /** Every warning (upstream image limits), by job. */
  warnings: Issue[];
  /** How many jobs the manifest holds (after `variants` and `matrix` are expanded). */
  total: number;
  /** How many entries the file holds, when some of them fan out (`variants`, `matrix`). */
  entries?: number;
}

/** Options of {@linkcode validateManifest}. */
export interface ValidateOptions {
  /** The model rules to enforce. @default DEFAULT_CATALOG */
  catalog?: Catalog;
  /**
   * Reads one image file (injected for tests).
   * @default readImage from src/image.ts
   */
  readImage?: (resolved: string) => Promise<ImageProbe>;
}

/** How many image files are read at once. */
const IMAGE_CONCURRENCY = 8;

/** Options of {@linkcode validateRawManifest}. */
export interface ValidateRawOptions {
  /** The model rules to enforce. */
  catalog: Catalog;
  /** Absolute path of the manifest (image paths are relative to its folder). */
  manifest: string;
  /** What each referenced image file is, by absolute path (see {@linkcode imagePathsOf}). */
  images: ReadonlyMap<string, ImageProbe>;
}

/**
 * Validate a manifest file: load it, read its images, check every job.
 *
 * @param path The manifest's path.
 * @param options The catalog and injected effects.
 * @returns Valid jobs, invalid jobs, errors and warnings.
 * @throws {ManifestError} When the file cannot be read as a manifest at all.
 */
export async function validateManifest(
  path: string,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  const raw = expandManifest(await loadManifest(path));
  const manifest = resolve(path);
  const paths = imagePathsOf(raw, dirname(manifest));
  const images = await readImages(paths, options.readImage ?? readImage, IMAGE_CONCURRENCY);
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  return validateRawManifest(raw, { catalog, manifest, images });
}

/**
 * Every image file a raw manifest refers to (defaults included), resolved
 * against the manifest's folder, each once.
 *
 * @param raw The loaded manifest.
 * @param baseDir The manifest's folder (absolute).
 * @returns Absolute paths, unique.
 */
export function imagePathsOf(raw: RawManifest, baseDir: string): string[] {
  const paths = new Set<string>();
  const collect = (fields: unknown): void => {
    if (!isRecord(fields)) return;
    for (const key of ["image", "input_reference"]) {
      const value = fields[key];
      const list = Array.isArray(value) ? value : [value];
      for (const item of list) {
        if (typeof item === "string" && item.trim() !== "") {
          paths.add(resolve(baseDir, item.trim()));
        }
      }
    }
    // An entry not expanded yet: each matrix value of an image name is a path or a list.
    const matrix = fields.matrix;
    if (!isRecord(matrix)) return;
    for (const key of ["image", "input_reference"]) {
      const values = Object.hasOwn(matrix, key) ? matrix[key] : undefined;
      if (Array.isArray(values)) { for (const value of values) collect({ image: value }); }
    }
  };
  collect(raw.defaults?.value);
  for (const job of raw.jobs) collect(job.value);
  return [...paths];
}

/**
 * Check every job of a loaded manifest (pure).
 *
 * @param raw The loaded manifest.
 * @param options The catalog, the manifest's absolute path and the image facts.
 * @returns Valid jobs, invalid jobs, errors and warnings.
 */
export function validateRawManifest(
  loaded: RawManifest,
  options: ValidateRawOptions,
): ValidationResult {
  const raw = expandManifest(loaded);
  const context: FieldContext = {
    catalog: options.catalog,
    models: Object.keys(options.catalog),
    baseDir: dirname(options.manifest),
    images: options.images,
    resolutions: [...new Set(Object.values(options.catalog).flatMap((rule) => rule.resolutions))],
    missingColumns: new Set(
      raw.problems.filter((problem) => problem.code === "required").map((problem) =>
        problem.field ?? ""
      ),
    ),
  };
  const manifestErrors: Issue[] = raw.problems.map((problem) => manifestIssue(problem));

  let defaults: Level | undefined;
  if (raw.defaults) {
    defaults = readLevel(raw.defaults.value, "defaults", context);
    for (const problem of defaults.problems) {
      manifestErrors.push(manifestIssue({ ...problem, line: raw.defaults.line }, "defaults"));
    }
  }
  const defaultsFaulty = new Set(
    defaults?.problems.map((problem) =>
      problem.field === "input_reference" ? "image" : problem.field ?? ""
    ) ?? [],
  );

  // A job without problems or warnings is kept as its Job alone (no draft), so
  // 100,000 clean jobs cost little more than the jobs themselves.
  const given = new Uint8Array(raw.jobs.length);
  const entries: (Job | Draft)[] = new Array(raw.jobs.length);
  const fingerprinted = lazyFingerprint(raw.jobs.length);
  for (let at = 0; at < raw.jobs.length; at += 1) {
    entries[at] = draftJob(raw.jobs[at], defaults, defaultsFaulty, context, given, fingerprinted);
  }
  flagDuplicates(entries, given);

  const firstManifestError = manifestErrors[0];
  const manifestInvalid = (job: { id: string; index: number; line: number }): Issue =>
    jobIssue(job, {
      code: "manifest_invalid",
      field: null,
      message: `the manifest has an error${
        firstManifestError.line ? ` at line ${firstManifestError.line}` : ""
      }: ${firstManifestError.message}`,
    });
  const jobs: Job[] = [];
  const invalid: InvalidJob[] = [];
  const errors: Issue[] = manifestErrors;
  const warnings: Issue[] = [];
  for (const entry of entries) {
    if (!isDraft(entry)) {
      if (firstManifestError) {
        invalid.push(toInvalid(draftOf(entry), [manifestInvalid(entry)]));
      } else {
        jobs.push(entry);
      }
      continue;
    }
    const draft = entry;
    const issues = draft.problems.map((problem) =>
      jobIssue(draft, inCombination(raw, draft, problem))
    );
    for (const issue of issues) errors.push(issue);
    for (const problem of draft.warnings) {
      warnings.push(jobIssue(draft, inCombination(raw, draft, problem)));
    }
    if (firstManifestError) issues.push(manifestInvalid(draft));
    if (issues.length > 0 || !draft.job) {
      invalid.push(toInvalid(draft, issues));
    } else {
      jobs.push(draft.job);
    }
  }
  return {
    manifest: options.manifest,
    jobs,
    invalid,
    errors,
    warnings,
    total: raw.jobs.length,
    entries: raw.fannedOut ? raw.entries : undefined,
  };
}

/** A problem of an expanded job, its message naming the combination it was made from. */
function inCombination(raw: RawManifest, draft: Draft, problem: RawProblem): RawProblem {
  const combination = raw.jobs[draft.index]?.fanout?.combination;
  return combination === undefined
    ? problem
    : { ...problem, message: `${problem.message} (${combination})` };
}

async function readImages(
  paths: string[],
  read: (resolved: string) => Promise<ImageProbe>,
  concurrency: number,
): Promise<Map<string, ImageProbe>> {
  const probes = new Map<string, ImageProbe>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++];
      probes.set(path, await read(path));
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, worker),
  );
  return probes;
}
