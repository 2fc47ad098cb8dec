/**
 * Reading a small settings file the user names (`--models`, `--prices`):
 * it must be a file, not larger than a bound, readable as text, and YAML (or
 * JSON, which is YAML); any failure is one {@linkcode ManifestError} naming
 * the file, the line where there is one, and the reason.
 *
 * @module
 */
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import { ManifestError, messageOf } from "./errors.ts";
import { formatBytes } from "./text.ts";

/**
 * Read a settings file's text.
 *
 * @param path The file, as the user named it.
 * @param options What it is called in messages (e.g. `models file`), the
 *   error code, and the largest size accepted.
 * @returns Its text.
 * @throws {ManifestError} When it is missing, not a file, too large or unreadable.
 */
export async function readSettingsFile(
  path: string,
  options: { what: string; code: string; maxBytes: number },
): Promise<string> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("it is not a file");
    if (info.size > options.maxBytes) {
      throw new Error(`it is larger than ${formatBytes(options.maxBytes)}`);
    }
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : messageOf(error);
    throw new ManifestError(`Cannot read the ${options.what} ${path}: ${reason}`, {
      file: path,
      code: options.code,
      cause: error,
    });
  }
}

/**
 * Parse a settings file's text as YAML (JSON included), with YAML's core
 * schema (no dates, no custom tags).
 *
 * @param text The file's text.
 * @param options The file, what it is called in messages, and the error code.
 * @returns The document.
 * @throws {ManifestError} When it is not YAML, naming the line.
 */
export function parseSettingsText(
  text: string,
  options: { file: string; what: string; code: string },
): unknown {
  const { file } = options;
  try {
    return yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
  } catch (error) {
    const mark = error instanceof yaml.YAMLException ? error.mark : undefined;
    const reason = error instanceof yaml.YAMLException ? error.reason : messageOf(error);
    throw new ManifestError(
      `Cannot parse the ${options.what} ${file}${
        mark ? ` at line ${mark.line + 1}` : ""
      }: ${reason}`,
      { file, line: mark ? mark.line + 1 : undefined, code: options.code, cause: error },
    );
  }
}
