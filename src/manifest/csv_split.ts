/**
 * CSV bytes to records, each with the 1-based line where it starts. The
 * common case is split here, a record at a time, straight from the bytes:
 * quicker than csv-parse, and leaner (no string of the whole file, no
 * per-record info objects). Anything unusual goes to csv-parse, which also
 * words syntax errors. Pure.
 *
 * @module
 */
import { parse as parseCsv } from "csv-parse/sync";
import { ManifestError, messageOf } from "../errors.ts";

/**
 * Called with each record's cells and the 1-based line where it starts; the
 * cell list may be reused for the next record, so keep a copy, not the list.
 */
export type CsvRecordSink = (cells: string[], line: number) => void;

/** Options of {@linkcode forEachCsvRecord}. */
export interface CsvRecordOptions {
  /** The file name for messages. */
  file: string;
  /** Receives each record in order. */
  onRecord: CsvRecordSink;
  /**
   * Called when the in-house splitter gives up part way: forget the records
   * seen so far, csv-parse hands them all over again.
   */
  onRestart: () => void;
}

/**
 * Split CSV bytes into records, with the in-house splitter when it is sure of
 * them and with csv-parse otherwise.
 *
 * @param bytes The manifest's bytes (UTF-8, already checked).
 * @param options The file name, the record sink and what to do on a restart.
 * @throws {ManifestError} When csv-parse refuses the text.
 */
export function forEachCsvRecord(bytes: Uint8Array, options: CsvRecordOptions): void {
  if (splitCsvRecords(bytes, options.onRecord)) return;
  options.onRestart();
  parseCsvWithLibrary(bytes, options.file, options.onRecord);
}

/**
 * Parse CSV bytes with csv-parse, calling `addRecord` with each record and its starting line.
 *
 * @param whole The CSV's bytes, the whole file.
 * @param file The file name for messages.
 * @param addRecord Receives each record.
 * @throws {ManifestError} When csv-parse refuses the text.
 */
export function parseCsvWithLibrary(
  whole: Uint8Array,
  file: string,
  addRecord: CsvRecordSink,
): void {
  // The first BOM is not text (as a decoder would drop it); csv-parse drops a second one,
  // as the splitter does.
  const bytes = bomLength(whole, 0) > 0 ? whole.subarray(3) : whole;
  const lines = new LineCounter(bytes);
  let previousEnd = 0;
  try {
    parseCsv(bytes, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Each record is handed on as soon as it is parsed, so neither the cell arrays nor
      // csv-parse's per-record info objects pile up.
      on_record: (cells: string[], context: { bytes: number }): null => {
        const line = lines.lineOfRecordAfter(previousEnd);
        previousEnd = context.bytes;
        addRecord(cells, line);
        return null;
      },
    });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ManifestError(
      `Cannot parse ${file}${line ? ` near line ${line}` : ""}: ${messageOf(error)}`,
      { file, line, code: "manifest_syntax", cause: error },
    );
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** 3 when a UTF-8 BOM starts at `at`, else 0. */
function bomLength(bytes: Uint8Array, at: number): number {
  return bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf ? 3 : 0;
}

/**
 * Split CSV bytes into records the way csv-parse does with the loader's
 * options (`,` between cells, `"` quotes with `""` inside, the record
 * delimiter found at the first line break, empty lines skipped), calling
 * `onRecord` with each record's cells and the 1-based line where it starts.
 * Returns false, having perhaps called `onRecord` already, at anything
 * csv-parse might read differently or refuse (a quote inside an unquoted
 * cell, text after a closing quote, an unclosed quote, a lone CR, mixed
 * line breaks); the caller then starts over with csv-parse, which also words errors.
 *
 * @param bytes The CSV's bytes, valid UTF-8.
 * @param onRecord Receives each record; its cell list is only valid during the call.
 * @returns False when csv-parse must read the bytes instead.
 */
export function splitCsvRecords(bytes: Uint8Array, onRecord: CsvRecordSink): boolean {
  return new CsvSplitter(onRecord).feed(bytes, true) !== false;
}

/**
 * The in-house CSV splitter (see {@linkcode splitCsvRecords}), fed the file
 * a piece at a time: each piece is split up to the last record it holds
 * whole, and the caller hands the rest over again at the start of the next
 * piece. Line numbers and the record delimiter carry over between pieces.
 *
 * It scans the bytes themselves (every byte it looks for is ASCII, which
 * never occurs inside a multi-byte UTF-8 character) and decodes each cell
 * on its own, so the file is never one large string and a cell never keeps
 * the rest of the file alive. A column's short cells that repeat (a model,
 * a size, an image path) are decoded once and shared.
 */
export class CsvSplitter {
  readonly #onRecord: CsvRecordSink;
  readonly #cells = new CellReader();
  readonly #record: string[] = [];
  #started = false;
  #line = 1;
  /** The record delimiter (CRLF or LF), set at the first line break. */
  #crlf: boolean | undefined;

  /** @param onRecord Receives each record; its cell list is only valid during the call. */
  constructor(onRecord: CsvRecordSink) {
    this.#onRecord = onRecord;
  }

  /**
   * Split the records a piece holds whole.
   *
   * @param bytes The piece: what the last call left over, then what follows it in the file.
   * @param final Whether the piece ends the file.
   * @returns How many bytes were used (the rest starts a record the piece does not
   * hold whole), or false when csv-parse must read the file instead.
   */
  feed(bytes: Uint8Array, final: boolean): number | false {
    const length = bytes.length;
    const cells = this.#cells;
    cells.bytes = bytes;
    let pos = 0;
    if (!this.#started) {
      if (!final && length < 6) return 0;
      this.#started = true;
      // One BOM as a decoder drops it, and one more as csv-parse's `bom` option drops it.
      pos = bomLength(bytes, 0);
      pos += bomLength(bytes, pos);
    }
    let line = this.#line;
    let nextLf = -2; // position of the next LF / CR at or after `pos`, -1 for none
    let nextCr = -2;
    /** Line breaks inside a quoted cell, counted as the line numbers count them. */
    const breaksIn = (start: number, end: number): number => {
      if (nextLf !== -1 && nextLf < start) nextLf = bytes.indexOf(LF, start);
      if (nextCr !== -1 && nextCr < start) nextCr = bytes.indexOf(CR, start);
      if ((nextLf === -1 || nextLf >= end) && (nextCr === -1 || nextCr >= end)) return 0;
      let breaks = 0;
      for (let at = start; at < end; at += 1) {
        const byte = bytes[at];
        if (byte === LF || (byte === CR && bytes[at + 1] !== LF)) breaks += 1;
      }
      return breaks;
    };
    /** The line break at `pos`: its length, 0 when the piece ends inside it, -1 when it is not the delimiter. */
    const lineBreak = (): number => {
      if (bytes[pos] === CR && pos + 1 === length && !final) return 0;
      const crThenLf = bytes[pos] === CR && bytes[pos + 1] === LF;
      if (this.#crlf === undefined) {
        if (!crThenLf && bytes[pos] === CR) return -1;
        this.#crlf = crThenLf;
      }
      if (this.#crlf !== crThenLf) return -1;
      return crThenLf ? 2 : 1;
    };
    const record = this.#record;
    while (pos < length) {
      let byte = bytes[pos];
      if (byte === LF || byte === CR) {
        const size = lineBreak(); // an empty line: skipped
        if (size < 0) return false;
        if (size === 0) break;
        pos += size;
        line += 1;
        continue;
      }
      const recordStart = pos;
      const recordLine = line;
      let whole = true;
      record.length = 0;
      for (;;) {
        if (byte === QUOTE) {
          let close = pos + 1;
          let escaped = false;
          for (;;) {
            close = bytes.indexOf(QUOTE, close);
            if (close === -1 || (close + 1 === length && !final)) break;
            if (bytes[close + 1] !== QUOTE) break;
            escaped = true;
            close += 2;
          }
          if (close === -1 || (close + 1 === length && !final)) {
            if (final) return false; // an unclosed quote
            whole = false;
            break;
          }
          const cell = cells.read(record.length, pos + 1, close);
          record.push(escaped ? cell.replaceAll('""', '"') : cell);
          line += breaksIn(pos + 1, close);
          pos = close + 1;
          byte = bytes[pos]; // undefined at the end
          if (byte !== COMMA && byte !== LF && byte !== CR && pos < length) return false;
        } else {
          const start = pos;
          while (
            pos < length && byte !== COMMA && byte !== LF && byte !== CR && byte !== QUOTE
          ) {
            pos += 1;
            byte = bytes[pos];
          }
          if (byte === QUOTE) return false;
          if (pos === length && !final) {
            whole = false;
            break;
          }
          record.push(cells.read(record.length, start, pos));
        }
        if (byte !== COMMA) break;
        pos += 1;
        byte = bytes[pos];
      }
      const size = whole && pos < length ? lineBreak() : 0;
      if (size < 0) return false;
      if (!whole || (size === 0 && pos < length)) {
        // The piece ends inside this record: it is split again from the next piece.
        this.#line = recordLine;
        return recordStart;
      }
      this.#onRecord(record, recordLine);
      pos += size;
      if (size > 0) line += 1;
    }
    this.#line = line;
    return pos;
  }
}

/** Longest cell, in bytes, that is looked up among a column's repeated values. */
const SHARED_MAX_BYTES = 64;
/** How many different values a column may have before its cells are no longer looked up. */
const SHARED_MAX_VALUES = 16;

/**
 * Decodes cells, sharing the text of a column's repeated short values: a
 * column whose values keep repeating (a model, a size, an image path) is
 * decoded once per value; a column that turns out to hold many different
 * values (ids, prompts) stops being looked up.
 */
class CellReader {
  /** The piece being split. */
  bytes: Uint8Array = new Uint8Array();
  /** A decoder that keeps a cell's leading U+FEFF (only the file's first one is a BOM). */
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  /** Per column: its values so far (bytes and text), or null once it has too many. */
  readonly #shared: ({ bytes: Uint8Array; text: string }[] | null)[] = [];

  /** The text of the cell at `start..end` of column `column` (0-based). */
  read(column: number, start: number, end: number): string {
    if (start === end) return "";
    const values = column < this.#shared.length ? this.#shared[column] : this.#column(column);
    if (values === null || end - start > SHARED_MAX_BYTES) return this.#decode(start, end);
    const bytes = this.bytes;
    const size = end - start;
    for (let at = 0; at < values.length; at += 1) {
      const value = values[at].bytes;
      if (value.length !== size) continue;
      let same = true;
      for (let i = 0; i < size; i += 1) {
        if (value[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return values[at].text;
    }
    const text = this.#decode(start, end);
    if (values.length === SHARED_MAX_VALUES) this.#shared[column] = null;
    else values.push({ bytes: bytes.slice(start, end), text });
    return text;
  }

  #column(column: number): { bytes: Uint8Array; text: string }[] {
    while (this.#shared.length <= column) this.#shared.push([]);
    return this.#shared[column] as { bytes: Uint8Array; text: string }[];
  }

  #decode(start: number, end: number): string {
    return this.#decoder.decode(this.bytes.subarray(start, end));
  }
}

/** 1-based line numbers of byte offsets, counted incrementally as offsets grow. */
class LineCounter {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  #offset = 0;
  #line = 1;

  /** The line of the first byte at or after `offset` that is not a line break. */
  lineOfRecordAfter(offset: number): number {
    let start = offset;
    while (
      start < this.#bytes.length && (this.#bytes[start] === 0x0a || this.#bytes[start] === 0x0d)
    ) {
      start += 1;
    }
    return this.lineAt(start);
  }

  lineAt(target: number): number {
    const bytes = this.#bytes;
    for (let i = this.#offset; i < target && i < bytes.length; i += 1) {
      const byte = bytes[i];
      if (byte === 0x0a || (byte === 0x0d && bytes[i + 1] !== 0x0a)) this.#line += 1;
    }
    this.#offset = Math.max(this.#offset, target);
    return this.#line;
  }
}
