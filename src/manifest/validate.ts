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
 * @module
 */
import { dirname, resolve } from "node:path";
import { type Catalog, JOB_DEFAULTS, type ModelRule, SIZES } from "../catalog.ts";
import { imageLimitWarnings, type ImageProbe, readImage } from "../image.ts";
import type { Job, JobImage } from "./job.ts";
import { deriveId, fingerprint, outputNameProblem, safeFileName } from "./ids.ts";
import {
  JOB_FIELDS,
  loadManifest,
  type ManifestProblem,
  nearest,
  type RawJob,
  type RawManifest,
  type RawProblem,
} from "./load.ts";

/** One problem (error or warning), as data; formatted at the edge. */
export interface Issue {
  /** Stable machine-readable code, e.g. `out_of_range`, `unknown_field`. */
  code: string;
  /** The job's id, or null for a problem of the manifest as a whole. */
  job: string | null;
  /** 1-based position of the job in the manifest, or null. */
  index: number | null;
  /** 1-based line of the job (or of the manifest-level problem), when known. */
  line: number | null;
  /** The field at fault, when there is one. */
  field: string | null;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** A job that failed validation, with what could be read of it. */
export interface InvalidJob {
  /** 0-based position in the manifest. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /** Its id (given or derived from what could be read). */
  id: string;
  safeId: string;
  model?: string;
  seconds?: number;
  size?: string;
  resolution?: string;
  /** Image paths as written. */
  images: string[];
  /** The video's path relative to the output folder, `videos/<name>`. */
  output: string;
  /** Its errors (warnings are only in {@linkcode ValidationResult.warnings}). */
  issues: Issue[];
}

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
  /** How many jobs the manifest holds. */
  total: number;
}

/** Options of {@linkcode validateManifest}. */
export interface ValidateOptions {
  /** The model rules to enforce. */
  catalog: Catalog;
  /**
   * Reads one image file (injected for tests).
   * @default readImage from src/image.ts
   */
  readImage?: (resolved: string) => Promise<ImageProbe>;
  /**
   * How many image files are read at once.
   * @default 8
   */
  imageConcurrency?: number;
}

/** Options of {@linkcode validateRawManifest}. */
export interface ValidateRawOptions {
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
  options: ValidateOptions,
): Promise<ValidationResult> {
  const raw = await loadManifest(path);
  const manifest = resolve(path);
  const paths = imagePathsOf(raw, dirname(manifest));
  const images = await readImages(
    paths,
    options.readImage ?? readImage,
    options.imageConcurrency ?? 8,
  );
  return validateRawManifest(raw, { catalog: options.catalog, manifest, images });
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
    if (!isMapping(fields)) return;
    for (const key of ["image", "input_reference"]) {
      const value = fields[key];
      const list = Array.isArray(value) ? value : [value];
      for (const item of list) {
        if (typeof item === "string" && item.trim() !== "") {
          paths.add(resolve(baseDir, item.trim()));
        }
      }
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
  raw: RawManifest,
  options: ValidateRawOptions,
): ValidationResult {
  const context: Context = {
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
  for (let at = 0; at < raw.jobs.length; at += 1) {
    entries[at] = draftJob(raw.jobs[at], defaults, defaultsFaulty, context, given);
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
        invalid.push(toInvalid(draftOf(entry, given), [manifestInvalid(entry)]));
      } else {
        jobs.push(entry);
      }
      continue;
    }
    const draft = entry;
    const issues = draft.problems.map((problem) => jobIssue(draft, problem));
    for (const issue of issues) errors.push(issue);
    for (const problem of draft.warnings) warnings.push(jobIssue(draft, problem));
    if (firstManifestError) issues.push(manifestInvalid(draft));
    if (issues.length > 0 || !draft.job) {
      invalid.push(toInvalid(draft, issues));
    } else {
      jobs.push(draft.job);
    }
  }
  return { manifest: options.manifest, jobs, invalid, errors, warnings, total: raw.jobs.length };
}

// ---------------------------------------------------------------- internals

interface Context {
  catalog: Catalog;
  models: string[];
  baseDir: string;
  images: ReadonlyMap<string, ImageProbe>;
  /** Every resolution any model accepts. */
  resolutions: string[];
  /** Required CSV columns already reported missing at the header. */
  missingColumns: ReadonlySet<string>;
}

/** One level of settings (defaults, or one job), read field by field. */
interface Level {
  /** Valid values by field. */
  values: Values;
  /** Every field that is present (valid or not), with its raw value. */
  present: Map<string, unknown>;
  problems: RawProblem[];
  warnings: RawProblem[];
}

interface Values {
  id?: string;
  prompt?: string;
  model?: string;
  seconds?: number;
  size?: string;
  resolution?: string;
  images?: JobImage[];
  /** Image paths as written (kept even when a file is bad). */
  imagePaths?: string[];
  /** Which name the images were given under: `image` or its alias `input_reference`. */
  imageField?: string;
  output?: string;
}

interface Draft {
  index: number;
  line: number;
  id: string;
  idGiven: boolean;
  /** False when the job is not a mapping at all (never a duplicate of anything). */
  readable: boolean;
  safeId: string;
  output: string;
  /** Whether `output` was given (else it comes from the id). */
  outputGiven: boolean;
  /**
   * The job, built as soon as it has no problems of its own; then `values`
   * and `raw` are dropped (100,000 jobs' worth of them is a lot of memory).
   */
  job?: Job;
  values?: Values;
  raw?: Map<string, unknown>;
  problems: RawProblem[];
  warnings: RawProblem[];
}

function draftJob(
  rawJob: RawJob,
  defaults: Level | undefined,
  defaultsFaulty: ReadonlySet<string>,
  context: Context,
  given: Uint8Array,
): Job | Draft {
  const level = readLevel(rawJob.value, "job", context);
  // The level belongs to this job alone, so its collections are extended in place.
  const problems = level.problems;
  if (rawJob.problems.length > 0) problems.unshift(...rawJob.problems);
  const warnings = level.warnings;
  const values = level.values;
  const raw = level.present;
  if (defaults) {
    for (const [field, value] of defaults.present) {
      if (level.present.has(field)) continue;
      raw.set(field, value);
      if (defaultsFaulty.has(field)) continue; // reported once, at the defaults
      if (field === "image") {
        values.images = defaults.values.images;
        values.imagePaths = defaults.values.imagePaths;
        values.imageField = defaults.values.imageField;
        warnings.push(...defaults.warnings);
      } else {
        const key = field as Exclude<keyof Values, "images" | "imagePaths" | "imageField">;
        if (defaults.values[key] !== undefined) {
          (values as Record<string, unknown>)[key] = defaults.values[key];
        }
      }
    }
  }
  if (isMapping(rawJob.value)) {
    const missing = (field: string): boolean =>
      !raw.has(field) && !context.missingColumns.has(field);
    if (missing("prompt")) problems.push(required("prompt", "every job needs a prompt"));
    if (missing("model")) {
      problems.push(required("model", `every job needs one: ${context.models.join(", ")}`));
    }
  }
  const seconds = values.seconds ?? (raw.has("seconds") ? undefined : JOB_DEFAULTS.seconds);
  const size = values.size ?? (raw.has("size") ? undefined : JOB_DEFAULTS.size);
  const resolution = values.resolution ??
    (raw.has("resolution") ? undefined : JOB_DEFAULTS.resolution);
  values.seconds = seconds;
  values.size = size;
  values.resolution = resolution;

  const rule = values.model === undefined ? undefined : context.catalog[values.model];
  if (rule && values.model) problems.push(...modelProblems(values, rule, values.model));

  const imagePaths = values.imagePaths ?? [];
  const id = values.id ?? deriveId({
    prompt: values.prompt ?? raw.get("prompt"),
    model: values.model ?? raw.get("model"),
    seconds: seconds ?? raw.get("seconds"),
    size: size ?? raw.get("size"),
    resolution: resolution ?? raw.get("resolution"),
    images: imagePaths,
  });
  const safeId = safeFileName(id);
  // Joined, not concatenated: one flat string instead of a chain of pieces.
  const output = ["videos/", values.output ?? safeId, values.output ? "" : ".mp4"].join("");
  given[rawJob.index] = (values.id !== undefined ? ID_GIVEN : 0) |
    (values.output !== undefined ? OUTPUT_GIVEN : 0);
  if (problems.length === 0 && warnings.length === 0) {
    return toJob(rawJob.index, rawJob.line, id, safeId, output, values);
  }
  const draft: Draft = {
    index: rawJob.index,
    line: rawJob.line,
    id,
    idGiven: values.id !== undefined,
    readable: isMapping(rawJob.value),
    safeId,
    output,
    outputGiven: values.output !== undefined,
    values,
    raw,
    problems,
    warnings,
  };
  if (problems.length === 0) {
    draft.job = toJob(rawJob.index, rawJob.line, id, safeId, output, values);
    draft.values = undefined;
    draft.raw = undefined;
  }
  return draft;
}

/** Checks that depend on the model's rules. */
function modelProblems(
  values: Values,
  rule: ModelRule,
  model: string,
): RawProblem[] {
  const problems: RawProblem[] = [];
  const { seconds, resolution } = values;
  if (seconds !== undefined && (seconds < rule.seconds.min || seconds > rule.seconds.max)) {
    problems.push({
      code: "out_of_range",
      field: "seconds",
      message:
        `seconds ${seconds} is out of range for ${model} (${rule.seconds.min}..${rule.seconds.max})`,
    });
  }
  if (resolution !== undefined && !rule.resolutions.includes(resolution)) {
    problems.push({
      code: "not_allowed",
      field: "resolution",
      message: `resolution "${resolution}" is not available for ${model} (${
        rule.resolutions.join(", ")
      })`,
    });
  }
  const count = values.imagePaths?.length ?? 0;
  const imageField = values.imageField ?? "image";
  if (count > 0 && rule.maxImages === 0) {
    problems.push({
      code: "not_allowed",
      field: imageField,
      message: `${model} does not accept reference images (${count} given)`,
    });
  } else if (count > rule.maxImages) {
    problems.push({
      code: "too_many",
      field: imageField,
      message: `${count} images given; ${model} accepts at most ${rule.maxImages}`,
    });
  }
  return problems;
}

/** Read the fields of one level (a job or `defaults:`), checking what needs no model. */
function readLevel(value: unknown, kind: "job" | "defaults", context: Context): Level {
  const level: Level = { values: {}, present: new Map(), problems: [], warnings: [] };
  if (!isMapping(value)) {
    level.problems.push({
      code: "type",
      field: null,
      message: kind === "job"
        ? `a job must be a mapping of fields (prompt: ..., model: ...), got ${describe(value)}`
        : `defaults: must be a mapping of job fields, got ${describe(value)}`,
    });
    return level;
  }
  const problems = level.problems;
  for (const field in value) {
    const fieldValue = value[field];
    if (!(JOB_FIELDS as readonly string[]).includes(field)) {
      const hint = nearest(field, JOB_FIELDS);
      problems.push({
        code: "unknown_field",
        field,
        message: `unknown field "${field}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
      continue;
    }
    if (fieldValue === null || fieldValue === undefined) continue; // YAML `field:` or `~`: not given
    if (kind === "defaults" && (field === "id" || field === "output")) {
      problems.push({
        code: "not_allowed",
        field,
        message: `${field} cannot be a default; each job needs its own`,
      });
      continue;
    }
    if (field === "input_reference" && level.present.has("image")) {
      problems.push({
        code: "alias_conflict",
        field,
        message: "image and input_reference are the same field; give only one",
      });
      continue;
    }
    const name = field === "input_reference" ? "image" : field;
    if (name === "image" && level.present.has("image")) {
      problems.push({
        code: "alias_conflict",
        field: "image",
        message: "image and input_reference are the same field; give only one",
      });
      continue;
    }
    level.present.set(name, fieldValue);
    readField(name, field, fieldValue, level, context);
  }
  return level;
}

function readField(
  name: string,
  written: string,
  value: unknown,
  level: Level,
  context: Context,
): void {
  const { values, problems } = level;
  switch (name) {
    case "id": {
      if (typeof value === "number" && Number.isFinite(value)) {
        values.id = String(value);
      } else if (typeof value !== "string") {
        problems.push(typeProblem("id", "text or a number", value));
      } else if (value.trim() === "") {
        problems.push({
          code: "empty",
          field: "id",
          message: "id is empty; leave it out to derive one",
        });
      } else {
        values.id = value.trim();
      }
      return;
    }
    case "prompt": {
      if (typeof value !== "string") {
        problems.push(typeProblem("prompt", "text", value));
      } else if (value.trim() === "") {
        problems.push({ code: "empty", field: "prompt", message: "prompt is empty" });
      } else {
        values.prompt = value.trim();
      }
      return;
    }
    case "model": {
      const model = text(value);
      if (model === undefined) {
        problems.push(typeProblem("model", "text", value));
      } else if (!(model in context.catalog)) {
        const hint = nearest(model, context.models);
        problems.push({
          code: "unknown_model",
          field: "model",
          message: `model "${model}" is not in the catalog${
            hint ? ` (did you mean "${hint}"?)` : `; known models: ${context.models.join(", ")}`
          }`,
        });
      } else {
        values.model = model;
      }
      return;
    }
    case "seconds": {
      const seconds = wholeNumber(value);
      if (seconds === undefined) {
        problems.push({
          code: "type",
          field: "seconds",
          message: `seconds must be a whole number, got ${quote(value)}`,
        });
      } else {
        values.seconds = seconds;
      }
      return;
    }
    case "size": {
      const size = typeof value === "string" ? value.trim() : undefined;
      if (size === undefined || !SIZES.includes(size)) {
        problems.push({
          code: "not_allowed",
          field: "size",
          message: `size ${quote(value)} is not one of ${SIZES.join(", ")}`,
        });
      } else {
        values.size = size;
      }
      return;
    }
    case "resolution": {
      const resolution = text(value);
      const all = context.resolutions;
      if (resolution === undefined || !all.includes(resolution)) {
        const hint = typeof value === "number" && all.includes(`${value}p`)
          ? ` (did you mean "${value}p"?)`
          : "";
        problems.push({
          code: "not_allowed",
          field: "resolution",
          message: `resolution ${quote(value)} is not one of ${all.join(", ")}${hint}`,
        });
      } else {
        values.resolution = resolution;
      }
      return;
    }
    case "image": {
      readImageField(written, value, level, context);
      return;
    }
    case "output": {
      const output = text(value);
      const problem = output === undefined ? "it must be text" : outputNameProblem(output);
      if (output === undefined || problem !== undefined) {
        problems.push({
          code: "invalid_output",
          field: "output",
          message: `output ${quote(value)} must be a plain file name: ${problem}`,
        });
      } else {
        values.output = output;
      }
      return;
    }
  }
}

/** Read an `image` value: a path or a list of paths, each checked on disk (through the lookup). */
function readImageField(field: string, value: unknown, level: Level, context: Context): void {
  const list = Array.isArray(value) ? value : [value];
  const paths: string[] = [];
  const images: JobImage[] = [];
  let ok = true;
  for (const item of list) {
    if (typeof item !== "string") {
      level.problems.push(typeProblem(field, "a path or a list of paths", item));
      ok = false;
      continue;
    }
    const path = item.trim();
    if (path === "") {
      level.problems.push({
        code: "empty",
        field,
        message: `${field} has an empty path${Array.isArray(value) ? " in its list" : ""}`,
      });
      ok = false;
      continue;
    }
    paths.push(path);
    const resolved = resolve(context.baseDir, path);
    const probe: ImageProbe = context.images.get(resolved) ??
      { ok: false, resolved, reason: "missing" };
    if (!probe.ok) {
      level.problems.push({
        code: `image_${probe.reason}`,
        field,
        message: imageMessage(path, probe),
      });
      ok = false;
      continue;
    }
    images.push({
      path,
      resolved,
      contentType: probe.contentType,
      bytes: probe.bytes,
      sha256: probe.sha256,
    });
    for (const warning of imageLimitWarnings(probe)) {
      level.warnings.push({ code: warning.code, field, message: `image ${path} ${warning.text}` });
    }
  }
  level.values.imagePaths = paths;
  level.values.imageField = field;
  if (ok) level.values.images = images;
}

function imageMessage(path: string, probe: Extract<ImageProbe, { ok: false }>): string {
  switch (probe.reason) {
    case "missing":
      return `image ${path} does not exist (looked for ${probe.resolved})`;
    case "not_file":
      return `image ${path} is not a file`;
    case "unreadable":
      return `image ${path} cannot be read: ${probe.detail ?? "unknown reason"}`;
    case "empty":
      return `image ${path} is an empty file`;
    case "format":
      return probe.detail
        ? `image ${path} is ${
          /^[AEIO]/.test(probe.detail) ? "an" : "a"
        } ${probe.detail}; the service accepts JPEG, PNG or WebP`
        : `image ${path} is not a JPEG, PNG or WebP image (its bytes match no known image format)`;
  }
}

/** Bits of `given`, per job index: whether the id and the output were written in the manifest. */
/** Ids whose derived output name is already lower-case as it is. */
const LOWER_SAFE = /^[a-z0-9_][a-z0-9_.-]*$/;
const ID_GIVEN = 1;
const OUTPUT_GIVEN = 2;

function isDraft(entry: Job | Draft): entry is Draft {
  return "problems" in entry;
}

/** A clean job turned back into a draft, to carry a problem found later (a duplicate). */
function draftOf(job: Job, given: Uint8Array): Draft {
  return {
    index: job.index,
    line: job.line,
    id: job.id,
    idGiven: (given[job.index] & ID_GIVEN) !== 0,
    readable: true,
    safeId: job.safeId,
    output: job.output,
    outputGiven: (given[job.index] & OUTPUT_GIVEN) !== 0,
    job,
    problems: [],
    warnings: [],
  };
}

/**
 * Duplicate ids, and outputs that would land on the same file, are errors on
 * every job involved (their entries become drafts carrying the problem).
 */
function flagDuplicates(entries: (Job | Draft)[], given: Uint8Array): void {
  const readable = (entry: Job | Draft): boolean => !isDraft(entry) || entry.readable;
  const byId = groups(entries, (entry) => readable(entry) ? entry.id : undefined);
  const duplicated = new Set<number>();
  for (const group of byId) {
    const drafts = group.map((at) => toDraft(entries, at, given));
    for (const draft of drafts) {
      duplicated.add(draft.index);
      const others = linesOf(drafts.filter((other) => other !== draft));
      draft.problems.push(
        draft.idGiven
          ? {
            code: "duplicate_id",
            field: "id",
            message: `id "${draft.id}" is also used by the job at ${others}`,
          }
          : {
            code: "duplicate_id",
            field: null,
            message:
              `this job is identical to the job at ${others} (same derived id "${draft.id}"); give each an id field`,
          },
      );
    }
  }
  // Compared without case: on macOS and Windows `A.mp4` and `a.mp4` are one file. A job
  // whose output comes from a lower-case id that is already a safe name can share it only
  // with a job whose output does not (equal ids were flagged above), so only those others
  // are mapped, and the common jobs are looked up in that (usually empty) map.
  const plain = (entry: Job | Draft, at: number): boolean =>
    (given[at] & OUTPUT_GIVEN) === 0 && entry.safeId === entry.id && LOWER_SAFE.test(entry.id);
  const byOutput = new Map<string, number[]>();
  for (let at = 0; at < entries.length; at += 1) {
    const entry = entries[at];
    if (!readable(entry) || duplicated.has(at) || plain(entry, at)) continue;
    const key = entry.output.toLowerCase();
    const group = byOutput.get(key);
    if (group) group.push(at);
    else byOutput.set(key, [at]);
  }
  if (byOutput.size > 0) {
    for (let at = 0; at < entries.length; at += 1) {
      const entry = entries[at];
      if (readable(entry) && !duplicated.has(at) && plain(entry, at)) {
        byOutput.get(entry.output)?.push(at);
      }
    }
  }
  for (const group of byOutput.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => a - b);
    const drafts = group.map((at) => toDraft(entries, at, given));
    for (const draft of drafts) {
      const others = linesOf(drafts.filter((other) => other !== draft));
      draft.problems.push({
        code: "duplicate_output",
        field: draft.outputGiven ? "output" : "id",
        message: `output ${draft.output} is also used by the job at ${others}`,
      });
    }
  }
}

/** The entry at `at` as a draft, replacing a clean job's entry by its draft. */
function toDraft(entries: (Job | Draft)[], at: number, given: Uint8Array): Draft {
  const entry = entries[at];
  if (isDraft(entry)) return entry;
  const draft = draftOf(entry, given);
  entries[at] = draft;
  return draft;
}

function toJob(
  index: number,
  line: number,
  id: string,
  safeId: string,
  output: string,
  values: Values,
): Job {
  // A job without problems has every value; the fallbacks only satisfy the types.
  const prompt = values.prompt ?? "";
  const model = values.model ?? "";
  const seconds = values.seconds ?? JOB_DEFAULTS.seconds;
  const size = values.size ?? JOB_DEFAULTS.size;
  const resolution = values.resolution ?? JOB_DEFAULTS.resolution;
  const images = values.images ?? [];
  return {
    index,
    line,
    id,
    safeId,
    prompt,
    model,
    seconds,
    size,
    resolution,
    images,
    output,
    fingerprint: fingerprint({
      model,
      prompt,
      seconds,
      size,
      resolution,
      imageHashes: images.map((image) => image.sha256),
    }),
  };
}

function toInvalid(draft: Draft, issues: Issue[]): InvalidJob {
  const { job } = draft;
  if (job) {
    return {
      index: draft.index,
      line: draft.line,
      id: draft.id,
      safeId: draft.safeId,
      model: job.model,
      seconds: job.seconds,
      size: job.size,
      resolution: job.resolution,
      images: job.images.map((image) => image.path),
      output: draft.output,
      issues,
    };
  }
  const values = draft.values ?? {};
  const raw = draft.raw ?? new Map<string, unknown>();
  const rawModel = raw.get("model");
  const rawSize = raw.get("size");
  const rawResolution = raw.get("resolution");
  return {
    index: draft.index,
    line: draft.line,
    id: draft.id,
    safeId: draft.safeId,
    model: values.model ?? (typeof rawModel === "string" ? rawModel : undefined),
    seconds: values.seconds ?? wholeNumber(raw.get("seconds")),
    size: values.size ?? (typeof rawSize === "string" ? rawSize : undefined),
    resolution: values.resolution ??
      (typeof rawResolution === "string" ? rawResolution : undefined),
    images: values.imagePaths ?? [],
    output: draft.output,
    issues,
  };
}

function jobIssue(draft: { id: string; index: number; line: number }, problem: RawProblem): Issue {
  return {
    code: problem.code,
    job: draft.id,
    index: draft.index + 1,
    line: draft.line,
    field: problem.field,
    message: problem.message,
  };
}

function manifestIssue(
  problem: ManifestProblem | RawProblem & { line: number },
  prefix?: string,
): Issue {
  return {
    code: problem.code,
    job: null,
    index: null,
    line: problem.line,
    field: prefix && problem.field ? `${prefix}.${problem.field}` : prefix ?? problem.field,
    message: problem.message,
  };
}

function required(field: string, why: string): RawProblem {
  return { code: "required", field, message: `${field} is required; ${why}` };
}

function typeProblem(field: string, expected: string, value: unknown): RawProblem {
  return {
    code: "type",
    field,
    message: `${field} must be ${expected}, got ${describe(value)}`,
  };
}

/** A whole number from a YAML number or a numeric string (CSV cells are strings). */
function wholeNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\s*\+?\d{1,9}\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return describe(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value)}`;
  return `${typeof value === "number" ? "the number" : "the value"} ${String(value)}`;
}

function linesOf(drafts: Draft[]): string {
  const lines = drafts.map((draft) => draft.line);
  if (lines.length === 1) return `line ${lines[0]}`;
  return `lines ${lines.slice(0, -1).join(", ")} and ${lines[lines.length - 1]}`;
}

/** Positions of entries sharing a key, in groups of two or more (undefined keys are left out). */
function groups(
  entries: (Job | Draft)[],
  key: (entry: Job | Draft, at: number) => string | undefined,
): number[][] {
  const first = new Map<string, number>();
  let shared: Map<string, number[]> | undefined;
  for (let at = 0; at < entries.length; at += 1) {
    const k = key(entries[at], at);
    if (k === undefined) continue;
    const seen = first.get(k);
    if (seen === undefined) {
      first.set(k, at);
      continue;
    }
    shared ??= new Map();
    const group = shared.get(k);
    if (group) group.push(at);
    else shared.set(k, [seen, at]);
  }
  return shared ? [...shared.values()] : [];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
