/**
 * Hex encoding for the simulator: SHA-256 digests, HMAC signatures and
 * random secrets are all written as lowercase hex.
 *
 * @module
 */

/**
 * Lowercase hex of some bytes.
 *
 * @param bytes The bytes (a digest, a signature, random bytes).
 * @returns Two hex digits per byte.
 */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(view, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Hex SHA-256 of some bytes.
 *
 * @param bytes The bytes.
 * @returns 64 lowercase hex digits.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}
