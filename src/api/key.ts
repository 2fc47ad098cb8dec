/**
 * Whether an API key can travel in an `Authorization: Bearer` header. A key
 * read from a file with two lines, a stray `\r` or a NUL cannot: the request
 * would fail after the run had already counted it as sent. Pure.
 *
 * @module
 */

/**
 * What is wrong with a key for an HTTP header, without quoting the key.
 *
 * @param key The key, already trimmed of surrounding whitespace.
 * @returns A description naming the first bad character's kind and position, or
 *   undefined when every character is printable ASCII other than a space.
 */
export function keyProblem(key: string): string | undefined {
  for (let at = 0; at < key.length; at += 1) {
    const code = key.charCodeAt(at);
    if (code > 0x20 && code < 0x7f) continue;
    return `it contains ${characterKind(code)} at character ${at + 1} of ${key.length}`;
  }
  return undefined;
}

function characterKind(code: number): string {
  if (code === 0x0a || code === 0x0d) return "a line break";
  if (code === 0x20 || code === 0x09) return "a space or tab";
  if (code === 0x00) return "a NUL character";
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
    return `a control character (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
  }
  return "a character outside printable ASCII";
}
