/**
 * Manifest loading: a YAML or CSV file to raw jobs, each with the 1-based
 * line where it starts. Nothing here judges the fields (that is
 * `validate.ts`); loading only refuses files that cannot be read as a
 * manifest at all, by throwing {@linkcode ManifestError}: missing or
 * unreadable files, unknown extensions, empty, binary or huge files, syntax
 * errors, YAML alias bombs, and documents that hold no job list.
 *
 * This module is the entry: it picks the format by extension, checks the
 * file (size, binary, encoding, blank), and hands the bytes to `yaml.ts` or
 * `csv.ts`. {@linkcode parseManifest} is pure (bytes in, raw manifest out);
 * {@linkcode loadManifest} adds the file system.
 *
 * Large manifests are the norm (100,000 jobs), so the common layouts take a
 * lean path: a YAML job list is cut into items by scanning lines
 * (`yaml_split.ts`) and each item parsed alone, and CSV records are split in
 * house (`csv_split.ts`); anything unusual takes the general path (js-yaml on
 * the whole document in `yaml_document.ts`, csv-parse), which also words
 * every syntax error.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { join } from "node:path";
import { ManifestError, messageOf } from "../errors.ts";
import { formatBytes } from "../text.ts";
import {
  type ManifestFormat,
  type ManifestSource,
  type RawManifest,
  refuseManifest,
} from "./raw.ts";
import { parseYamlManifest } from "./yaml.ts";
import { parseCsvManifest } from "./csv.ts";

/** Largest manifest accepted, in bytes. */
export const MAX_MANIFEST_BYTES = 200 * 1024 * 1024;

/**
 * The format of a manifest, from its extension.
 *
 * @param file The manifest's path.
 * @returns `yaml` for `.yaml`/`.yml`, `csv` for `.csv`.
 * @throws {ManifestError} For any other extension.
 */
export function manifestFormat(file: string): ManifestFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".csv")) return "csv";
  const ext = /\.[^./\\]*$/.exec(file)?.[0];
  throw new ManifestError(
    `Cannot read manifest ${file}: ${
      ext ? `the extension "${ext}" is unknown` : "it has no extension"
    }; use .yaml, .yml or .csv`,
    { file, code: "manifest_extension" },
  );
}

/**
 * Read a manifest file into raw jobs.
 *
 * @param file The manifest's path (relative to the working folder or absolute).
 * @returns The raw manifest.
 * @throws {ManifestError} When the file cannot be read as a manifest.
 */
export async function loadManifest(file: string): Promise<RawManifest> {
  const { format, source } = await readManifestFile(file);
  return parseCheckedSource(source, { file, format });
}

/**
 * Read a manifest file's bytes and check them (size, binary, encoding,
 * blank), without parsing them.
 *
 * @param file The manifest's path (relative to the working folder or absolute).
 * @returns Its format, and its bytes in a box that whoever decodes them empties
 * (so nothing else keeps them alive once they are read).
 * @throws {ManifestError} When the file cannot be read as a manifest.
 */
export async function readManifestFile(
  file: string,
): Promise<{ format: ManifestFormat; source: ManifestSource }> {
  const format = await checkManifestPath(file);
  const source: ManifestSource = { bytes: await readBytes(file) };
  checkManifestBytes(source.bytes ?? new Uint8Array(), file);
  return { format, source };
}

/**
 * The checks made before a manifest file is read: not a folder, a known
 * extension, a file, not larger than the limit.
 *
 * @param file The manifest's path.
 * @returns Its format.
 * @throws {ManifestError} When the file cannot be a manifest.
 */
export async function checkManifestPath(file: string): Promise<ManifestFormat> {
  await refuseFolder(file);
  const format = manifestFormat(file);
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) refuseManifest(file, "it is not a file", "manifest_unreadable");
    if (info.size > MAX_MANIFEST_BYTES) {
      refuseManifest(
        file,
        `it is ${formatBytes(info.size)}, more than the ${formatBytes(MAX_MANIFEST_BYTES)} limit`,
        "manifest_too_large",
      );
    }
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      refuseManifest(file, "no such file", "manifest_unreadable", error);
    }
    refuseManifest(file, messageOf(error), "manifest_unreadable", error);
  }
  return format;
}

/** How many manifests found in a folder given as the manifest are named. */
const FOLDER_NAMES_SHOWN = 5;

/**
 * Refuse a folder given as the manifest, naming the manifest files in it.
 * Anything else (a file, a missing path) passes, for the checks that follow.
 */
async function refuseFolder(path: string): Promise<void> {
  let isFolder = false;
  try {
    isFolder = (await Deno.stat(path)).isDirectory;
  } catch {
    return;
  }
  if (!isFolder) return;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) {
      if (entry.isFile && /\.(ya?ml|csv)$/i.test(entry.name)) names.push(entry.name);
    }
  } catch {
    // Unreadable: say only that it is a folder.
  }
  names.sort();
  refuseManifest(path, manifestsInFolder(path, names), "manifest_unreadable");
}

/**
 * The reason given for a folder passed as the manifest (pure).
 *
 * @param folder The folder as given.
 * @param names The names of the .yaml, .yml and .csv files in it, sorted.
 * @returns E.g. `it is a folder, not a manifest file; did you mean batch/a.yaml?`.
 */
export function manifestsInFolder(folder: string, names: readonly string[]): string {
  const base = "it is a folder, not a manifest file";
  if (names.length === 0) return `${base}, and it holds no .yaml, .yml or .csv file`;
  const paths = names.map((name) => join(folder, name));
  if (paths.length === 1) return `${base}; did you mean ${paths[0]}?`;
  const shown = paths.slice(0, FOLDER_NAMES_SHOWN).join(", ");
  const more = paths.length > FOLDER_NAMES_SHOWN
    ? ` and ${paths.length - FOLDER_NAMES_SHOWN} more`
    : "";
  return `${base}; the manifests in it: ${shown}${more}`;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    return refuseManifest(file, messageOf(error), "manifest_unreadable", error);
  }
}

/**
 * Parse a manifest's bytes into raw jobs (pure).
 *
 * @param bytes The file's content.
 * @param options The file name (for messages and lines) and its format.
 * @returns The raw manifest.
 * @throws {ManifestError} When the content cannot be read as a manifest.
 */
export function parseManifest(
  bytes: Uint8Array,
  options: { file: string; format: ManifestFormat },
): RawManifest {
  return parseSource({ bytes }, options);
}

function parseSource(
  source: ManifestSource,
  options: { file: string; format: ManifestFormat },
): RawManifest {
  checkManifestBytes(source.bytes ?? new Uint8Array(), options.file);
  return parseCheckedSource(source, options);
}

/**
 * Parse bytes already checked by {@linkcode readManifestFile} (pure).
 *
 * @param source The bytes, in a box emptied once they are read.
 * @param options The file name (for messages and lines) and its format.
 * @returns The raw manifest.
 * @throws {ManifestError} When the content cannot be read as a manifest.
 */
export function parseCheckedSource(
  source: ManifestSource,
  options: { file: string; format: ManifestFormat },
): RawManifest {
  const { file, format } = options;
  if (format === "yaml") return parseYamlManifest(source, file);
  const bytes = source.bytes ?? new Uint8Array();
  source.bytes = undefined;
  return parseCsvManifest(bytes, file);
}

/**
 * Refuse content that cannot be a manifest: too large, binary, not UTF-8, or blank.
 *
 * @param bytes The whole file.
 * @param file The file name for messages.
 * @throws {ManifestError} When the content cannot be a manifest.
 */
export function checkManifestBytes(bytes: Uint8Array, file: string): void {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    refuseManifest(
      file,
      `it is ${formatBytes(bytes.length)}, more than the ${formatBytes(MAX_MANIFEST_BYTES)} limit`,
      "manifest_too_large",
    );
  }
  checkText(bytes, file);
  if (isBlank(bytes)) refuseManifest(file, "it is empty", "manifest_empty");
}

/** Whether the bytes hold only whitespace (and perhaps a BOM). */
function isBlank(bytes: Uint8Array): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}

/** Refuse binary junk and non-UTF-8 text. */
function checkText(bytes: Uint8Array, file: string): void {
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) ||
      (bytes[0] === 0xfe && bytes[1] === 0xff);
    refuseManifest(
      file,
      utf16
        ? "it is UTF-16 text; save it as UTF-8"
        : `it holds binary data (a NUL byte at offset ${nul}), not text`,
      "manifest_binary",
    );
  }
  if (!isUtf8(bytes)) {
    refuseManifest(file, "it is not UTF-8 text; save it as UTF-8", "manifest_binary");
  }
}
