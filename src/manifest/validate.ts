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
import type { ManifestProblem, RawJob, RawManifest } from "./raw.ts";
import { readCsvFileJobs } from "./csv_file.ts";
import { sha256 } from "../hash.ts";
import { expandManifest } from "./expand.ts";
import { isRecord } from "../text.ts";
import { type FieldContext, type Level, readLevel } from "./fields.ts";
import { checkJob } from "./draft.ts";
import { CountedJobs, HeldJobs, type JobCollector, type ValidationCounts } from "./collect.ts";
import { type InvalidJob, type Issue, manifestIssue } from "./issues.ts";

export type { InvalidJob, Issue } from "./issues.ts";
export type { ValidationCounts } from "./collect.ts";

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
  /**
   * Hex SHA-256 of the manifest's bytes exactly as validation read them (set
   * by {@linkcode validateManifest}): what a resume index keys on.
   */
  sha256?: string;
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
  const digest = new BytesDigest();
  const result = await validateFile(path, options, new HeldJobs(), digest);
  result.sha256 = digest.hex();
  return result;
}

/** The SHA-256 of the bytes a manifest was read from (started again when reading is). */
class BytesDigest {
  #hash = sha256();
  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }
  restart(): void {
    this.#hash = sha256();
  }
  hex(): string {
    return this.#hash.hex();
  }
}

/** Options of {@linkcode countManifest}. */
export interface CountOptions extends ValidateOptions {
  /**
   * Count only the jobs whose id this keeps, and keep only their issues
   * (problems of the manifest as a whole are kept); duplicate ids and
   * outputs are still found over the whole manifest.
   * @default every job
   */
  only?: (id: string) => boolean;
}

/**
 * Validate a manifest file as {@linkcode validateManifest} does, keeping only
 * the counts, the errors and the warnings (the same, in the same order): each
 * job is let go once checked, so a 1,000,000-job manifest is never held whole.
 *
 * @param path The manifest's path.
 * @param options The catalog, injected effects, and which jobs to count.
 * @returns How many jobs are valid and invalid, every error and every warning.
 * @throws {ManifestError} When the file cannot be read as a manifest at all.
 */
export function countManifest(
  path: string,
  options: CountOptions = {},
): Promise<ValidationCounts> {
  return validateFile(path, options, new CountedJobs(options.only));
}

/** Load a manifest file, read its images, and hand each checked job to the collector. */
async function validateFile<Result>(
  path: string,
  options: ValidateOptions,
  collector: JobCollector<Result>,
  digest?: BytesDigest,
): Promise<Result> {
  const shell: ShellOptions = {
    catalog: options.catalog ?? DEFAULT_CATALOG,
    manifest: resolve(path),
    read: options.readImage ?? readImage,
    ...(digest === undefined ? {} : { digest }),
  };
  if (path.toLowerCase().endsWith(".csv")) return await validateCsvFile(path, shell, collector);
  const { format, source } = await readManifestFile(path);
  if (source.bytes !== undefined) digest?.update(source.bytes);
  return await validateLoaded(
    parseCheckedSource(source, { file: path, format }),
    shell,
    collector,
  );
}

/** What the shell's steps share: the catalog, the manifest's absolute path, the image reader. */
interface ShellOptions {
  catalog: Catalog;
  manifest: string;
  read: (resolved: string) => Promise<ImageProbe>;
  /** Fed the bytes the jobs are read from, when the caller wants their digest. */
  digest?: BytesDigest;
}

/** Read a loaded manifest's images, then check its jobs (letting go of each raw job once read). */
async function validateLoaded<Result>(
  loaded: RawManifest,
  options: ShellOptions,
  collector: JobCollector<Result>,
): Promise<Result> {
  const raw = expandManifest(loaded);
  const paths = imagePathsOf(raw, dirname(options.manifest));
  const images = await readImages(paths, options.read, IMAGE_CONCURRENCY);
  return checkRawManifest(raw, {
    catalog: options.catalog,
    manifest: options.manifest,
    images,
    releaseRawJobs: true,
  }, collector);
}

/**
 * Validate a CSV manifest while it is read: the file is read a piece at a
 * time, each job is checked as soon as its record is read, and its raw form
 * let go, so neither the file nor 1,000,000 raw jobs are ever in memory at
 * once. The images are read while the file is, each as it is first named;
 * a job naming an image not read yet waits (raw) until it is. A manifest with a `variants` column is read whole and checked
 * the usual way, since its entries fan out. The same checks, and the same
 * findings in the same order, as {@linkcode validateRawManifest}.
 */
async function validateCsvFile<Result>(
  file: string,
  options: ShellOptions,
  collector: JobCollector<Result>,
): Promise<Result> {
  const images = new Map<string, ImageProbe>();
  const reads = new ImageReads(options.read, images, IMAGE_CONCURRENCY);
  const imagePaths = imagePathReader(dirname(options.manifest));
  let context: FieldContext | undefined;
  let fansOut = false;
  let waiting: RawJob[] = [];
  let readsSeen = 0;
  let jobsSeen = 0;
  let reserved = false;
  const noneFaulty = new Set<string>();
  const check = (job: RawJob): void => {
    collector.add(checkJob(job, undefined, noneFaulty, context as FieldContext));
  };
  const known = (job: RawJob): boolean => imagePaths(job.value).every((path) => images.has(path));
  const { problems } = await readCsvFileJobs(file, {
    onHeader: (header): void => {
      fansOut = header.fields.includes("variants");
      context = fieldContext(options.catalog, options.manifest, images, header.problems);
    },
    onJob: (job): void => {
      jobsSeen += 1;
      if (fansOut) {
        waiting.push(job);
        return;
      }
      if (!namesImages(job.value)) {
        check(job);
        return;
      }
      if (readsSeen !== reads.finished) {
        // Images were read since: the jobs waiting for them are checked now.
        readsSeen = reads.finished;
        const still: RawJob[] = [];
        for (const held of waiting) {
          if (known(held)) check(held);
          else still.push(held);
        }
        waiting = still;
      }
      if (known(job)) {
        check(job);
        return;
      }
      // Its images are read while the file is: it waits (raw) only until they are.
      for (const path of imagePaths(job.value)) reads.want(path);
      waiting.push(job);
    },
    onRestart: (): void => {
      collector.reset();
      waiting = [];
      jobsSeen = 0;
      options.digest?.restart();
    },
    ...(options.digest === undefined ? {} : {
      onBytes: (bytes: Uint8Array): void => options.digest?.update(bytes),
    }),
    onProgress: (bytesRead, fileBytes): void => {
      // Once, from the first piece: room for the jobs the rest of the file likely holds.
      if (reserved || jobsSeen === 0 || bytesRead >= fileBytes) return;
      reserved = true;
      collector.reserve?.(Math.ceil(jobsSeen * (fileBytes / bytesRead) * 1.1));
    },
  }).catch(async (error) => {
    // No read left running behind a refused file.
    await reads.settled().catch(() => {});
    throw error;
  });
  if (fansOut) {
    return await validateLoaded(
      { file, format: "csv", jobs: waiting, problems },
      options,
      collector,
    );
  }
  await reads.settled();
  for (let at = 0; at < waiting.length; at += 1) check(waiting[at]);
  waiting = [];
  return collector.finish({
    manifest: options.manifest,
    errors: problems.map((problem) => manifestIssue(problem)),
    combinationOf: () => undefined,
  });
}

/**
 * Image files read in the background, a few at a time, each once: their
 * facts go into `images` as each is read.
 */
class ImageReads {
  readonly #read: (resolved: string) => Promise<ImageProbe>;
  readonly #images: Map<string, ImageProbe>;
  readonly #concurrency: number;
  readonly #asked = new Set<string>();
  readonly #queue: string[] = [];
  #active = 0;
  #failure: { error: unknown } | undefined;
  #idle: (() => void) | undefined;
  /** How many reads have finished. */
  finished = 0;

  constructor(
    read: (resolved: string) => Promise<ImageProbe>,
    images: Map<string, ImageProbe>,
    concurrency: number,
  ) {
    this.#read = read;
    this.#images = images;
    this.#concurrency = concurrency;
  }

  /** Read an image file, unless it is read or asked for already. */
  want(path: string): void {
    if (this.#asked.has(path)) return;
    this.#asked.add(path);
    this.#queue.push(path);
    this.#next();
  }

  /**
   * Wait until every image asked for is read.
   *
   * @throws What a read threw, if one did.
   */
  async settled(): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idle = resolve);
    if (this.#failure) throw this.#failure.error;
  }

  #next(): void {
    while (this.#active < this.#concurrency && this.#queue.length > 0) {
      const path = this.#queue.shift() as string;
      this.#active += 1;
      this.#read(path).then(
        (probe) => {
          this.#images.set(path, probe);
        },
        (error) => {
          this.#failure ??= { error };
        },
      ).finally(() => {
        this.#active -= 1;
        this.finished += 1;
        this.#next();
        if (this.#active === 0) this.#idle?.();
      });
    }
  }
}

/**
 * The image files a raw job's fields name, resolved against the manifest's
 * folder (each text resolved once).
 */
function imagePathReader(baseDir: string): (fields: unknown) => string[] {
  const resolved = new Map<string, string | undefined>();
  const pathOf = (item: unknown): string | undefined => {
    if (typeof item !== "string") return undefined;
    if (resolved.has(item)) return resolved.get(item);
    const path = item.trim() === "" ? undefined : resolve(baseDir, item.trim());
    resolved.set(item, path);
    return path;
  };
  return (fields) => {
    const paths: string[] = [];
    if (!isRecord(fields)) return paths;
    for (const value of [fields.image, fields.input_reference]) {
      for (const item of Array.isArray(value) ? value : [value]) {
        const path = pathOf(item);
        if (path !== undefined) paths.push(path);
      }
    }
    return paths;
  };
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
  return checkRawManifest(loaded, options, new HeldJobs(loaded.jobs.length));
}

/**
 * Check every job of a loaded manifest as {@linkcode validateRawManifest}
 * does, keeping only the counts, the errors and the warnings (pure).
 *
 * @param raw The loaded manifest.
 * @param options The catalog, the manifest's absolute path and the image facts.
 * @returns How many jobs are valid and invalid, every error and every warning.
 */
export function countRawManifest(
  loaded: RawManifest,
  options: ValidateRawOptions,
): ValidationCounts {
  return checkRawManifest(loaded, options, new CountedJobs());
}

/** Check every job of a loaded manifest, handing each to the collector. */
function checkRawManifest<Result>(
  loaded: RawManifest,
  options: ValidateRawOptions,
  collector: JobCollector<Result>,
): Result {
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

  const combinations = new Map<number, string>();
  const rawJobs: (RawJob | undefined)[] = raw.jobs;
  for (let at = 0; at < rawJobs.length; at += 1) {
    const rawJob = rawJobs[at] as RawJob;
    collector.add(checkJob(rawJob, defaults, defaultsFaulty, context));
    const combination = rawJob.fanout?.combination;
    if (combination !== undefined) combinations.set(at, combination);
    if (options.releaseRawJobs) rawJobs[at] = undefined;
  }
  return collector.finish({
    manifest: options.manifest,
    errors: manifestErrors,
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
