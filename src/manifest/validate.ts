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
import { parseCheckedSource, readManifestFile } from "./load.ts";
import type { ManifestProblem, RawJob, RawManifest, RawProblem } from "./raw.ts";
import { readCsvFileJobs } from "./csv_file.ts";
import { expandManifest } from "./expand.ts";
import { isRecord } from "../text.ts";
import { type FieldContext, type Level, readLevel } from "./fields.ts";
import { type Draft, draftJob, draftOf, isDraft, toInvalid } from "./draft.ts";
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
  /**
   * Let go of each raw job once it is read (its place in `jobs` left empty),
   * for a caller that has no further use for the raw manifest: 1,000,000
   * raw jobs and their jobs are then never all in memory at once.
   * @default false
   */
  releaseRawJobs?: boolean;
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
  const manifest = resolve(path);
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const read = options.readImage ?? readImage;
  if (path.toLowerCase().endsWith(".csv")) {
    return await validateCsvFile(path, { catalog, manifest, read });
  }
  const { format, source } = await readManifestFile(path);
  return await validateLoaded(parseCheckedSource(source, { file: path, format }), {
    catalog,
    manifest,
    read,
  });
}

/** What the shell's steps share: the catalog, the manifest's absolute path, the image reader. */
interface ShellOptions {
  catalog: Catalog;
  manifest: string;
  read: (resolved: string) => Promise<ImageProbe>;
}

/** Read a loaded manifest's images, then check its jobs (letting go of each raw job once read). */
async function validateLoaded(
  loaded: RawManifest,
  options: ShellOptions,
): Promise<ValidationResult> {
  const raw = expandManifest(loaded);
  const paths = imagePathsOf(raw, dirname(options.manifest));
  const images = await readImages(paths, options.read, IMAGE_CONCURRENCY);
  return validateRawManifest(raw, {
    catalog: options.catalog,
    manifest: options.manifest,
    images,
    releaseRawJobs: true,
  });
}

/**
 * Validate a CSV manifest while it is read: the file is read a piece at a
 * time, each job is checked as soon as its record is read, and its raw form
 * let go, so neither the file nor 1,000,000 raw jobs are ever in memory at
 * once. Jobs naming images wait (raw) until the images
 * are read. A manifest with a `variants` column is read whole and checked
 * the usual way, since its entries fan out. The same checks, and the same
 * findings in the same order, as {@linkcode validateRawManifest}.
 */
async function validateCsvFile(file: string, options: ShellOptions): Promise<ValidationResult> {
  const images = new Map<string, ImageProbe>();
  let context: FieldContext | undefined;
  let fansOut = false;
  let entries: (Job | Draft)[] = [];
  let waiting: RawJob[] = [];
  let given = new Uint8Array(1024);
  const noneFaulty = new Set<string>();
  const draft = (job: RawJob): void => {
    if (job.index >= given.length) {
      const grown = new Uint8Array(given.length * 2);
      grown.set(given);
      given = grown;
    }
    entries[job.index] = draftJob(job, undefined, noneFaulty, context as FieldContext, given);
  };
  const { problems } = await readCsvFileJobs(file, {
    onHeader: (header): void => {
      fansOut = header.fields.includes("variants");
      context = fieldContext(options.catalog, options.manifest, images, header.problems);
    },
    onJob: (job): void => {
      if (fansOut || namesImages(job.value)) waiting.push(job);
      else draft(job);
    },
    onRestart: (): void => {
      entries = [];
      waiting = [];
      given = new Uint8Array(1024);
    },
  });
  if (fansOut) {
    return await validateLoaded({ file, format: "csv", jobs: waiting, problems }, options);
  }
  const held: RawManifest = { file, format: "csv", jobs: waiting, problems };
  const paths = imagePathsOf(held, dirname(options.manifest));
  for (const [path, probe] of await readImages(paths, options.read, IMAGE_CONCURRENCY)) {
    images.set(path, probe);
  }
  for (let at = 0; at < waiting.length; at += 1) draft(waiting[at]);
  waiting = [];
  held.jobs = [];
  flagDuplicates(entries, given);
  return finishValidation(entries, problems.map((problem) => manifestIssue(problem)), {
    manifest: options.manifest,
    total: entries.length,
    combinationOf: () => undefined,
  });
}

/** Whether a raw job's fields name reference images. */
function namesImages(fields: unknown): boolean {
  return isRecord(fields) && (fields.image !== undefined || fields.input_reference !== undefined);
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
  // Most jobs name the same few images (or none): each text is resolved once.
  const seen = new Set<string>();
  const add = (item: unknown): void => {
    if (typeof item !== "string" || seen.has(item)) return;
    seen.add(item);
    const path = item.trim();
    if (path !== "") paths.add(resolve(baseDir, path));
  };
  const addAll = (value: unknown): void => {
    if (Array.isArray(value)) { for (const item of value) add(item); }
    else add(value);
  };
  const collect = (fields: unknown): void => {
    if (!isRecord(fields)) return;
    if (fields.image !== undefined) addAll(fields.image);
    if (fields.input_reference !== undefined) addAll(fields.input_reference);
    // An entry not expanded yet: each matrix value of an image name is a path or a list.
    const matrix = fields.matrix;
    if (!isRecord(matrix)) return;
    for (const key of ["image", "input_reference"]) {
      const values = Object.hasOwn(matrix, key) ? matrix[key] : undefined;
      if (Array.isArray(values)) { for (const value of values) addAll(value); }
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
  const context = fieldContext(options.catalog, options.manifest, options.images, raw.problems);
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
  const combinations = new Map<number, string>();
  const rawJobs: (RawJob | undefined)[] = raw.jobs;
  for (let at = 0; at < rawJobs.length; at += 1) {
    const rawJob = rawJobs[at] as RawJob;
    entries[at] = draftJob(rawJob, defaults, defaultsFaulty, context, given);
    const combination = rawJob.fanout?.combination;
    if (combination !== undefined) combinations.set(at, combination);
    if (options.releaseRawJobs) rawJobs[at] = undefined;
  }
  flagDuplicates(entries, given);
  return finishValidation(entries, manifestErrors, {
    manifest: options.manifest,
    total: entries.length,
    entries: raw.fannedOut ? raw.entries : undefined,
    combinationOf: (index) => combinations.get(index),
  });
}

/**
 * What every job is checked against: the catalog, the image facts, and the
 * required CSV columns already reported missing at the header.
 */
function fieldContext(
  catalog: Catalog,
  manifest: string,
  images: ReadonlyMap<string, ImageProbe>,
  problems: readonly ManifestProblem[],
): FieldContext {
  return {
    catalog,
    models: Object.keys(catalog),
    baseDir: dirname(manifest),
    images,
    resolutions: [...new Set(Object.values(catalog).flatMap((rule) => rule.resolutions))],
    missingColumns: new Set(
      problems.filter((problem) => problem.code === "required").map((problem) =>
        problem.field ?? ""
      ),
    ),
  };
}

/**
 * The result from every job's entry (in manifest order) and the manifest's
 * own errors: valid jobs, invalid jobs, and every error and warning in order.
 */
function finishValidation(
  entries: (Job | Draft)[],
  manifestErrors: Issue[],
  about: {
    manifest: string;
    total: number;
    entries?: number;
    /** The combination an expanded job was made from, by index, for its messages. */
    combinationOf: (index: number) => string | undefined;
  },
): ValidationResult {
  const inCombination = (draft: Draft, problem: RawProblem): RawProblem => {
    const combination = about.combinationOf(draft.index);
    return combination === undefined
      ? problem
      : { ...problem, message: `${problem.message} (${combination})` };
  };
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
    const issues = draft.problems.map((problem) => jobIssue(draft, inCombination(draft, problem)));
    for (const issue of issues) errors.push(issue);
    for (const problem of draft.warnings) {
      warnings.push(jobIssue(draft, inCombination(draft, problem)));
    }
    if (firstManifestError) issues.push(manifestInvalid(draft));
    if (issues.length > 0 || !draft.job) {
      invalid.push(toInvalid(draft, issues));
    } else {
      jobs.push(draft.job);
    }
  }
  return {
    manifest: about.manifest,
    jobs,
    invalid,
    errors,
    warnings,
    total: about.total,
    entries: about.entries,
  };
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
