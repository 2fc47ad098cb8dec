/**
 * CSV text to records, each with the 1-based line where it starts. The common
 * case is split here, a record at a time: quicker than csv-parse, and leaner
 * (no per-record info objects). Anything unusual goes to csv-parse, which also
 * words syntax errors. Pure.
 *
 * @module
 */
import { parse as parseCsv } from "csv-parse/sync";
import { ManifestError, messageOf } from "../errors.ts";

/** Called with each record's cells and the 1-based line where it starts. */
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
 * Split CSV text into records, with the in-house splitter when it is sure of
 * the text and with csv-parse otherwise.
 *
 * @param text The manifest's text.
 * @param options The file name, the record sink and what to do on a restart.
 * @throws {ManifestError} When csv-parse refuses the text.
 */
export function forEachCsvRecord(text: string, options: CsvRecordOptions): void {
  if (splitCsvRecords(text, options.onRecord)) return;
  options.onRestart();
  parseCsvWithLibrary(new TextEncoder().encode(text), options.file, options.onRecord);
}

/**
 * Parse CSV bytes with csv-parse, calling `addRecord` with each record and its starting line.
 *
 * @param bytes The CSV's bytes.
 * @param file The file name for messages.
 * @param addRecord Receives each record.
 * @throws {ManifestError} When csv-parse refuses the text.
 */
function parseCsvWithLibrary(
  bytes: Uint8Array,
  file: string,
  addRecord: CsvRecordSink,
): void {
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

/**
 * Split CSV text into records the way csv-parse does with the loader's
 * options (`,` between cells, `"` quotes with `""` inside, the record
 * delimiter found at the first line break, empty lines skipped), calling
 * `onRecord` with each record's cells and the 1-based line where it starts.
 * Returns false, having perhaps called `onRecord` already, at anything
 * csv-parse might read differently or refuse (a quote inside an unquoted
 * cell, text after a closing quote, an unclosed quote, a lone CR, mixed
 * line breaks); the caller then starts over with csv-parse, which also words errors.
 *
 * @param text The CSV text.
 * @param onRecord Receives each record.
 * @returns False when csv-parse must read the text instead.
 */
function splitCsvRecords(text: string, onRecord: CsvRecordSink): boolean {
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let crlf: boolean | undefined; // the record delimiter, set at the first line break
  let nextLf = -2; // position of the next LF / CR at or after `pos`, -1 for none
  let nextCr = -2;
  /** Line breaks inside a quoted cell, counted as the line numbers count them. */
  const breaksIn = (start: number, end: number): number => {
    if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf("\n", start);
    if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf("\r", start);
    if ((nextLf === -1 || nextLf >= end) && (nextCr === -1 || nextCr >= end)) return 0;
    let breaks = 0;
    for (let at = start; at < end; at += 1) {
      const char = text.charCodeAt(at);
      if (char === LF || (char === CR && text.charCodeAt(at + 1) !== LF)) breaks += 1;
    }
    return breaks;
  };
  /** Step over the line break at `pos`; false when it is not the record delimiter. */
  const lineBreak = (): boolean => {
    const crThenLf = text.charCodeAt(pos) === CR && text.charCodeAt(pos + 1) === LF;
    if (crlf === undefined) {
      if (!crThenLf && text.charCodeAt(pos) === CR) return false;
      crlf = crThenLf;
    }
    if (crlf !== crThenLf) return false;
    pos += crlf ? 2 : 1;
    line += 1;
    return true;
  };
  while (pos < length) {
    let char = text.charCodeAt(pos);
    if (char === LF || char === CR) {
      if (!lineBreak()) return false; // an empty line: skipped
      continue;
    }
    const recordLine = line;
    const cells: string[] = [];
    for (;;) {
      if (char === QUOTE) {
        let close = pos + 1;
        let escaped = false;
        for (;;) {
          close = text.indexOf('"', close);
          if (close === -1) return false;
          if (text.charCodeAt(close + 1) !== QUOTE) break;
          escaped = true;
          close += 2;
        }
        const cell = text.slice(pos + 1, close);
        cells.push(escaped ? cell.replaceAll('""', '"') : cell);
        line += breaksIn(pos + 1, close);
        pos = close + 1;
        char = text.charCodeAt(pos); // NaN at the end
        if (char !== COMMA && char !== LF && char !== CR && pos < length) return false;
      } else {
        const start = pos;
        while (
          pos < length && char !== COMMA && char !== LF && char !== CR && char !== QUOTE
        ) {
          pos += 1;
          char = text.charCodeAt(pos);
        }
        if (char === QUOTE) return false;
        cells.push(text.slice(start, pos));
      }
      if (char !== COMMA) break;
      pos += 1;
      char = text.charCodeAt(pos);
    }
    onRecord(cells, recordLine);
    if (pos < length && !lineBreak()) return false;
  }
  return true;
}

/** 1-based line numbers of byte offsets, counted incrementally as offsets grow. */
class LineCounter {
  readonly #bytes: Uint8Array;
  #offset = 0;
  #line = 1;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

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
