/**
 * The validated job: what the rest of the tool works with.
 *
 * @module
 */

/** A reference image of a job, checked and resolved. */
export interface JobImage {
  /** The path exactly as the manifest wrote it. */
  path: string;
  /** The absolute path on disk. */
  resolved: string;
  /** Content type detected from the bytes. */
  contentType: "image/jpeg" | "image/png" | "image/webp";
  /** File size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the file's bytes (part of the job's fingerprint). */
  sha256: string;
}

/** A job that passed validation. */
export interface Job {
  /** 0-based position in the manifest. */
  index: number;
  /** 1-based line where the job starts in the manifest file. */
  line: number;
  /** Stable id: the `id` field, or derived from the content. */
  id: string;
  /** The id made safe for a file name. */
  safeId: string;
  /** The prompt, trimmed. */
  prompt: string;
  /** The model, a key of the catalog. */
  model: string;
  /** The video's length in seconds. */
  seconds: number;
  /** The aspect ratio, e.g. `16:9`. */
  size: string;
  /** The resolution, e.g. `720p`. */
  resolution: string;
  /** The reference images, in manifest order. */
  images: JobImage[];
  /** The video's path relative to the output folder, e.g. `videos/intro.mp4`. */
  output: string;
  /** Hex hash of what is sent (model, prompt, seconds, size, resolution, image bytes). */
  fingerprint: string;
}
