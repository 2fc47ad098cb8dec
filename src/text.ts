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

/**
 * Characters a terminal may act on instead of showing: C0 controls (ESC, BEL,
 * CR, line breaks, ...), DEL, C1 controls (U+009B is a one-character CSI),
 * Unicode line separators and the bidirectional overrides and isolates that
 * reorder what is shown.
 */
const CONTROL_CHARACTERS =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as it may be printed to a terminal: every control character shown as a
 * visible escape, so text from a manifest or the service (an id, a status
 * word, a message) can neither run a terminal escape sequence (retitle,
 * recolour, move the cursor) nor fake a line. C0 controls become `\xHH`
 * (ESC is `\x1b`); the others become `\uHHHH`, which is also a valid escape
 * inside a JSON string, so a JSON line stays JSON. Printable text, tabs
 * excepted, is unchanged.
 *
 * @param text Any text.
 * @returns The text with each control character escaped.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARACTERS, visibleEscape);
}

/**
 * {@linkcode escapeControls} for text that may span lines by design (a help
 * text, pretty-printed JSON): every control character but the line feed is
 * escaped.
 *
 * @param text Any text.
 * @returns The text with each control character other than `\n` escaped.
 */
export function escapeControlsKeepingLines(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (char) => char === "\n" ? char : visibleEscape(char));
}

function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x20
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}
