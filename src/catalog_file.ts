/**
 * The `--models FILE` catalog file: a YAML or JSON mapping in the same shape
 * as the built-in table (`model -> {seconds: {min, max}, resolutions, maxImages}`),
 * validated, then laid over {@linkcode DEFAULT_CATALOG}. A model already in
 * the catalog may give only the rules it changes; a new model must give
 * `seconds` and `resolutions` (`maxImages` defaults to 0).
 *
 * ```yaml
 * doubao-seedance-3-0:
 *   seconds: { min: 4, max: 20 }
 *   resolutions: [720p, 1080p]
 *   maxImages: 4
 * doubao-seedance-1-0-pro:
 *   seconds: { min: 2, max: 12 }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { type Catalog, DEFAULT_CATALOG, mergeCatalog, modelRule } from "./catalog.ts";
import { ManifestError } from "./errors.ts";
import { isRecord } from "./text.ts";
import { parseSettingsText, readSettingsFile } from "./settings_file.ts";

/** Largest catalog file read, in bytes. */
const MAX_CATALOG_BYTES = 1024 * 1024;

const wholeNumber = z.number().int("must be a whole number");

const ruleSchema = z.strictObject({
  seconds: z.strictObject({
    min: wholeNumber.min(1, "must be at least 1"),
    max: wholeNumber.min(1, "must be at least 1"),
  }).refine((range) => range.min <= range.max, "min must not exceed max").optional(),
  resolutions: z.array(z.string().trim().min(1, "must not be empty")).min(
    1,
    "must list at least one resolution",
  ).optional(),
  maxImages: wholeNumber.min(0, "must be 0 or more").optional(),
});

type ModelOverride = z.infer<typeof ruleSchema>;

/**
 * Load the catalog: the built-in one, extended or overridden by a file.
 *
 * @param path The `--models` file (YAML or JSON); none means the built-in catalog.
 * @returns The catalog to validate against.
 * @throws {ManifestError} When the file is missing, unreadable or not a valid catalog.
 */
export async function loadCatalog(path?: string): Promise<Catalog> {
  if (path === undefined) return DEFAULT_CATALOG;
  const text = await readSettingsFile(path, {
    what: "models file",
    code: "catalog_unreadable",
    maxBytes: MAX_CATALOG_BYTES,
  });
  return parseCatalog(text, { file: path });
}

/**
 * Parse and validate a catalog file's text, and lay it over a base catalog (pure).
 *
 * @param text The file's YAML or JSON text.
 * @param options The file's name (for messages) and the base.
 * @returns The merged catalog.
 * @throws {ManifestError} Listing every problem when the text is not a valid catalog.
 */
export function parseCatalog(
  text: string,
  options: { file: string; base?: Catalog },
): Catalog {
  const { file } = options;
  const base = options.base ?? DEFAULT_CATALOG;
  const document = parseSettingsText(text, {
    file,
    what: "models file",
    code: "catalog_invalid",
  });
  if (!isRecord(document)) {
    throw new ManifestError(
      `Cannot use the models file ${file}: it must be a mapping of model names to their rules`,
      { file, code: "catalog_invalid" },
    );
  }
  // Each model is checked on its own and kept as an own property: a name such
  // as `__proto__` or `toString` is a model like any other, never a prototype.
  const problems: string[] = [];
  const rules: [string, ModelOverride][] = [];
  for (const [model, value] of Object.entries(document)) {
    const name = model.trim();
    if (name === "") {
      problems.push("a model name must not be empty");
      continue;
    }
    const parsed = ruleSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push([name, ...issue.path.map(String)].join(".") + `: ${issue.message}`);
      }
      continue;
    }
    const rule = parsed.data;
    if (!modelRule(base, name)) {
      if (!rule.seconds) problems.push(`${name}: a new model needs seconds: {min, max}`);
      if (!rule.resolutions) problems.push(`${name}: a new model needs resolutions: [...]`);
    }
    rules.push([name, rule]);
  }
  if (problems.length > 0) {
    throw new ManifestError(
      `Cannot use the models file ${file}: ${problems.join("; ")}`,
      { file, code: "catalog_invalid" },
    );
  }
  // zod leaves absent keys out of each rule, so each holds only what the file gives.
  return mergeCatalog(base, Object.fromEntries(rules));
}
