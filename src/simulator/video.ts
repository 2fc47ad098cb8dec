/**
 * The files the simulator serves: its embedded clip made distinct per task,
 * and the HTTP `Range` arithmetic for serving them (pure).
 *
 * @module
 */
import { CLIP_MP4 } from "./assets/clip_mp4.ts";

/**
 * The video of one task: the clip with a top-level `free` box appended that
 * holds the task id. `ftyp` stays first and no sample offset moves, so the
 * file plays like the clip while its bytes (and SHA-256) are its own.
 *
 * @param taskId The task.
 * @param clip The base clip. @default the embedded clip
 * @returns A valid MP4 file.
 */
export function videoForTask(taskId: string, clip: Uint8Array = CLIP_MP4): Uint8Array {
  const payload = new TextEncoder().encode(`seedance-batch simulator task ${taskId}`);
  const size = 8 + payload.length;
  const file = new Uint8Array(clip.length + size);
  file.set(clip, 0);
  const view = new DataView(file.buffer);
  view.setUint32(clip.length, size);
  file.set([0x66, 0x72, 0x65, 0x65], clip.length + 4); // "free"
  file.set(payload, clip.length + 8);
  return file;
}

/** A byte range to serve, inclusive at both ends. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** Last byte. */
  end: number;
}

/**
 * Interpret a `Range` header for a file of `size` bytes (RFC 9110 §14).
 * Only one range is honoured; a header this server does not understand (or
 * several ranges) means the whole file, as the RFC allows.
 *
 * @param header The `Range` header, or `null`.
 * @param size The file's length.
 * @returns `full`, the range to serve, or `unsatisfiable` (answer 416).
 */
export function interpretRange(
  header: string | null,
  size: number,
): "full" | "unsatisfiable" | ByteRange {
  if (header === null) return "full";
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return "full";
  const [, first, last] = match;
  if (first === "" && last === "") return "full";
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return "full";
  return { start, end };
}
