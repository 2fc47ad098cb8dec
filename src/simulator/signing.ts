/**
 * Signed video URLs: `/files/{task}.mp4?expires=MS&sig=HEX`, where `sig` is an
 * HMAC-SHA-256 of the task and expiry under a secret only this simulator
 * knows. The signature is the credential; the file route never looks at an
 * `Authorization` header (it only counts those that carry one).
 *
 * @module
 */
import { toHex } from "./hex.ts";

/** Signs and checks video URLs with one secret. */
export class UrlSigner {
  #key: Promise<CryptoKey>;

  /** @param secret The HMAC secret. */
  constructor(secret: string) {
    this.#key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  /**
   * A signed URL for a task's file.
   *
   * @param origin Where files are served, e.g. `http://127.0.0.1:8080`.
   * @param taskId The task.
   * @param expiresAt Milliseconds since the epoch after which the URL is refused.
   * @returns The absolute URL.
   */
  async url(origin: string, taskId: string, expiresAt: number): Promise<string> {
    const sig = await this.#sign(taskId, expiresAt);
    return `${origin}/files/${encodeURIComponent(taskId)}.mp4?expires=${expiresAt}&sig=${sig}`;
  }

  /**
   * Whether `sig` is this simulator's signature of the task and expiry.
   *
   * @param taskId The task named in the path.
   * @param expires The `expires` query value, as sent.
   * @param sig The `sig` query value, as sent.
   * @returns True when the signature matches (the expiry is checked by the caller).
   */
  async verify(taskId: string, expires: string, sig: string): Promise<boolean> {
    if (!/^\d+$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig)) return false;
    const bytes = new Uint8Array(sig.match(/../g)!.map((pair) => parseInt(pair, 16)));
    return crypto.subtle.verify(
      "HMAC",
      await this.#key,
      bytes,
      new TextEncoder().encode(`${taskId}\n${expires}`),
    );
  }

  async #sign(taskId: string, expiresAt: number): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(`${taskId}\n${expiresAt}`),
    );
    return toHex(mac);
  }
}
