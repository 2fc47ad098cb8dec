/**
 * SHA-256, the one hash the tool uses: fingerprints and derived ids, image
 * and video digests. Hex digests are 64 lowercase digits.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * Hex SHA-256 of text (UTF-8) or bytes.
 *
 * @param data What to hash.
 * @returns 64 lowercase hex digits.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A SHA-256 fed piece by piece, for content too large to hold at once. */
export interface Sha256 {
  /**
   * Feeds the next piece.
   *
   * @param bytes The piece (not kept).
   * @returns The same hash, to chain.
   */
  update(bytes: Uint8Array): Sha256;
  /**
   * Ends the hash; call it once.
   *
   * @returns 64 lowercase hex digits of everything fed.
   */
  hex(): string;
}

/**
 * Starts a SHA-256 fed piece by piece.
 *
 * @returns A hash with nothing fed yet.
 */
export function sha256(): Sha256 {
  const hash = createHash("sha256");
  const piecewise: Sha256 = {
    update(bytes): Sha256 {
      hash.update(bytes);
      return piecewise;
    },
    hex: () => hash.digest("hex"),
  };
  return piecewise;
}

/**
 * Hex SHA-256 of a file, read in pieces so memory stays flat whatever its size.
 *
 * @param path The file.
 * @param pieceBytes How much is read at a time.
 * @returns 64 lowercase hex digits.
 * @throws {Deno.errors.NotFound} and the other errors of opening or reading the file.
 */
export async function sha256File(path: string | URL, pieceBytes = 256 * 1024): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const hash = sha256();
  const buffer = new Uint8Array(pieceBytes);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.hex();
}
