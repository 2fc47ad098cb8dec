/**
 * What an MP4 file really is (duration, picture size, codec), read from its
 * boxes (ISO/IEC 14496-12) without ffmpeg. The parser is pure; the file
 * reader seeks over `mdat`, so memory stays flat whatever the video's size.
 *
 * @module
 */
import { readAt } from "./fs.ts";

/** What a video file holds, as its boxes say. */
export interface VideoFacts {
  /** The presentation's length in seconds (`mvhd`). */
  durationSeconds: number;
  /** The video track's display width in pixels (`tkhd`, else the sample entry). */
  width: number;
  /** The video track's display height in pixels. */
  height: number;
  /** The video sample entry's four-character code, e.g. `avc1`, `hvc1`. */
  codec: string;
}

/** The largest `moov` box read (real ones are kilobytes to a few megabytes). */
export const MAX_MOOV_BYTES = 64 * 1024 * 1024;

/**
 * The most top-level boxes walked before giving up (real files have a
 * handful), so a file of millions of tiny boxes cannot stall a run.
 */
export const MAX_TOP_LEVEL_BOXES = 1024;

/** One box: its type and where its body lies within the bytes given. */
export interface Mp4Box {
  type: string;
  /** Offset of the body (after the header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

const LATIN1 = new TextDecoder("latin1");

/**
 * The boxes laid one after another in `bytes[from, to)`; stops at the first
 * malformed one.
 *
 * @param bytes The file, or a part of it that starts at a box.
 * @param from Where the first box starts. @default 0
 * @param to Where the last box ends at the latest. @default the end
 * @returns The boxes, in order.
 */
export function boxesIn(bytes: Uint8Array, from = 0, to: number = bytes.length): Mp4Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Mp4Box[] = [];
  for (let at = from; at + 8 <= to;) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) break;
    boxes.push({
      type: LATIN1.decode(bytes.subarray(at + 4, at + 8)),
      start: at + header,
      end: at + size,
    });
    at += size;
  }
  return boxes;
}

/**
 * The first box of a type in `bytes[from, to)`.
 *
 * @param bytes The bytes.
 * @param from Where the first box starts.
 * @param to Where the last box ends at the latest.
 * @param type The four-character type.
 * @returns The box, or undefined.
 */
export function findBox(
  bytes: Uint8Array,
  from: number,
  to: number,
  type: string,
): Mp4Box | undefined {
  return boxesIn(bytes, from, to).find((box) => box.type === type);
}

function child(bytes: Uint8Array, parent: Mp4Box, type: string): Mp4Box | undefined {
  return findBox(bytes, parent.start, parent.end, type);
}

/**
 * Read the facts from a `moov` box's bytes (the whole box, header included).
 *
 * @param moov The `moov` box.
 * @returns The facts, or undefined when the box has no video track or is malformed.
 */
export function parseMoov(moov: Uint8Array): VideoFacts | undefined {
  const [root] = boxesIn(moov);
  if (root === undefined || root.type !== "moov") return undefined;
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const mvhd = child(moov, root, "mvhd");
  if (mvhd === undefined || mvhd.end - mvhd.start < 32) return undefined;
  const v1 = moov[mvhd.start] === 1;
  const timescale = view.getUint32(mvhd.start + (v1 ? 20 : 12));
  const duration = v1
    ? Number(view.getBigUint64(mvhd.start + 24))
    : view.getUint32(mvhd.start + 16);
  if (timescale === 0) return undefined;
  for (const trak of boxesIn(moov, root.start, root.end).filter((box) => box.type === "trak")) {
    const mdia = child(moov, trak, "mdia");
    const hdlr = mdia && child(moov, mdia, "hdlr");
    if (hdlr === undefined || hdlr.end - hdlr.start < 12) continue;
    if (LATIN1.decode(moov.subarray(hdlr.start + 8, hdlr.start + 12)) !== "vide") continue;
    const minf = child(moov, mdia!, "minf");
    const stbl = minf && child(moov, minf, "stbl");
    const stsd = stbl && child(moov, stbl, "stsd");
    // stsd: version and flags (4), entry count (4), then the sample entries.
    const entry = stsd && boxesIn(moov, stsd.start + 8, stsd.end)[0];
    if (entry === undefined) continue;
    let width = 0;
    let height = 0;
    const tkhd = child(moov, trak, "tkhd");
    if (tkhd !== undefined) {
      // Width and height are the last 8 bytes of tkhd, as 16.16 fixed point.
      width = Math.round(view.getUint32(tkhd.end - 8) / 65536);
      height = Math.round(view.getUint32(tkhd.end - 4) / 65536);
    }
    if ((width === 0 || height === 0) && entry.end - entry.start >= 28) {
      // A visual sample entry: 6 reserved, 2 data-reference index, 16 predefined, then width, height.
      width = view.getUint16(entry.start + 24);
      height = view.getUint16(entry.start + 26);
    }
    return { durationSeconds: duration / timescale, width, height, codec: entry.type };
  }
  return undefined;
}

/**
 * Read the facts of an MP4 file on disk: walk the top-level boxes by their
 * headers (skipping `mdat` unread) and parse `moov`.
 *
 * @param path The file.
 * @returns The facts, or undefined when the file is not an MP4 with a video track.
 */
export async function readVideoFacts(path: string): Promise<VideoFacts | undefined> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const header = new Uint8Array(16);
  for (let at = 0, seen = 0; at + 8 <= size; seen++) {
    if (seen >= MAX_TOP_LEVEL_BOXES) return undefined;
    const got = await readAt(file, at, header);
    if (got < 8) return undefined;
    const view = new DataView(header.buffer);
    let boxSize = view.getUint32(0);
    if (boxSize === 1) {
      if (got < 16) return undefined;
      boxSize = Number(view.getBigUint64(8));
    } else if (boxSize === 0) boxSize = size - at;
    if (boxSize < 8 || at + boxSize > size) return undefined;
    if (LATIN1.decode(header.subarray(4, 8)) === "moov") {
      if (boxSize > MAX_MOOV_BYTES) return undefined;
      const moov = new Uint8Array(boxSize);
      if (await readAt(file, at, moov) < boxSize) return undefined;
      return parseMoov(moov);
    }
    at += boxSize;
  }
  return undefined;
}

/**
 * The facts of a whole MP4 file held in memory, found as
 * {@linkcode readVideoFacts} finds them on disk.
 *
 * @param bytes The whole file.
 * @returns The facts, or undefined when the bytes are not an MP4 with a video track.
 */
export function videoFactsIn(bytes: Uint8Array): VideoFacts | undefined {
  const boxes = boxesIn(bytes);
  const index = boxes.findIndex((box) => box.type === "moov");
  if (index < 0 || index >= MAX_TOP_LEVEL_BOXES) return undefined;
  const start = index === 0 ? 0 : boxes[index - 1].end;
  if (boxes[index].end - start > MAX_MOOV_BYTES) return undefined;
  return parseMoov(bytes.subarray(start, boxes[index].end));
}
