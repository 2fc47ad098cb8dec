/**
 * The per-field rules: read one level of settings (a job or `defaults:`)
 * field by field, checking each value on its own and then against its
 * model's rules in the catalog. Problems are collected as data. Pure: image
 * files come as a lookup of what each turned out to be.
 *
 * @module
 */
import { resolve } from "node:path";
import { type Catalog, type ModelRule, modelRule, SIZES } from "../catalog.ts";
import { imageLimitWarnings, type ImageProbe } from "../image.ts";
import type { JobImage } from "./job.ts";
import { outputNameProblem } from "./ids.ts";
import { JOB_FIELDS, type RawProblem } from "./raw.ts";
import { isRecord, plural } from "../text.ts";
import { nearest, unknownFieldMessage } from "./suggest.ts";

/** The job fields' names, for a quick lookup of each field of each job. */
const FIELD_NAMES: ReadonlySet<string> = new Set(JOB_FIELDS);

/** What the field rules check against, the same for every job of a manifest. */
export interface FieldContext {
  /** The model rules. */
  catalog: Catalog;
  /** The catalog's model names. */
  models: string[];
  /** The manifest's folder (absolute): image paths are relative to it. */
  baseDir: string;
  /** What each referenced image file is, by absolute path. */
  images: ReadonlyMap<string, ImageProbe>;
  /** Every resolution any model accepts. */
  resolutions: string[];
  /** Required CSV columns already reported missing at the header. */
  missingColumns: ReadonlySet<string>;
}

/** One level of settings (defaults, or one job), read field by field. */
export interface Level {
  /** Valid values by field. */
  values: Values;
  /** Every field that is present (valid or not), with its raw value. */
  present: Map<string, unknown>;
  /** The errors found. */
  problems: RawProblem[];
  /** The warnings found (upstream image limits). */
  warnings: RawProblem[];
}

/** The valid values of a level, by field. */
export interface Values {
  /** The job's id, trimmed (a number as its text). */
  id?: string;
  /** The prompt, trimmed. */
  prompt?: string;
  /** A model of the catalog. */
  model?: string;
  /** The video's length in seconds. */
  seconds?: number;
  /** The aspect ratio, e.g. `16:9`. */
  size?: string;
  /** The resolution, e.g. `720p`. */
  resolution?: string;
  /** The reference images, set only when every one of them is good. */
  images?: JobImage[];
  /** Image paths as written (kept even when a file is bad). */
  imagePaths?: string[];
  /** Which name the images were given under: `image` or its alias `input_reference`. */
  imageField?: string;
  /** The video's file name under `videos/`. */
  output?: string;
}

/**
 * The checks that depend on the model's rules: seconds range, resolutions, image count.
 *
 * @param values The job's values (defaults applied).
 * @param rule The model's rules.
 * @param model The model's name, for messages.
 * @returns The problems found.
 */
export function modelProblems(
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
      message: `${plural(count, "image")} given; ${model} accepts at most ${rule.maxImages}`,
    });
  }
  return problems;
}

/**
 * Read the fields of one level (a job or `defaults:`), checking what needs no model.
 *
 * @param value The level as parsed (a mapping, or whatever stood in its place).
 * @param kind Whether it is a job or the defaults.
 * @param context The catalog and image facts.
 * @returns Its valid values, present fields, problems and warnings.
 */
export function readLevel(value: unknown, kind: "job" | "defaults", context: FieldContext): Level {
  const level: Level = { values: {}, present: new Map(), problems: [], warnings: [] };
  if (!isRecord(value)) {
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
    if (!FIELD_NAMES.has(field)) {
      problems.push({ code: "unknown_field", field, message: unknownFieldMessage(field) });
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
    if (field === "variants" || field === "matrix") {
      // An entry's own are expanded before its fields are read (expand.ts).
      problems.push({
        code: "not_allowed",
        field,
        message: `${field} cannot be a default; give it on each entry that fans out`,
      });
      continue;
    }
    const name = field === "input_reference" ? "image" : field;
    if (name === "image" && level.present.has("image")) {
      // The second of `image` and `input_reference` (stored as `image`), as written.
      problems.push({
        code: "alias_conflict",
        field,
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
  context: FieldContext,
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
      } else if (modelRule(context.catalog, model) === undefined) {
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
        const digits = typeof value === "number" ? String(value) : text(value);
        const hint = digits !== undefined && /^\d+$/.test(digits) && all.includes(`${digits}p`)
          ? ` (did you mean "${digits}p"?)`
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
function readImageField(field: string, value: unknown, level: Level, context: FieldContext): void {
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
    case "too_large":
      return `image ${path} cannot be used: ${probe.detail ?? "it is too large"}`;
    case "format":
      return probe.detail
        ? `image ${path} is ${
          /^[AEIO]/.test(probe.detail) ? "an" : "a"
        } ${probe.detail}; the service accepts JPEG, PNG or WebP`
        : `image ${path} is not a JPEG, PNG or WebP image (its bytes match no known image format)`;
  }
}

function typeProblem(field: string, expected: string, value: unknown): RawProblem {
  return {
    code: "type",
    field,
    message: `${field} must be ${expected}, got ${describe(value)}`,
  };
}

/**
 * A whole number from a YAML number or a numeric string (CSV cells are strings).
 *
 * @param value The value as written.
 * @returns The number, or undefined when the value is not a whole number.
 */
export function wholeNumber(value: unknown): number | undefined {
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
