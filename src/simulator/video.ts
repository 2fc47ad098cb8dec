/**
 * The files the simulator serves: its embedded clip made distinct per task,
 * and the HTTP `Range` arithmetic for serving them (pure).
 *
 * @module
 */
import { CLIP_MP4 } from "./assets/clip_mp4.ts";
import { boxesIn, findBox } from "../mp4.ts";
import { pictureFor } from "../video_check.ts";

/** What the simulator needs to know of a task to make its video. */
export interface VideoSpec {
  /** The task id, kept in a `free` box so every task's bytes differ. */
  id: string;
  /** Seconds asked for. */
  seconds: number;
  /** Aspect ratio word asked for. */
  size: string;
  /** Resolution word asked for. */
  resolution: string;
  /** Serve a video that does not match: half the seconds, the aspect ratio turned. */
  mismatched?: boolean;
}

/**
 * The video of one task: the embedded clip with its headers saying what the
 * task asked for (the duration in `mvhd`, `elst`, `tkhd` and `mdhd`, the
 * display size in `tkhd`), and a top-level `free` box appended that holds the
 * task id. `ftyp` stays first and no sample offset moves, so the file plays
 * like the clip (stretched in time and picture) while its bytes and SHA-256
 * are its own.
 *
 * @param spec The task's id and request.
 * @param clip The base clip. @default the embedded clip
 * @returns A valid MP4 file.
 */
export function videoForTask(spec: VideoSpec, clip: Uint8Array = CLIP_MP4): Uint8Array {
  const payload = new TextEncoder().encode(`seedance-batch simulator task ${spec.id}`);
  const size = 8 + payload.length;
  const file = new Uint8Array(clip.length + size);
  file.set(clip, 0);
  const view = new DataView(file.buffer);
  view.setUint32(clip.length, size);
  file.set([0x66, 0x72, 0x65, 0x65], clip.length + 4); // "free"
  file.set(payload, clip.length + 8);
  const seconds = spec.mismatched ? Math.max(1, Math.floor(spec.seconds / 2)) : spec.seconds;
  const [w, h] = spec.size.split(":");
  const picture = pictureFor(spec.mismatched ? `${h}:${w}` : spec.size, spec.resolution);
  restamp(file, clip.length, seconds, picture);
  return file;
}

/**
 * Rewrite the durations and display size in a file's version-0 headers, in
 * place (the embedded clip's headers are all version 0).
 */
function restamp(
  file: Uint8Array,
  end: number,
  seconds: number,
  picture: { width: number; height: number } | undefined,
): void {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const moov = findBox(file, 0, end, "moov");
  if (moov === undefined) return;
  const mvhd = findBox(file, moov.start, moov.end, "mvhd");
  if (mvhd === undefined) return;
  const movieScale = view.getUint32(mvhd.start + 12);
  view.setUint32(mvhd.start + 16, seconds * movieScale);
  for (const trak of boxesIn(file, moov.start, moov.end).filter((box) => box.type === "trak")) {
    const tkhd = findBox(file, trak.start, trak.end, "tkhd");
    if (tkhd !== undefined) {
      // version/flags, creation, modification, track id, reserved, then duration.
      view.setUint32(tkhd.start + 20, seconds * movieScale);
      if (picture !== undefined && view.getUint32(tkhd.end - 8) !== 0) {
        view.setUint32(tkhd.end - 8, picture.width * 65536);
        view.setUint32(tkhd.end - 4, picture.height * 65536);
      }
    }
    const edts = findBox(file, trak.start, trak.end, "edts");
    const elst = edts && findBox(file, edts.start, edts.end, "elst");
    // elst: version/flags, entry count, then the first entry's segment duration.
    if (elst !== undefined) view.setUint32(elst.start + 8, seconds * movieScale);
    const mdia = findBox(file, trak.start, trak.end, "mdia");
    const mdhd = mdia && findBox(file, mdia.start, mdia.end, "mdhd");
    if (mdhd !== undefined) {
      view.setUint32(mdhd.start + 16, seconds * view.getUint32(mdhd.start + 12));
    }
  }
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

/** A video padded to a size, read in chunks without ever being whole in memory. */
export interface PaddedVideo {
  /** Its size in bytes. */
  readonly size: number;
  /**
   * Fresh bytes from `start`, at most {@linkcode PADDED_CHUNK} of them and never past `end`.
   *
   * @param start First byte.
   * @param end One past the last byte wanted.
   */
  read(start: number, end: number): Uint8Array;
}

/** The largest chunk {@linkcode PaddedVideo.read} returns: 1 MiB. */
export const PADDED_CHUNK = 1 << 20;

/** The filler repeated through the padding: a fixed byte pattern, made on first use. */
let filler: Uint8Array | undefined;

function fillerBlock(): Uint8Array {
  if (filler === undefined) {
    filler = new Uint8Array(PADDED_CHUNK);
    for (let i = 0; i < filler.length; i++) filler[i] = (i * 31 + (i >> 8)) & 0xff;
  }
  return filler;
}

/**
 * A video `file` padded to `size` bytes by a top-level `free` box after it
 * (with a 64-bit size when it needs one), so it stays a valid MP4 of the same
 * picture. The padding is generated on read. When `size` is not larger than
 * the file plus a box header, the file is served as it is.
 *
 * @param file A complete MP4 file.
 * @param size The size wanted, in bytes.
 * @returns The padded video.
 */
export function paddedVideo(file: Uint8Array, size: number): PaddedVideo {
  const padding = size - file.length;
  if (padding < 16) {
    return { size: file.length, read: (start, end) => file.slice(start, end) };
  }
  const large = padding > 0xffff_ffff;
  const header = new Uint8Array(large ? 16 : 8);
  const view = new DataView(header.buffer);
  view.setUint32(0, large ? 1 : padding);
  header.set([0x66, 0x72, 0x65, 0x65], 4); // "free"
  if (large) view.setBigUint64(8, BigInt(padding));
  const prefix = new Uint8Array(file.length + header.length);
  prefix.set(file, 0);
  prefix.set(header, file.length);
  return {
    size,
    read(start: number, end: number): Uint8Array {
      const stop = Math.min(end, size, start + PADDED_CHUNK);
      if (start >= stop) return new Uint8Array(0);
      if (start < prefix.length) return prefix.slice(start, Math.min(stop, prefix.length));
      const offset = (start - prefix.length) % PADDED_CHUNK;
      return fillerBlock().slice(offset, Math.min(PADDED_CHUNK, offset + stop - start));
    },
  };
}
