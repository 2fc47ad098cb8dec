/**
 * One job from its raw fields and the defaults: a {@linkcode Job} when it is
 * clean, or a {@linkcode Draft} carrying its problems and warnings, and the
 * way back from a draft to what the report shows of an invalid job. Pure.
 *
 * @module
 */
import { JOB_DEFAULTS, modelRule } from "../catalog.ts";
import type { Job, JobImage } from "./job.ts";
import { deriveId, fingerprint, safeFileName } from "./ids.ts";
import type { RawJob, RawProblem } from "./raw.ts";
import { isRecord } from "../text.ts";
import {
  type FieldContext,
  type Level,
  modelProblems,
  readLevel,
  type Values,
  wholeNumber,
} from "./fields.ts";
import type { InvalidJob, Issue } from "./issues.ts";

/** A job with problems or warnings, or one found to clash with another. */
export interface Draft {
  /** 0-based position in the manifest. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /** Its id (given or derived from what could be read). */
  id: string;
  /** False when the job is not a mapping at all (never a duplicate of anything). */
  readable: boolean;
  /** The id as a safe file name. */
  safeId: string;
  /** The video's path relative to the output folder. */
  output: string;
  /**
   * The job, built as soon as it has no problems of its own; then `values`
   * and `raw` are dropped (100,000 jobs' worth of them is a lot of memory).
   */
  job?: Job;
  /** The valid values, until the job is built. */
  values?: Values;
  /** Every present field with its raw value, until the job is built. */
  raw?: Map<string, unknown>;
  /** Its errors. */
  problems: RawProblem[];
  /** Its warnings. */
  warnings: RawProblem[];
}

/** Bit of `given[index]`: the job's id was written in the manifest. */
export const ID_GIVEN = 1;
/** Bit of `given[index]`: the job's output was written in the manifest. */
export const OUTPUT_GIVEN = 2;

/** A job read and checked, before it is kept (as a Job or a Draft) or only counted. */
export interface CheckedJob {
  /** 0-based position in the manifest. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /** Its id (given or derived from what could be read). */
  id: string;
  /** False when the job is not a mapping at all (never a duplicate of anything). */
  readable: boolean;
  /** The id as a safe file name. */
  safeId: string;
  /** The valid values (its output is {@linkcode outputOf} them). */
  values: Values;
  /** Every present field with its raw value. */
  raw: Map<string, unknown>;
  /** Its errors. */
  problems: RawProblem[];
  /** Its warnings. */
  warnings: RawProblem[];
  /** The {@linkcode ID_GIVEN} and {@linkcode OUTPUT_GIVEN} bits. */
  given: number;
}

/**
 * Read one job, with the defaults filled in, and check it.
 *
 * @param rawJob The job as loaded.
 * @param defaults The manifest's defaults, read, if any.
 * @param defaultsFaulty Fields whose default is wrong (reported once, at the defaults).
 * @param context The catalog and image facts.
 * @returns What was read of it and its problems and warnings (see {@linkcode entryOf}).
 */
export function checkJob(
  rawJob: RawJob,
  defaults: Level | undefined,
  defaultsFaulty: ReadonlySet<string>,
  context: FieldContext,
): CheckedJob {
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
  const readable = isRecord(rawJob.value);
  if (readable) {
    const { missingColumns } = context;
    if (!raw.has("prompt") && !missingColumns.has("prompt")) {
      problems.push(required("prompt", "every job needs a prompt"));
    }
    if (!raw.has("model") && !missingColumns.has("model")) {
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

  const rule = values.model === undefined ? undefined : modelRule(context.catalog, values.model);
  if (rule && values.model) {
    const found = modelProblems(values, rule, values.model);
    if (found.length > 0) problems.push(...found);
  }

  const imagePaths = values.imagePaths ?? NO_PATHS;
  const fanout = rawJob.fanout;
  const id = values.id !== undefined ? values.id + (fanout?.idSuffix ?? "") : deriveId({
    prompt: values.prompt ?? raw.get("prompt"),
    model: values.model ?? raw.get("model"),
    seconds: seconds ?? raw.get("seconds"),
    size: size ?? raw.get("size"),
    resolution: resolution ?? raw.get("resolution"),
    images: imagePaths,
  }) + (fanout?.derivedSuffix ?? "");
  const safeId = safeFileName(id);
  return {
    index: rawJob.index,
    line: rawJob.line,
    id,
    readable,
    safeId,
    values,
    raw,
    problems,
    warnings,
    given: (values.id !== undefined ? ID_GIVEN : 0) |
      (values.output !== undefined ? OUTPUT_GIVEN : 0),
  };
}

/**
 * A checked job as it is kept: the {@linkcode Job} alone when it is clean,
 * else its {@linkcode Draft}.
 *
 * @param checked The job as {@linkcode checkJob} read it.
 * @returns The job when clean, else its draft.
 */
export function entryOf(checked: CheckedJob): Job | Draft {
  const { index, line, id, safeId, values, problems, warnings } = checked;
  const output = outputOf(values, safeId);
  if (problems.length === 0 && warnings.length === 0) {
    return toJob(index, line, id, safeId, output, values);
  }
  const draft: Draft = {
    index,
    line,
    id,
    readable: checked.readable,
    safeId,
    output,
    values,
    raw: checked.raw,
    problems,
    warnings,
  };
  if (problems.length === 0) {
    draft.job = toJob(index, line, id, safeId, output, values);
    draft.values = undefined;
    draft.raw = undefined;
  }
  return draft;
}

/**
 * A job's video path relative to the output folder: `videos/<output>` when
 * the job names its output, else `videos/<safe id>.mp4`.
 *
 * @param values The job's valid values.
 * @param safeId Its id as a safe file name.
 * @returns E.g. `videos/intro.mp4`.
 */
export function outputOf(values: { output?: string }, safeId: string): string {
  // Joined, not concatenated: one flat string instead of a chain of pieces.
  return ["videos/", values.output ?? safeId, values.output ? "" : ".mp4"].join("");
}

/** The image paths of a job that names none, shared (frozen: never added to). */
const NO_PATHS: string[] = Object.freeze([]) as unknown as string[];

/**
 * Whether an entry is a draft rather than a clean job.
 *
 * @param entry A job or a draft.
 * @returns True for a draft.
 */
export function isDraft(entry: Job | Draft): entry is Draft {
  return "problems" in entry;
}

/**
 * A clean job turned back into a draft, to carry a problem found later (a duplicate).
 *
 * @param job The clean job.
 * @returns A draft without problems, holding the job.
 */
export function draftOf(job: Job): Draft {
  return {
    index: job.index,
    line: job.line,
    id: job.id,
    readable: true,
    safeId: job.safeId,
    output: job.output,
    job,
    problems: [],
    warnings: [],
  };
}

/** The images of a job that has none, shared (frozen: a job's images are never added to). */
const NO_IMAGES: JobImage[] = Object.freeze([]) as unknown as JobImage[];

/** Where a job keeps its fingerprint once computed (a hidden, non-enumerable own property). */
const FINGERPRINT = Symbol("fingerprint");

/**
 * A validated job's `fingerprint`, computed when first read and then kept:
 * validation itself never reads it, and hashing every prompt of 1,000,000
 * jobs would be most of its time. Each job has it as an own, enumerable
 * getter (so spreading, `JSON.stringify` and `structuredClone` see a plain
 * string, in its usual place), every job sharing this one getter and so one
 * object shape.
 */
const LAZY_FINGERPRINT: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Job & { [FINGERPRINT]?: string }): string {
    const kept = this[FINGERPRINT];
    if (kept !== undefined) return kept;
    const value = fingerprint({
      model: this.model,
      prompt: this.prompt,
      seconds: this.seconds,
      size: this.size,
      resolution: this.resolution,
      imageHashes: this.images.map((image) => image.sha256),
    });
    // A job frozen by its holder computes it again at each read instead.
    if (Object.isExtensible(this)) Object.defineProperty(this, FINGERPRINT, { value });
    return value;
  },
};

function toJob(
  index: number,
  line: number,
  id: string,
  safeId: string,
  output: string,
  values: Values,
): Job {
  // A job without problems has every value; the fallbacks only satisfy the types.
  const job = {
    index,
    line,
    id,
    safeId,
    prompt: values.prompt ?? "",
    model: values.model ?? "",
    seconds: values.seconds ?? JOB_DEFAULTS.seconds,
    size: values.size ?? JOB_DEFAULTS.size,
    resolution: values.resolution ?? JOB_DEFAULTS.resolution,
    images: values.images === undefined || values.images.length === 0 ? NO_IMAGES : values.images,
    output,
  };
  return Object.defineProperty(job, "fingerprint", LAZY_FINGERPRINT) as Job;
}

/**
 * What can be shown of an invalid job.
 *
 * @param draft The job's draft.
 * @param issues Its errors.
 * @returns The invalid job.
 */
export function toInvalid(draft: Draft, issues: Issue[]): InvalidJob {
  const { job } = draft;
  if (job) {
    return {
      index: draft.index,
      line: draft.line,
      id: draft.id,
      model: job.model,
      seconds: job.seconds,
      size: job.size,
      resolution: job.resolution,
      images: job.images.map((image) => image.path),
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
    model: values.model ?? (typeof rawModel === "string" ? rawModel : undefined),
    seconds: values.seconds ?? wholeNumber(raw.get("seconds")),
    size: values.size ?? (typeof rawSize === "string" ? rawSize : undefined),
    resolution: values.resolution ??
      (typeof rawResolution === "string" ? rawResolution : undefined),
    images: values.imagePaths ?? [],
    issues,
  };
}

function required(field: string, why: string): RawProblem {
  return { code: "required", field, message: `${field} is required; ${why}` };
}
