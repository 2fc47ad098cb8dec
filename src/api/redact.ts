/**
 * Removes the API key from text that came from elsewhere (the service's
 * messages, codes, headers), in every form a service might echo it: as
 * sent, in another letter case, percent-encoded (wholly or in part, in
 * either hex case), and base64- or base64url-encoded inside a larger value
 * (`Bearer <key>`, `user:<key>` as in basic auth, a JSON blob). Pure.
 *
 * @module
 */

/** What takes the key's place. */
export const REDACTED = "[redacted]";

/** Keys shorter than this are only removed where they stand as a token. */
const SHORT_KEY = 8;

/** Shortest base64 fragment that is removed (shorter ones would hit ordinary words). */
const MIN_FRAGMENT = 8;

/**
 * Make the function that removes one key from text.
 *
 * @param key The API key as sent.
 * @returns A function from text to the same text with every form of the key
 *   replaced by {@linkcode REDACTED}.
 */
export function keyRedactor(key: string): (text: string) => string {
  if (key.length === 0) return (text) => text;
  const encoder = new TextEncoder();
  const bytes = encoder.encode(key);
  // Each character as itself or percent-encoded; `i` makes both the letters
  // and the hex digits match in any case.
  const plain = Array.from(key, (char) => {
    const hex = Array.from(
      encoder.encode(char),
      (byte) => `%${byte.toString(16).padStart(2, "0")}`,
    );
    return `(?:${escapeRegExp(char)}|${hex.join("")})`;
  }).join("");
  const short = key.length < SHORT_KEY;
  const plainPattern = new RegExp(short ? `(?<![\\w-])${plain}(?![\\w-])` : plain, "gi");
  const fragments = short ? [] : base64Fragments(bytes);
  const encodedPattern = fragments.length === 0
    ? undefined
    : new RegExp(fragments.map(escapeRegExp).join("|"), "g");
  return (text) => {
    let result = text.replace(plainPattern, REDACTED);
    if (encodedPattern) result = result.replace(encodedPattern, REDACTED);
    return result;
  };
}

/**
 * The base64 and base64url text that the key's bytes produce wherever they
 * sit in a longer value: for each of the three alignments, the characters
 * that depend on the key's bytes alone.
 */
function base64Fragments(bytes: Uint8Array): string[] {
  const fragments = new Set<string>();
  for (let offset = 0; offset < 3; offset += 1) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = btoa(String.fromCharCode(...padded)).replace(/=+$/, "");
    // Skip the group that shares bits with the bytes before the key, and the
    // partial group at the end, which shares bits with the bytes after it.
    const first = offset === 0 ? 0 : 4;
    const whole = Math.floor((offset + bytes.length) / 3) * 4;
    const fragment = encoded.slice(first, Math.max(first, whole));
    if (fragment.length >= MIN_FRAGMENT) {
      fragments.add(fragment);
      fragments.add(fragment.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  return [...fragments].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
