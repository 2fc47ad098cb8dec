/**
 * Hex encoding for the simulator: HMAC signatures and random secrets are
 * written as lowercase hex (SHA-256 digests come from `src/hash.ts`).
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
