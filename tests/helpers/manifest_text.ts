/**
 * Helpers for the loader's tests: parse a manifest given as text, and expect
 * a refusal with its code.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ManifestError } from "../../src/errors.ts";
import { parseManifest } from "../../src/manifest/load.ts";
import type { RawManifest } from "../../src/manifest/raw.ts";

/**
 * Parse manifest text as the file `m.yaml` or `m.csv`.
 *
 * @param format The manifest's format.
 * @param text The manifest's text.
 * @returns The raw manifest.
 */
export function parseText(format: "yaml" | "csv", text: string): RawManifest {
  return parseManifest(new TextEncoder().encode(text), { file: `m.${format}`, format });
}

/**
 * Assert that `fn` throws a ManifestError with this code (and line, when given).
 *
 * @param fn What should refuse (sync or async).
 * @param code The expected error code.
 * @param message A pattern the message must match.
 * @param line The expected line, when given.
 */
export async function assertRefused(
  fn: () => unknown,
  code: string,
  message: RegExp,
  line?: number,
): Promise<void> {
  await assert.rejects(async () => await fn(), (error: unknown) => {
    assert.ok(error instanceof ManifestError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    if (line !== undefined) assert.equal(error.line, line);
    return true;
  });
}
