/**
 * Reading a small settings file the user names (`--models`, `--prices`):
 * it must be a file, not larger than a bound, and readable as text; any
 * failure is one {@linkcode ManifestError} naming the file and the reason.
 *
 * @module
 */
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
