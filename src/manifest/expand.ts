/**
 * Fan-out: one manifest entry, many jobs (CONTRACT.md "Manifests", fan-out).
 * Runs on the raw manifest, before any field is judged, so every expanded
 * job is validated on its own and keeps its entry's line. Pure and
 * deterministic: the same manifest always gives the same jobs in the same
 * order.
 *
 * - `variants: N` (1..100): N renders of the same request, ids
 *   `<id>-v1`..`<id>-vN`, outputs `<stem>-v1.mp4`...
 * - `matrix:` (YAML only): names to lists of values, one job per combination
 *   (the cartesian product in the order written, the last name varying
 *   fastest). A name that is a job field (`model`, `seconds`, `size`,
 *   `resolution`, `image` or its alias `input_reference`) sets that field;
 *   every name fills `{name}` in the prompt, which is read as a template
 *   (`{{` and `}}` are literal braces). Ids are `<id>-<value>-<value>..`,
 *   outputs `<stem>-<value>-<value>..<ext>`.
 * - Both: every combination N times, ids `<id>-<value>..-v<k>`.
 *
 * An entry without `id` keeps the usual derived id (from each job's content),
 * with `-v<k>` appended for variants. A prompt is a template only in an entry
 * with a `matrix`; other prompts are left exactly as written.
 *
 * @module
 */
import { wholeNumber } from "./fields.ts";
import {
  type Fanout,
  NO_PROBLEMS,
  type RawJob,
  type RawManifest,
  type RawProblem,
  refuseManifest,
} from "./raw.ts";
import { isRecord } from "../text.ts";

/** Largest `variants`. */
export const MAX_VARIANTS = 100;

/** Most jobs one entry may expand to. */
export const MAX_JOBS_PER_ENTRY = 100_000;

/** Most jobs a manifest may expand to. */
export const MAX_EXPANDED_JOBS = 1_000_000;

/** Matrix names that set a job field, to the field they set (as the entry would write it). */
const FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ["model", "model"],
  ["seconds", "seconds"],
  ["size", "size"],
  ["resolution", "resolution"],
  ["image", "image"],
  ["input_reference", "image"],
]);

/** One name of a matrix: its values, their id parts and their text for the prompt. */
interface Axis {
  name: string;
  /** The job field it sets ("image" for either image name), if any. */
  field?: string;
  values: unknown[];
  /** Each value made safe for an id. */
  labels: string[];
  /** Each value as text for a `{name}` placeholder. */
  texts: string[];
}

/** A prompt template: literal text and placeholders, in order. */
export type Template = Array<string | { name: string }>;

/**
 * Expand every entry with `variants` or `matrix` into its jobs. An entry
 * whose `variants` or `matrix` cannot be read stays one job carrying the
 * problem. Already expanded manifests come back as they are.
 *
 * @param raw The manifest as loaded.
 * @returns The manifest with one raw job per expanded job; `entries` counts the entries.
 * @throws {ManifestError} When the manifest would expand to more than {@linkcode MAX_EXPANDED_JOBS} jobs.
 */
export function expandManifest(raw: RawManifest): RawManifest {
  if (raw.entries !== undefined) return raw;
  if (!raw.jobs.some(fansOut)) {
    return { ...raw, entries: raw.jobs.length, fannedOut: false };
  }
  const defaults = raw.defaults?.value;
  const defaultPrompt = isRecord(defaults) && Object.hasOwn(defaults, "prompt")
    ? defaults.prompt
    : undefined;
  let fannedOut = false;
  const jobs: RawJob[] = [];
  for (const entry of raw.jobs) {
    const fields = entry.value;
    if (!isRecord(fields) || !fansOut(entry)) {
      jobs.push(entry.index === jobs.length ? entry : { ...entry, index: jobs.length });
      continue;
    }
    fannedOut = true;
    expandEntry(entry, fields, defaultPrompt, jobs);
    if (jobs.length > MAX_EXPANDED_JOBS) {
      refuseManifest(
        raw.file,
        `its entries expand to more than ${MAX_EXPANDED_JOBS} jobs (by the entry at line ${entry.line})`,
        "manifest_too_large",
        undefined,
        entry.line,
      );
    }
  }
  return { ...raw, jobs: fannedOut ? jobs : raw.jobs, entries: raw.jobs.length, fannedOut };
}

/** Whether an entry has `variants` or `matrix` (perhaps empty). */
function fansOut(entry: RawJob): boolean {
  const fields = entry.value;
  return isRecord(fields) && (Object.hasOwn(fields, "variants") || Object.hasOwn(fields, "matrix"));
}

/** Push the jobs of one entry that has `variants` or `matrix` (perhaps empty). */
function expandEntry(
  entry: RawJob,
  fields: Record<string, unknown>,
  defaultPrompt: unknown,
  jobs: RawJob[],
): void {
  const base = copyWithout(fields, ["variants", "matrix"]);
  const problems: RawProblem[] = [];
  const variants = readVariants(fields.variants, problems);
  const axes = readMatrix(fields, problems);
  const count = (variants ?? 1) * axes.reduce((product, axis) => product * axis.values.length, 1);
  if (problems.length === 0 && count > MAX_JOBS_PER_ENTRY) {
    problems.push({
      code: "too_many",
      field: "matrix",
      message: `the entry expands to ${count} jobs; at most ${MAX_JOBS_PER_ENTRY} are allowed`,
    });
  }
  const hasMatrix = axes.length > 0;
  let template: Template | undefined;
  // A `prompt:` left empty (null) means "not given" here too: the default's is filled in.
  const own = Object.hasOwn(fields, "prompt") ? fields.prompt : undefined;
  const prompt = own === undefined || own === null ? defaultPrompt : own;
  if (problems.length === 0 && hasMatrix && typeof prompt === "string") {
    const parsed = parseTemplate(prompt);
    if (typeof parsed === "string") {
      problems.push({ code: "template", field: "prompt", message: parsed });
    } else template = parsed;
  }
  if (problems.length > 0 || (variants === undefined && !hasMatrix)) {
    // Unreadable, or `variants:` and `matrix:` both left empty: the entry is one job.
    jobs.push({
      index: jobs.length,
      line: entry.line,
      value: base,
      problems: problems.length > 0 ? [...entry.problems, ...problems] : entry.problems,
    });
    return;
  }
  const output = typeof base.output === "string" && base.output.trim() !== ""
    ? base.output.trim()
    : undefined;
  const positions = axes.map(() => 0);
  for (let combination = 0; combination < count / (variants ?? 1); combination += 1) {
    const value = hasMatrix ? copyWithout(base, []) : base;
    const texts = new Map<string, string>();
    const labels: string[] = [];
    const said: string[] = [];
    axes.forEach((axis, at) => {
      const i = positions[at];
      if (axis.field !== undefined) setOwn(value, axis.name, axis.values[i]);
      texts.set(axis.name, axis.texts[i]);
      labels.push(axis.labels[i]);
      said.push(`${axis.name}=${JSON.stringify(axis.texts[i])}`);
    });
    let jobProblems = entry.problems.length > 0 ? entry.problems : NO_PROBLEMS;
    if (template) {
      const filled = fillTemplate(template, texts);
      if (filled.missing.length > 0) {
        jobProblems = [...entry.problems, {
          code: "template",
          field: "prompt",
          message: `the prompt's ${
            filled.missing.map((name) => `{${name}}`).join(", ")
          } has no value; the matrix names are ${
            axes.map((axis) => axis.name).join(", ")
          }` +
            " (write {{ and }} for literal braces)",
        }];
      } else setOwn(value, "prompt", filled.text);
    }
    for (let k = 1; k <= (variants ?? 1); k += 1) {
      const parts = variants === undefined ? labels : [...labels, `v${k}`];
      const suffix = `-${parts.join("-")}`;
      const words = variants === undefined ? said : [...said, `variant ${k} of ${variants}`];
      const fanout: Fanout = {
        idSuffix: suffix,
        derivedSuffix: variants === undefined ? "" : `-v${k}`,
        combination: hasMatrix ? `matrix ${words.join(", ")}` : words.join(", "),
      };
      const jobValue = output === undefined
        ? value
        : setOwn(copyWithout(value, []), "output", withSuffix(output, suffix));
      jobs.push({
        index: jobs.length,
        line: entry.line,
        value: jobValue,
        problems: jobProblems,
        fanout,
      });
    }
    // The odometer: the last name varies fastest.
    for (let at = axes.length - 1; at >= 0; at -= 1) {
      positions[at] += 1;
      if (positions[at] < axes[at].values.length) break;
      positions[at] = 0;
    }
  }
}

/** `variants` as a count, or undefined when absent (or unreadable, with a problem). */
function readVariants(value: unknown, problems: RawProblem[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const count = wholeNumber(value);
  if (count === undefined || count < 1 || count > MAX_VARIANTS) {
    problems.push({
      code: count === undefined ? "type" : "out_of_range",
      field: "variants",
      message: `variants must be a whole number from 1 to ${MAX_VARIANTS}, got ${show(value)}`,
    });
    return undefined;
  }
  return count;
}

/** The matrix's names in the order written; empty when absent or unreadable (with problems). */
function readMatrix(fields: Record<string, unknown>, problems: RawProblem[]): Axis[] {
  const matrix = fields.matrix;
  if (matrix === undefined || matrix === null) return [];
  if (!isRecord(matrix)) {
    problems.push({
      code: "type",
      field: "matrix",
      message: `matrix must be a mapping of names to lists of values, got ${show(matrix)}`,
    });
    return [];
  }
  const names = Object.keys(matrix);
  if (names.length === 0) {
    problems.push({
      code: "empty",
      field: "matrix",
      message: "matrix is empty; give at least one name with a list of values",
    });
    return [];
  }
  const axes: Axis[] = [];
  const fieldsSet = new Map<string, string>();
  for (const name of names) {
    const where = `matrix.${name}`;
    const values = matrix[name];
    const field = FIELD_NAMES.get(name);
    // A name that is a whole number would be listed before the others (JavaScript orders
    // such keys first), breaking "in the order written".
    if (name.trim() === "" || /[{}]/.test(name) || /^\d+$/.test(name)) {
      problems.push({
        code: "invalid_name",
        field: "matrix",
        message: `matrix name ${
          JSON.stringify(name)
        } cannot be used; a name is a word (not a number) without braces`,
      });
      continue;
    }
    if (field !== undefined) {
      const other = fieldsSet.get(field);
      if (other !== undefined) {
        problems.push({
          code: "alias_conflict",
          field: where,
          message: `${other} and ${name} both set ${field} in the matrix; give only one`,
        });
        continue;
      }
      fieldsSet.set(field, name);
      const onEntry = field === "image"
        ? ["image", "input_reference"].find((key) => Object.hasOwn(fields, key))
        : Object.hasOwn(fields, field)
        ? field
        : undefined;
      if (onEntry !== undefined) {
        problems.push({
          code: "conflict",
          field: where,
          message:
            `${field} is set both by the entry's ${onEntry} and by the matrix; give only one`,
        });
        continue;
      }
    }
    if (!Array.isArray(values)) {
      problems.push({
        code: "type",
        field: where,
        message: `${where} must be a list of values, got ${show(values)}`,
      });
      continue;
    }
    if (values.length === 0) {
      problems.push({
        code: "empty",
        field: where,
        message: `${where} is an empty list; it would make no jobs`,
      });
      continue;
    }
    const labels: string[] = [];
    const texts: string[] = [];
    let ok = true;
    values.forEach((value, at) => {
      const problem = valueProblem(value, field === "image");
      if (problem !== undefined) {
        problems.push({
          code: "type",
          field: where,
          message: `${where} value ${at + 1} ${problem}`,
        });
        ok = false;
        return;
      }
      const label = field === "image" ? imageLabel(value) : idSafe(String(value));
      if (label === "") {
        problems.push({
          code: "empty",
          field: where,
          message: `${where} value ${at + 1} is empty; it cannot name a job`,
        });
        ok = false;
        return;
      }
      labels.push(label);
      texts.push(Array.isArray(value) ? value.map(String).join(", ") : String(value));
    });
    if (ok) axes.push({ name, field, values, labels, texts });
  }
  return problems.length > 0 ? [] : axes;
}

/** Why a matrix value cannot be used, completing "matrix.x value 2 ...", or undefined. */
function valueProblem(value: unknown, image: boolean): string | undefined {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return undefined;
  }
  if (image && Array.isArray(value)) {
    if (value.length === 0) return "is an empty list of images";
    return value.every((path) => typeof path === "string")
      ? undefined
      : "must be a path or a list of paths";
  }
  if (Array.isArray(value)) return "is a list; a value must be text or a number";
  if (isRecord(value)) return "is a mapping; a value must be text or a number";
  return "is empty; a value must be text or a number";
}

/**
 * A value made safe for an id: every character outside `A-Z a-z 0-9 . _` becomes `-`.
 *
 * @param text The value as text.
 * @returns E.g. `16-9` for `16:9`.
 */
export function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._]/g, "-");
}

/** An image value's id part: each file's name without its extension, made safe. */
function imageLabel(value: unknown): string {
  const paths = Array.isArray(value) ? value : [value];
  return paths.map((path) => {
    const name = String(path).trim().split(/[\\/]/).filter((part) => part !== "").at(-1) ?? "";
    const dot = name.lastIndexOf(".");
    return idSafe(dot > 0 ? name.slice(0, dot) : name);
  }).join("-");
}

/** A file name with a suffix before its extension: `intro.mp4` + `-v2` → `intro-v2.mp4`. */
function withSuffix(output: string, suffix: string): string {
  const dot = output.lastIndexOf(".");
  return dot > 0 ? `${output.slice(0, dot)}${suffix}${output.slice(dot)}` : `${output}${suffix}`;
}

/**
 * Read a prompt as a template: `{name}` placeholders, `{{` and `}}` literal braces.
 *
 * @param text The prompt.
 * @returns The template, or why it cannot be read.
 */
export function parseTemplate(text: string): Template | string {
  const parts: Template = [];
  let literal = "";
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === "{" && text[at + 1] === "{") {
      literal += "{";
      at += 2;
    } else if (char === "}" && text[at + 1] === "}") {
      literal += "}";
      at += 2;
    } else if (char === "{") {
      const end = text.indexOf("}", at + 1);
      const name = end === -1 ? undefined : text.slice(at + 1, end);
      if (name === undefined || name.includes("{") || name === "") {
        return `the prompt has a "{" at character ${at + 1} that opens no {name}; ` +
          "write {{ for a literal brace";
      }
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push({ name });
      at = end + 1;
    } else if (char === "}") {
      return `the prompt has a "}" at character ${at + 1} that closes no {name}; ` +
        "write }} for a literal brace";
    } else {
      literal += char;
      at += 1;
    }
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/**
 * Fill a template's placeholders.
 *
 * @param template The parsed template.
 * @param values Text per name.
 * @returns The text, and the names that had no value (each once).
 */
export function fillTemplate(
  template: Template,
  values: ReadonlyMap<string, string>,
): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.map((part) => {
    if (typeof part === "string") return part;
    const value = values.get(part.name);
    if (value === undefined) {
      if (!missing.includes(part.name)) missing.push(part.name);
      return "";
    }
    return value;
  }).join("");
  return { text, missing };
}

/** A shallow copy of a record without some keys (own keys only, `__proto__` kept as data). */
function copyWithout(
  record: Record<string, unknown>,
  left: readonly string[],
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (!left.includes(key)) setOwn(copy, key, record[key]);
  }
  return copy;
}

/** Set an own property, even one named `__proto__` (plain assignment would set the prototype). */
function setOwn(
  record: Record<string, unknown>,
  key: string,
  value: unknown,
): Record<string, unknown> {
  if (key === "__proto__") {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else record[key] = value;
  return record;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (isRecord(value)) return "a mapping";
  return "nothing";
}
