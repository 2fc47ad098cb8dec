/**
 * Writes the report files into the output folder, each atomically (a
 * temporary name, flushed to disk, then a rename), so a reader never sees half
 * a report.
 *
 * Each file is streamed: its renderer's chunks are encoded into one reusable
 * buffer that is written out whenever it fills, so memory stays flat however
 * many jobs the report holds (no file is ever one string).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { BatchError, ExitCode, messageOf } from "../errors.ts";
import { writeAll } from "../fs.ts";
import { createFresh, REPORT_FILES, reportTemporaryName } from "../out_dir.ts";
import type { ReportModel } from "./summary.ts";
import { renderReportJsonChunks } from "./json.ts";
import { renderReportCsvChunks } from "./csv.ts";
import { renderReportMarkdownChunks } from "./markdown.ts";
import { renderReportHtmlChunks, type ReportExtras } from "./html.ts";

/** Chunked renderers per report file name, in the order they are written. */
const RENDERERS: Record<
  typeof REPORT_FILES[number],
  (report: ReportModel, extras: ReportExtras) => Iterable<string>
> = {
  "report.json": renderReportJsonChunks,
  "report.csv": renderReportCsvChunks,
  "report.md": renderReportMarkdownChunks,
  "report.html": renderReportHtmlChunks,
};

/** Bytes encoded before each write to the file. */
const BATCH_BYTES = 64 * 1024;

const ENCODER = new TextEncoder();

/**
 * Report files that could not be written (a full disk, a folder under a
 * report's name, a read-only folder). The files named are left as they were;
 * the others were written.
 */
export class ReportWriteError extends BatchError {
  /** The report files not written, with why. */
  readonly failures: readonly { path: string; reason: string }[];

  /**
   * Create the error.
   *
   * @param failures Each file not written and why.
   */
  constructor(failures: readonly { path: string; reason: string; cause: unknown }[]) {
    const [first, ...rest] = failures;
    const also = rest.length === 0 ? "" : `; also ${rest.map((f) => f.path).join(", ")}`;
    super(`Cannot write report ${first.path}: ${first.reason}${also}`, {
      code: "report_write",
      exitCode: ExitCode.Failed,
      cause: first.cause,
    });
    this.name = "ReportWriteError";
    this.failures = failures.map(({ path, reason }) => ({ path, reason }));
  }
}

/**
 * Write every report file. One that cannot be written does not stop the
 * others; they are all named in the error thrown at the end.
 *
 * @param outDir The output folder.
 * @param report The report model.
 * @param extras What the HTML page shows beyond the model (the reference images on disk;
 *   image links are made relative to `outDir`).
 * @returns The paths written.
 * @throws {ReportWriteError} When any file could not be written.
 */
export async function writeReports(
  outDir: string,
  report: ReportModel,
  extras: ReportExtras = {},
): Promise<string[]> {
  const written: string[] = [];
  const failures: { path: string; reason: string; cause: unknown }[] = [];
  const buffer = new Uint8Array(BATCH_BYTES);
  // A stamped report.json goes last, and keeps its stamp only when the
  // others were written: its digest then vouches for all four.
  const stamped = report.report_digest !== undefined;
  const names = stamped
    ? [...REPORT_FILES.filter((name) => name !== "report.json"), "report.json" as const]
    : REPORT_FILES;
  for (const name of names) {
    const path = join(outDir, name);
    const model = name === "report.json" && stamped && failures.length > 0
      ? withoutDigest(report)
      : report;
    try {
      await writeAtomically(path, RENDERERS[name](model, { outDir, ...extras }), buffer);
      written.push(path);
    } catch (cause) {
      failures.push({ path, reason: reasonOf(cause), cause });
    }
  }
  if (failures.length > 0) throw new ReportWriteError(failures);
  return written;
}

function withoutDigest(report: ReportModel): ReportModel {
  const { report_digest: _digest, ...rest } = report;
  return rest;
}

/** Why a file system call failed, without the call and paths Deno appends. */
function reasonOf(error: unknown): string {
  return messageOf(error).replace(/:\s*(open|rename|remove|write)\b.*$/s, "");
}

/**
 * Stream text into a fresh temporary name beside `path` (never through a
 * link), fsync it, then rename it over `path` (a link there is replaced, not
 * followed). On failure the temporary file is removed and `path` is left as
 * it was.
 */
async function writeAtomically(
  path: string,
  chunks: Iterable<string>,
  buffer: Uint8Array,
): Promise<void> {
  const temporary = join(dirname(path), reportTemporaryName(basename(path), Deno.pid));
  let created = false;
  try {
    {
      using file = await createFresh(temporary);
      created = true;
      await writeChunks(file, chunks, buffer);
      await file.sync();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    if (created) await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Encode the chunks as UTF-8 into `buffer` and write it to the file each time
 * it is full, then the rest. `encodeInto` never splits a character, and a
 * renderer's chunks end between characters, so the bytes are those of the
 * chunks joined.
 */
async function writeChunks(
  file: Deno.FsFile,
  chunks: Iterable<string>,
  buffer: Uint8Array,
): Promise<void> {
  let used = 0;
  for (const chunk of chunks) {
    let rest = chunk;
    for (;;) {
      const { read, written } = ENCODER.encodeInto(rest, buffer.subarray(used));
      used += written;
      if (read === rest.length) break;
      rest = rest.slice(read);
      await writeAll(file, buffer.subarray(0, used));
      used = 0;
    }
  }
  await writeAll(file, buffer.subarray(0, used));
}
