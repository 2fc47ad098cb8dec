/**
 * Reference images: which format a file is by its bytes (never its name),
 * its pixel size read from the headers (JPEG SOF, PNG IHDR, WebP
 * VP8/VP8L/VP8X), and the upstream provider's limits checked as warnings.
 * {@linkcode inspectImage} and {@linkcode imageLimitWarnings} are pure;
 * {@linkcode readImage} is the only part that touches the disk.
 *
 * @module
 */
import { IMAGE_LIMITS } from "./catalog.ts";
import { messageOf } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { formatBytes } from "./text.ts";

/** A content type the service accepts for `input_reference`. */
export type ImageContentType = "image/jpeg" | "image/png" | "image/webp";

/** What the bytes of a file say about it. */
export type ImageInspection =
  | {
    /** An image the service accepts. */
    accepted: true;
    contentType: ImageContentType;
    /** Human name of the format, e.g. `PNG`. */
    format: string;
    /** Pixel width, when the header could be read. */
    width?: number;
    /** Pixel height, when the header could be read. */
    height?: number;
  }
  | {
    /** A format the service does not accept, or no known format. */
    accepted: false;
    /** Human name of the format (`GIF`, `BMP`, ...), or undefined when unrecognised. */
    format?: string;
  };

/** An image file that was read and accepted. */
export interface ImageFacts {
  /** Always true: the file can be used. */
  ok: true;
  /** Absolute path. */
  resolved: string;
  /** Content type detected from the bytes. */
  contentType: ImageContentType;
  /** The format's name, e.g. `PNG`. */
  format: string;
  /** File size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Width in pixels, when the header tells. */
  width?: number;
  /** Height in pixels, when the header tells. */
  height?: number;
}

/** Why an image file cannot be used. */
export interface ImageProblem {
  /** Always false: the file cannot be used. */
  ok: false;
  /** Absolute path. */
  resolved: string;
  /** `missing`, `not_file`, `unreadable`, `empty`, `format` or `too_large`. */
  reason: "missing" | "not_file" | "unreadable" | "empty" | "format" | "too_large";
  /**
   * The detected format for `format` problems, e.g. `GIF`; the OS message for
   * `unreadable`; the size and the limit for `too_large`.
   */
  detail?: string;
}

/** The outcome of reading one image file. */
export type ImageProbe = ImageFacts | ImageProblem;

/** A limit the upstream provider states that an image does not meet. */
export interface ImageLimitWarning {
  code: "image_size" | "image_dimensions" | "image_aspect" | "image_header";
  /** Completes the sentence "image <path> ...". */
  text: string;
}

/**
 * Identify an image by its first bytes and read its pixel size.
 *
 * @param bytes The file's bytes (the first 64 KiB are enough for most files).
 * @returns Whether the service accepts it, its format and, when found, its size.
 */
export function inspectImage(bytes: Uint8Array): ImageInspection {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    return { accepted: true, contentType: "image/jpeg", format: "JPEG", ...jpegSize(bytes) };
  }
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { accepted: true, contentType: "image/png", format: "PNG", ...pngSize(bytes) };
  }
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") {
    return { accepted: true, contentType: "image/webp", format: "WebP", ...webpSize(bytes) };
  }
  return { accepted: false, format: otherFormat(bytes) };
}

/**
 * The upstream provider's limits (size, sides, aspect ratio) an image breaks.
 *
 * @param facts The image's size in bytes and, when known, pixels.
 * @returns One warning per broken limit; an empty list when all hold.
 */
export function imageLimitWarnings(
  facts: { bytes: number; width?: number; height?: number },
): ImageLimitWarning[] {
  const warnings: ImageLimitWarning[] = [];
  if (facts.bytes > IMAGE_LIMITS.maxBytes) {
    warnings.push({
      code: "image_size",
      text: `is ${formatBytes(facts.bytes)}; the upstream provider accepts at most ${
        formatBytes(IMAGE_LIMITS.maxBytes)
      }`,
    });
  }
  const { width, height } = facts;
  if (width === undefined || height === undefined) {
    warnings.push({
      code: "image_header",
      text: "has no readable width and height in its header; its limits cannot be checked",
    });
    return warnings;
  }
  const sides = `${width}x${height} px`;
  if (
    Math.min(width, height) < IMAGE_LIMITS.minSide || Math.max(width, height) > IMAGE_LIMITS.maxSide
  ) {
    warnings.push({
      code: "image_dimensions",
      text:
        `is ${sides}; the upstream provider accepts ${IMAGE_LIMITS.minSide}..${IMAGE_LIMITS.maxSide} px per side`,
    });
  }
  const aspect = width / height;
  if (aspect < IMAGE_LIMITS.minAspect || aspect > IMAGE_LIMITS.maxAspect) {
    warnings.push({
      code: "image_aspect",
      text: `has aspect ratio ${
        aspect.toFixed(2)
      } (${sides}); the upstream provider accepts ${IMAGE_LIMITS.minAspect}..${IMAGE_LIMITS.maxAspect}`,
    });
  }
  return warnings;
}

/**
 * Largest reference image accepted, in bytes: far above any real reference
 * (the upstream provider takes at most 30 MB, a warning) and small enough
 * that a job's images are held in memory once for their upload.
 */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** How much of the start of a file is kept to identify it and read its pixel size. */
const HEAD_BYTES = 1024 * 1024;

/** Read size while hashing. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Read an image file, check its format by its bytes, measure it and hash it.
 * The size is checked first (a file over {@linkcode MAX_IMAGE_BYTES} is
 * refused unread), only the first MiB is kept to identify it, and the hash is
 * computed while streaming, so memory stays flat whatever the file.
 *
 * @param resolved The absolute path of the file.
 * @param options `maxBytes` overrides {@linkcode MAX_IMAGE_BYTES} (tests).
 * @returns The facts of an accepted image, or why it cannot be used.
 */
export async function readImage(
  resolved: string,
  options: { maxBytes?: number } = {},
): Promise<ImageProbe> {
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  let file: Deno.FsFile | undefined;
  try {
    const info = await Deno.stat(resolved);
    if (!info.isFile) return { ok: false, resolved, reason: "not_file" };
    if (info.size > maxBytes) return tooLarge(resolved, info.size, maxBytes);
    if (info.size === 0) return { ok: false, resolved, reason: "empty" };
    file = await Deno.open(resolved, { read: true });
    const head = await readHead(file, Math.min(HEAD_BYTES, info.size));
    if (head.length === 0) return { ok: false, resolved, reason: "empty" };
    const inspection = inspectImage(head);
    if (!inspection.accepted) {
      return { ok: false, resolved, reason: "format", detail: inspection.format };
    }
    const hash = sha256().update(head);
    let bytes = head.length;
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const read = await file.read(chunk);
      if (read === null) break;
      bytes += read;
      // The file grew since it was measured.
      if (bytes > maxBytes) return tooLarge(resolved, bytes, maxBytes);
      hash.update(chunk.subarray(0, read));
    }
    return {
      ok: true,
      resolved,
      contentType: inspection.contentType,
      format: inspection.format,
      bytes,
      sha256: hash.hex(),
      width: inspection.width,
      height: inspection.height,
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ok: false, resolved, reason: "missing" };
    return { ok: false, resolved, reason: "unreadable", detail: messageOf(error) };
  } finally {
    file?.close();
  }
}

/** Up to `length` bytes from the start of a file (fewer when it is shorter). */
async function readHead(file: Deno.FsFile, length: number): Promise<Uint8Array> {
  const head = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const read = await file.read(head.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return head.subarray(0, filled);
}

function tooLarge(resolved: string, bytes: number, maxBytes: number): ImageProblem {
  return {
    ok: false,
    resolved,
    reason: "too_large",
    detail: `it is ${formatBytes(bytes)}, over the ${
      formatBytes(maxBytes)
    } limit for a reference image`,
  };
}

type Size = { width?: number; height?: number };

function jpegSize(bytes: Uint8Array): Size {
  let offset = 2;
  while (offset + 3 < bytes.length) {
    if (bytes[offset] !== 0xff) return {};
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return {}; // end of image, start of scan
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isFrame) {
      if (offset + 8 >= bytes.length) return {};
      const height = (bytes[offset + 5] << 8) | bytes[offset + 6];
      const width = (bytes[offset + 7] << 8) | bytes[offset + 8];
      return width > 0 && height > 0 ? { width, height } : {};
    }
    if (length < 2) return {};
    offset += 2 + length;
  }
  return {};
}

function pngSize(bytes: Uint8Array): Size {
  if (bytes.length < 24 || ascii(bytes, 12, 4) !== "IHDR") return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width > 0 && height > 0 ? { width, height } : {};
}

function webpSize(bytes: Uint8Array): Size {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8 " && bytes.length >= 30) {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return {};
    const width = (bytes[26] | (bytes[27] << 8)) & 0x3fff;
    const height = (bytes[28] | (bytes[29] << 8)) & 0x3fff;
    return width > 0 && height > 0 ? { width, height } : {};
  }
  if (chunk === "VP8L" && bytes.length >= 25) {
    if (bytes[20] !== 0x2f) return {};
    const bits = bytes[21] | (bytes[22] << 8) | (bytes[23] << 16) | (bytes[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X" && bytes.length >= 30) {
    const width = 1 + (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16));
    const height = 1 + (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16));
    return { width, height };
  }
  return {};
}

/** Names of formats the service does not accept, so the message can say what the file is. */
function otherFormat(bytes: Uint8Array): string | undefined {
  const head = ascii(bytes, 0, 12);
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return "GIF";
  if (head.startsWith("BM")) return "BMP";
  if (head.startsWith("II*\0") || head.startsWith("MM\0*")) return "TIFF";
  if (head.startsWith("%PDF")) return "PDF";
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return "ICO";
  if (ascii(bytes, 4, 4) === "ftyp") {
    const brand = ascii(bytes, 8, 4);
    if (brand.startsWith("avi")) return "AVIF";
    if (brand.startsWith("hei") || brand.startsWith("mif") || brand.startsWith("hev")) {
      return "HEIC";
    }
    return "MP4/QuickTime video";
  }
  if (startsWith(bytes, [0xff, 0x0a]) || ascii(bytes, 4, 4) === "JXL ") return "JPEG XL";
  const text = ascii(bytes, 0, 256).trimStart().toLowerCase();
  if (text.startsWith("<svg") || (text.startsWith("<?xml") && text.includes("<svg"))) return "SVG";
  return undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(bytes.length, start + length)));
}
