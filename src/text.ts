/**
 * Tiny pure helpers shared across modules: counting words, byte sizes, and
 * the "is this a plain object" check of parsed data.
 *
 * @module
 */

const BYTE_UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/**
 * A byte count for people, in binary units: `512 B`, `5.1 KiB`, `30 MiB`.
 * A whole number of units has no decimals; anything else has one.
 *
 * @param bytes A byte count (0 or more).
 * @returns The count with its unit.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/**
 * A count with its word, in the plural unless the count is 1: `1 job`, `3 jobs`.
 *
 * @param count The count.
 * @param word The singular word (its plural adds `s`).
 * @returns E.g. `2 errors`.
 */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Whether a parsed value is a record (a plain object: not null, not a list).
 *
 * @param value Any parsed value (JSON, YAML).
 * @returns True for a record, typed so that its fields can be read.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
