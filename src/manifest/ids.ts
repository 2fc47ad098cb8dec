/**
 * Job identity: stable ids derived from content, ids made safe for file
 * names, and the fingerprint of what a submission sends. All pure.
 *
 * - The **id** names a job across runs. Without an `id` field it is derived
 *   from what the job asks for (prompt, model, seconds, size, resolution and
 *   image paths as written), so reordering rows keeps it.
 * - The **fingerprint** hashes what is sent, image bytes included, so an
 *   edited image or prompt is noticed against the journal.
 *
 * @module
 */
import { sha256Hex } from "../hash.ts";

/** The content a derived id is made from; values as validated, or as written when invalid. */
export interface IdContent {
  prompt?: unknown;
  model?: unknown;
  seconds?: unknown;
  size?: unknown;
  resolution?: unknown;
  /** Image paths as the manifest wrote them, in order. */
  images?: readonly unknown[];
}

/** What a submission sends, with each image reduced to the SHA-256 of its bytes. */
export interface FingerprintContent {
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  resolution: string;
  /** Hex SHA-256 of each image's bytes, in the order they are sent. */
  imageHashes: readonly string[];
}

/** Prefix of derived ids, so they read as ids and never as numbers. */
const DERIVED_ID_PREFIX = "job-";

/** Ids that are safe as they are (the common case, checked without encoding). */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_-]$|^[A-Za-z0-9_]$/;

/** Names Windows reserves for devices, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** Longest safe file name (UTF-8 bytes) before the suffix; leaves room for `.mp4` and temp suffixes. */
const MAX_NAME_BYTES = 150;

/**
 * Derive a job id from its content: `job-` and 12 hex digits.
 *
 * @param content The job's effective values (defaults applied).
 * @returns The same id for the same content, whatever the job's position.
 */
export function deriveId(content: IdContent): string {
  const key = JSON.stringify([
    content.prompt ?? null,
    content.model ?? null,
    content.seconds ?? null,
    content.size ?? null,
    content.resolution ?? null,
    content.images ?? [],
  ]);
  return DERIVED_ID_PREFIX + sha256Hex(key).slice(0, 12);
}

/**
 * Fingerprint what a submission sends: model, prompt, seconds, size,
 * resolution and each image's bytes hash (order matters).
 *
 * @param content The validated values.
 * @returns Hex SHA-256.
 */
export function fingerprint(content: FingerprintContent): string {
  return sha256Hex(JSON.stringify([
    content.model,
    content.prompt,
    content.seconds,
    content.size,
    content.resolution,
    content.imageHashes,
  ]));
}

/**
 * Make an id safe to use as a file name: no path separators, no `..`, no
 * control or reserved characters, no leading dot, bounded length. An id that
 * is already safe comes back unchanged; one that had to change gets a short
 * hash of the original appended, so two ids never share a safe name.
 *
 * @param id The job id.
 * @returns A readable file name stem, e.g. `scene_1-4f2a9c01` for `scene/1`.
 */
export function safeFileName(id: string): string {
  if (
    id.length <= MAX_NAME_BYTES && PLAIN_NAME.test(id) && !id.includes("..") && !RESERVED.test(id)
  ) {
    return id;
  }
  let name = id
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/g, "_")
    .replace(/\.{2,}/g, "_")
    .replace(/^[.\s]+/, "_")
    .replace(/[.\s]+$/, "_");
  if (RESERVED.test(name)) name = `_${name}`;
  if (name === "") name = "_";
  name = truncateUtf8(name, MAX_NAME_BYTES);
  return name === id ? id : `${name}-${sha256Hex(id).slice(0, 8)}`;
}

/**
 * Why a user-given `output` name is not a plain file name, or undefined when it is.
 *
 * @param output The `output` field as written.
 * @returns A reason completing "output must be a plain file name: ...", or undefined.
 */
export function outputNameProblem(output: string): string | undefined {
  if (output.trim() === "") return "it is empty";
  if (/[/\\]/.test(output)) return "no folders (no / or \\)";
  if (output === "." || output === ".." || output.includes("..")) return 'no ".."';
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(output)) return "no control characters";
  if (/[:*?"<>|]/.test(output)) return 'none of : * ? " < > |';
  if (output.startsWith(".")) return "no leading dot";
  if (/\.part$/i.test(output)) return 'not ending in ".part" (kept for partial downloads)';
  if (new TextEncoder().encode(output).length > 200) return "at most 200 bytes";
  return undefined;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return out;
}
