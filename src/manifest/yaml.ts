/**
 * YAML manifests to raw jobs. The common layout (a job list at the root or
 * under `jobs:`, each item starting with a dash at the list's indentation) is
 * cut into items by {@linkcode splitYamlJobs} and each item parsed on its own;
 * anything else takes the whole-document parse of `yaml_document.ts`. Pure.
 *
 * @module
 */
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import type { ManifestSource, RawManifest } from "./raw.ts";
import { splitYamlJobs, type YamlLayout } from "./yaml_split.ts";
import { parseYamlDocument, rawJobs } from "./yaml_document.ts";
import { MANIFEST_SCHEMA } from "./yaml_schema.ts";

const ITEM_OPTIONS: yaml.LoadOptions = { schema: MANIFEST_SCHEMA };

/**
 * Parse each item of a layout on its own, as a one-item list. Returns
 * undefined when an item does not parse alone (an alias to an anchor in
 * another item, a quoted text running past the next dash, a syntax error)
 * or uses an alias to a collection (the whole-document parse then guards
 * against alias bombs).
 */
function parseYamlItems(bytes: Uint8Array, layout: YamlLayout): unknown[] | undefined {
  const { itemStarts, itemsEnd } = layout;
  const decoder = new TextDecoder();
  const values: unknown[] = new Array(itemStarts.length);
  let star = -2; // the next `*` at or after the current item, -1 for none
  for (let index = 0; index < itemStarts.length; index += 1) {
    const start = itemStarts[index];
    const end = index + 1 < itemStarts.length ? itemStarts[index + 1] : itemsEnd;
    if (star !== -1 && star < start) star = bytes.indexOf(0x2a, start);
    const text = decoder.decode(bytes.subarray(start, end));
    let parsed: unknown;
    try {
      parsed = star !== -1 && star < end
        ? loadCountingAliases(text)
        : yaml.load(text, ITEM_OPTIONS);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 1) return undefined;
    values[index] = parsed[0];
  }
  return values;
}

/** Parse an item that may hold aliases; undefined when one points at a collection. */
function loadCountingAliases(text: string): unknown {
  let collectionAliases = 0;
  const parsed = yaml.load(text, {
    schema: MANIFEST_SCHEMA,
    listener(event, state): void {
      if (
        event === "close" && state.kind === null && typeof state.result === "object" &&
        state.result !== null
      ) {
        collectionAliases += 1;
      }
    },
  });
  return collectionAliases > 0 ? undefined : parsed;
}

/**
 * Parse a YAML manifest. The common layout (a job list at the root or under
 * `jobs:`, each item starting with a dash at the list's indentation) is
 * split into items by scanning lines, and each item is parsed on its own:
 * lines come from the scan, and neither the whole text as a string nor the
 * whole tree is ever built at once. Anything the scan is not sure about, or
 * any item that does not parse on its own, falls back to parsing the whole
 * document with {@linkcode parseYamlDocument}, which also words every error.
 *
 * @param source The manifest's bytes, in a box emptied once they are decoded.
 * @param file The file name for messages.
 * @returns The raw manifest.
 * @throws {ManifestError} When the content cannot be read as a manifest.
 */
export function parseYamlManifest(source: ManifestSource, file: string): RawManifest {
  const layout = splitYamlJobs(source.bytes ?? new Uint8Array());
  const items = layout && parseYamlItems(source.bytes ?? new Uint8Array(), layout);
  if (layout && items) {
    const key = layout.jobsKey;
    if (key === undefined) {
      source.bytes = undefined;
      return { file, format: "yaml", jobs: rawJobs(items, layout.itemLines, 1), problems: [] };
    }
    const decoder = new TextDecoder();
    const skeleton = decoder.decode(source.bytes?.subarray(0, key.start)) + "jobs: []\n" +
      decoder.decode(source.bytes?.subarray(key.blockEnd));
    try {
      const manifest = parseYamlDocument(skeleton, file, {
        values: items,
        lines: layout.itemLines,
        keyLine: key.line,
        removedLines: key.removedLines,
      });
      source.bytes = undefined;
      return manifest;
    } catch {
      // The rest of the document has a problem; the whole-document parse words it.
    }
  }
  const text = new TextDecoder().decode(source.bytes);
  source.bytes = undefined;
  return parseYamlDocument(text, file);
}
