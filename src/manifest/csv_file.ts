/**
 * A CSV manifest read from its file a piece at a time: each piece is checked
 * (no NUL byte, valid UTF-8) and split into records by the in-house splitter,
 * so a 200 MB manifest is never in memory whole. The findings and refusals
 * are those of reading the whole file first ({@linkcode checkManifestBytes},
 * then the parse): a NUL byte anywhere is reported before invalid UTF-8,
 * which is reported before anything the parse finds. When the splitter is
 * unsure of the text, the whole file is read again and csv-parse reads it.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { ManifestError, messageOf } from "../errors.ts";
import { formatBytes } from "../text.ts";
import { CsvSplitter, parseCsvWithLibrary } from "./csv_split.ts";
import { csvJobReader, type CsvJobSink } from "./csv.ts";
import { checkManifestBytes, checkManifestPath, MAX_MANIFEST_BYTES } from "./load.ts";
import { type ManifestProblem, refuseManifest } from "./raw.ts";

/** How much of the file is read at a time. */
const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Read a CSV manifest file a job at a time (see {@linkcode csvJobReader}).
 *
 * @param file The manifest's path.
 * @param sink Receives the header and the jobs.
 * @param pieceBytes How much is read at a time (small in tests, to split records across pieces).
 * @returns The manifest-level problems and the job count.
 * @throws {ManifestError} When the file cannot be read as a manifest.
 */
export async function readCsvFileJobs(
  file: string,
  sink: CsvJobSink,
  pieceBytes: number = PIECE_BYTES,
): Promise<{ problems: ManifestProblem[]; jobs: number }> {
  await checkManifestPath(file);
  const reader = csvJobReader(file, sink);
  const splitter = new CsvSplitter(reader.onRecord);
  const checks = new PieceChecks(file);
  /** Why the pieces stopped being split: the splitter gave up, or the parse refused the text. */
  let stopped: "unsure" | ManifestError | undefined;
  let buffer = new Uint8Array(pieceBytes);
  let filled = 0; // how much of the buffer holds the file
  let checked = 0; // how much of that is checked as UTF-8 (whole characters)
  const unreadable = (error: unknown): never =>
    refuseManifest(file, messageOf(error), "manifest_unreadable", error);
  using handle = await Deno.open(file, { read: true }).catch(unreadable);
  const fileBytes = sink.onProgress ? (await handle.stat().catch(unreadable)).size : 0;
  let split = 0; // how much of the file is split into records
  for (;;) {
    if (filled === buffer.length) {
      // A record longer than the buffer: make room for it whole.
      const grown = new Uint8Array(buffer.length * 2);
      grown.set(buffer);
      buffer = grown;
    }
    const read = await handle.read(buffer.subarray(filled)).catch(unreadable);
    const final = read === null;
    if (!final) {
      checks.piece(buffer.subarray(filled, filled + read));
      sink.onBytes?.(buffer.subarray(filled, filled + read));
      filled += read;
    }
    checked = checks.utf8(buffer, checked, filled, final);
    if (stopped === undefined && !checks.invalidUtf8) {
      let used: number | false = 0;
      try {
        used = splitter.feed(buffer.subarray(0, checked), final);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        stopped = error;
      }
      if (used === false) stopped = "unsure";
      else if (stopped === undefined) {
        buffer.copyWithin(0, used, filled);
        filled -= used;
        checked -= used;
        split += used;
        sink.onProgress?.(split, fileBytes);
      }
    }
    if (stopped !== undefined || checks.invalidUtf8) {
      // Only the checks read on: keep just an unfinished character.
      buffer.copyWithin(0, checked, filled);
      filled -= checked;
      checked = 0;
    }
    if (final) break;
  }
  checks.end();
  if (stopped instanceof ManifestError) throw stopped;
  if (stopped === "unsure") {
    const whole = await Deno.readFile(file).catch(unreadable);
    checkManifestBytes(whole, file);
    reader.onRestart();
    sink.onBytes?.(whole);
    parseCsvWithLibrary(whole, file, reader.onRecord);
  }
  return reader.finish();
}

/**
 * The checks of {@linkcode checkManifestBytes}, made a piece at a time: the
 * size, the first NUL byte (refused at once), valid UTF-8 (refused once the
 * whole file is known to hold no NUL byte) and blank content.
 */
class PieceChecks {
  readonly #file: string;
  #offset = 0;
  readonly #first = new Uint8Array(3);
  #blank = true;
  /** Whether some bytes were found not to be UTF-8. */
  invalidUtf8 = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** Check a piece just read: the size so far, NUL bytes, blank content. */
  piece(bytes: Uint8Array): void {
    if (this.#offset < 3) {
      this.#first.set(bytes.subarray(0, 3 - this.#offset), this.#offset);
    }
    if (this.#offset + bytes.length > MAX_MANIFEST_BYTES) {
      refuseManifest(
        this.#file,
        `it is more than the ${formatBytes(MAX_MANIFEST_BYTES)} limit`,
        "manifest_too_large",
      );
    }
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      const first = this.#first;
      const utf16 = (first[0] === 0xff && first[1] === 0xfe) ||
        (first[0] === 0xfe && first[1] === 0xff);
      refuseManifest(
        this.#file,
        utf16
          ? "it is UTF-16 text; save it as UTF-8"
          : `it holds binary data (a NUL byte at offset ${this.#offset + nul}), not text`,
        "manifest_binary",
      );
    }
    if (this.#blank) {
      const bom = this.#offset === 0 && bytes[0] === 0xef && bytes[1] === 0xbb &&
        bytes[2] === 0xbf;
      for (let at = bom ? 3 : 0; at < bytes.length; at += 1) {
        const byte = bytes[at];
        if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
          this.#blank = false;
          break;
        }
      }
    }
    this.#offset += bytes.length;
  }

  /**
   * Check as UTF-8 the buffered bytes from `from` up to the last whole
   * character (up to `filled` at the end of the file).
   *
   * @returns Where the checked bytes end.
   */
  utf8(buffer: Uint8Array, from: number, filled: number, final: boolean): number {
    let end = filled;
    if (!final) {
      // Leave out an unfinished character: a lead byte and fewer continuation bytes than it needs.
      for (let back = 1; back <= 4 && filled - back >= from; back += 1) {
        const byte = buffer[filled - back];
        if ((byte & 0xc0) === 0x80) continue;
        const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        if (size > back) end = filled - back;
        break;
      }
    }
    if (!this.invalidUtf8 && end > from && !isUtf8(buffer.subarray(from, end))) {
      this.invalidUtf8 = true;
    }
    return end;
  }

  /** The whole file was read: refuse invalid UTF-8 and blank content. */
  end(): void {
    if (this.invalidUtf8) {
      refuseManifest(this.#file, "it is not UTF-8 text; save it as UTF-8", "manifest_binary");
    }
    if (this.#blank) refuseManifest(this.#file, "it is empty", "manifest_empty");
  }
}
