/**
 * The run's image reads: each image file is read (and hashed) once, however
 * many jobs send it, and its bytes are forgotten after the last job that
 * still has to send them.
 *
 * @module
 */
import type { JobImage } from "../manifest/job.ts";
import { sha256Hex } from "../hash.ts";

/** An image's bytes as read for upload, with their hash. */
export interface ImageRead {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Their SHA-256, hex. */
  sha256: string;
}

/** One image file of the run: its read (once started) and how many uses are still to come. */
interface SharedImage {
  uses: number;
  read?: Promise<ImageRead>;
}

/** Image files by resolved path, kept while a job still to send uses them. */
export class ImageCache {
  readonly #images = new Map<string, SharedImage>();
  readonly #readFile: (path: string) => Promise<Uint8Array>;

  /** @param readFile Reads a file. @default Deno.readFile */
  constructor(readFile: (path: string) => Promise<Uint8Array> = Deno.readFile) {
    this.#readFile = readFile;
  }

  /** Count one more use of an image file by a job still to send. */
  use(path: string): void {
    const image = this.#images.get(path);
    if (image === undefined) this.#images.set(path, { uses: 1 });
    else image.uses++;
  }

  /** An image file's bytes and hash, read once for every job that uses it. */
  read(image: JobImage): Promise<ImageRead> {
    let shared = this.#images.get(image.resolved);
    if (shared === undefined) {
      shared = { uses: 1 };
      this.#images.set(image.resolved, shared);
    }
    shared.read ??= this.#readFile(image.resolved).then((bytes) => ({
      bytes,
      sha256: sha256Hex(bytes),
    }));
    return shared.read;
  }

  /** One use of an image file is over; forget its bytes after the last. */
  done(path: string): void {
    const image = this.#images.get(path);
    if (image !== undefined && --image.uses <= 0) this.#images.delete(path);
  }
}
