/**
 * CSV manifests to raw jobs: a header row naming job fields, then one job per
 * record (empty cells left out, `image` split on `|`). Pure.
 *
 * @module
 */
import { ManifestError } from "../errors.ts";
import { plural } from "../text.ts";
import {
  JOB_FIELDS,
  type JobField,
  type ManifestProblem,
  NO_PROBLEMS,
  type RawJob,
  type RawManifest,
  type RawProblem,
  refuseManifest,
} from "./raw.ts";
import { unknownFieldMessage } from "./suggest.ts";
import { forEachCsvRecord } from "./csv_split.ts";

/**
 * Parse a CSV manifest.
 *
 * @param bytes The manifest's bytes (UTF-8, already checked).
 * @param file The file name for messages.
 * @returns The raw manifest.
 * @throws {ManifestError} When the text holds no jobs or csv-parse refuses it.
 */
export function parseCsvManifest(bytes: Uint8Array, file: string): RawManifest {
  let jobs: RawJob[] = [];
  const { problems } = readCsvJobs(bytes, file, {
    onHeader: (): void => {},
    onJob: (job): void => {
      jobs.push(job);
    },
    onRestart: (): void => {
      jobs = [];
    },
  });
  return { file, format: "csv", jobs, problems };
}

/** What a CSV header says, as {@linkcode CsvJobSink.onHeader} is told. */
export interface CsvHeaderFacts {
  /** The job field of each column (undefined for unknown, duplicate or unnamed columns). */
  fields: readonly (JobField | undefined)[];
  /** The header's problems (unknown or duplicate columns, required ones missing). */
  problems: readonly ManifestProblem[];
}

/** Receives a CSV manifest's header and jobs as they are read (see {@linkcode readCsvJobs}). */
export interface CsvJobSink {
  /** The header row was read; every job comes after it. */
  onHeader(header: CsvHeaderFacts): void;
  /** One job, in manifest order (rows of empty cells left out). */
  onJob(job: RawJob): void;
  /** Reading starts over (csv-parse takes over): forget the header and jobs seen so far. */
  onRestart(): void;
  /**
   * How much of a file read a piece at a time is split so far (told after each
   * piece), for a sink that sizes what it keeps from it.
   */
  onProgress?(bytesRead: number, fileBytes: number): void;
  /**
   * The file's bytes as they are read, in order, once each (after
   * `onRestart`, the whole file again): what the jobs were read from.
   */
  onBytes?(bytes: Uint8Array): void;
}

/**
 * Read a CSV manifest a job at a time: the header, then each record as a raw
 * job handed to the sink (which may keep it or not), so a caller that
 * checks each job at once never holds all the raw jobs.
 *
 * @param bytes The manifest's bytes (UTF-8, already checked).
 * @param file The file name for messages.
 * @param sink Receives the header and the jobs.
 * @returns The manifest-level problems (the header's, and unnamed columns holding values) and the job count.
 * @throws {ManifestError} When the text holds no jobs or csv-parse refuses it.
 */
export function readCsvJobs(
  bytes: Uint8Array,
  file: string,
  sink: CsvJobSink,
): { problems: ManifestProblem[]; jobs: number } {
  const reader = csvJobReader(file, sink);
  forEachCsvRecord(bytes, { file, onRecord: reader.onRecord, onRestart: reader.onRestart });
  return reader.finish();
}

/** Turns CSV records into raw jobs for a {@linkcode CsvJobSink} (see {@linkcode csvJobReader}). */
export interface CsvJobReader {
  /** Takes each record (the header first) with the line where it starts. */
  onRecord: (cells: string[], line: number) => void;
  /** Reading starts over from the first record. */
  onRestart: () => void;
  /**
   * Ends the reading.
   *
   * @returns The manifest-level problems and the job count.
   * @throws {ManifestError} When the text held no header, or a header but no jobs.
   */
  finish(): { problems: ManifestProblem[]; jobs: number };
}

/**
 * The records of a CSV manifest to its header and raw jobs, for records
 * coming from the in-house splitter or csv-parse, from bytes or a file.
 *
 * @param file The file name for messages.
 * @param sink Receives the header and the jobs.
 * @returns What takes the records.
 */
export function csvJobReader(file: string, sink: CsvJobSink): CsvJobReader {
  let header: CsvHeader | undefined;
  let count = 0;
  return {
    onRecord: (cells, line): void => {
      if (header === undefined) {
        refuseOtherSeparator(cells, line, file);
        header = readCsvHeader(cells, line);
        sink.onHeader({ fields: header.known, problems: header.problems });
        return;
      }
      const job = csvJob(cells, header, line, count);
      if (job) {
        count += 1;
        sink.onJob(job);
      }
    },
    onRestart: (): void => {
      header = undefined;
      count = 0;
      sink.onRestart();
    },
    finish: (): { problems: ManifestProblem[]; jobs: number } => {
      if (header === undefined) return refuseManifest(file, "it is empty", "manifest_empty");
      const problems = header.problems;
      const line = header.line;
      header.unnamedWithValues.forEach((column) =>
        problems.push({
          code: "unknown_field",
          line,
          field: null,
          message: `column ${column + 1} has no name in the header but holds values`,
        })
      );
      if (count === 0 && problems.length === 0) {
        refuseManifest(file, "it has a header but no jobs", "manifest_empty", undefined, line);
      }
      return { problems, jobs: count };
    },
  };
}

/**
 * Refuse a header written with `;` or tabs between its names (a spreadsheet
 * saved with another separator): read as CSV it is one unknown column.
 */
function refuseOtherSeparator(cells: string[], line: number, file: string): void {
  // One named column (a trailing separator may add empty ones).
  const named = cells.filter((cell) => cell.trim() !== "");
  if (named.length !== 1) return;
  const [cell] = named;
  for (const [separator, name] of [[";", '";"'], ["\t", "tabs"]] as const) {
    const names = cell.split(separator).map((part) => part.trim());
    if (names.length < 2) continue;
    if (!names.some((part) => (JOB_FIELDS as readonly string[]).includes(part))) continue;
    throw new ManifestError(
      `Cannot read manifest ${file}:${line}: the header separates its columns with ${name}` +
        `${separator === ";" ? ` ("${cell}")` : ""}, but a CSV manifest needs ","; ` +
        `save it again with comma as the separator`,
      { file, line, code: "manifest_separator" },
    );
  }
}

/** What the header row says about each column. */
interface CsvHeader {
  line: number;
  columns: string[];
  /** The job field of each column; undefined for unknown, duplicate or unnamed columns. */
  known: (JobField | undefined)[];
  problems: ManifestProblem[];
  /** Unnamed columns (e.g. a trailing comma) found to hold a value in some row. */
  unnamedWithValues: Set<number>;
}

function readCsvHeader(cells: string[], line: number): CsvHeader {
  const columns = cells.map((name) => name.trim());
  const problems: ManifestProblem[] = [];
  const known = columns.map((name, column): JobField | undefined => {
    if (name === "matrix") {
      problems.push({
        code: "not_allowed",
        line,
        field: name,
        message: 'a "matrix" column cannot be used: matrix is YAML only (CSV has variants)',
      });
      return undefined;
    }
    if ((JOB_FIELDS as readonly string[]).includes(name)) {
      if (columns.indexOf(name) === column) return name as JobField;
      problems.push({
        code: "duplicate_column",
        line,
        field: name,
        message: `column "${name}" appears more than once in the header`,
      });
      return undefined;
    }
    if (name === "") return undefined;
    problems.push({ code: "unknown_field", line, field: name, message: unknownFieldMessage(name) });
    return undefined;
  });
  for (const required of ["prompt", "model"] as const) {
    if (!columns.includes(required)) {
      problems.push({
        code: "required",
        line,
        field: required,
        message: `the header has no "${required}" column; every job needs a ${required}`,
      });
    }
  }
  return { line, columns, known, problems, unnamedWithValues: new Set() };
}

/** One CSV record as a raw job; undefined for a row of empty cells (e.g. ",,,"). */
function csvJob(
  cells: string[],
  header: CsvHeader,
  line: number,
  index: number,
): RawJob | undefined {
  const { columns, known } = header;
  let fields: Record<string, unknown> | undefined;
  let problems: RawProblem[] | undefined;
  for (let column = 0; column < cells.length; column += 1) {
    const cell = cells[column];
    if (cell.trim() === "") continue;
    fields ??= {};
    if (column >= columns.length) {
      problems = [{
        code: "extra_cells",
        field: null,
        message: `the row has ${plural(cells.length, "cell")} but the header has ${
          plural(columns.length, "column")
        }`,
      }];
      break;
    }
    const field = known[column];
    if (field === undefined) {
      if (columns[column] === "") header.unnamedWithValues.add(column);
      continue;
    }
    fields[field] = field === "image" || field === "input_reference"
      ? cell.split("|").map((path) => path.trim())
      : cell;
  }
  return fields ? { index, line, value: fields, problems: problems ?? NO_PROBLEMS } : undefined;
}
