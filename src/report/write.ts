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
import { join } from "node:path";
import type { ReportModel } from "./summary.ts";
import { renderReportJsonChunks } from "./json.ts";
import { renderReportCsvChunks } from "./csv.ts";
import { renderReportMarkdownChunks } from "./markdown.ts";
import { renderReportHtmlChunks, type ReportExtras } from "./html.ts";

/** Chunked renderers per report file name, in the order they are written. */
const RENDERERS: Record<
  string,
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
 * Write every report file.
 *
 * @param outDir The output folder.
 * @param report The report model.
 * @param extras What the HTML page shows beyond the model (the prompts).
 * @returns The paths written.
 */
export async function writeReports(
  outDir: string,
  report: ReportModel,
  extras: ReportExtras = {},
): Promise<string[]> {
  const written: string[] = [];
  const buffer = new Uint8Array(BATCH_BYTES);
  for (const [name, render] of Object.entries(RENDERERS)) {
    const path = join(outDir, name);
    await writeAtomically(path, render(report, extras), buffer);
    written.push(path);
  }
  return written;
}

/**
 * Stream text into `<path>.tmp-<pid>`, fsync it, then rename it over `path`.
 * On failure the temporary file is removed and `path` is left as it was.
 */
async function writeAtomically(
  path: string,
  chunks: Iterable<string>,
  buffer: Uint8Array,
): Promise<void> {
  const temporary = `${path}.tmp-${Deno.pid}`;
  try {
    {
      using file = await Deno.open(temporary, { write: true, create: true, truncate: true });
      await writeChunks(file, chunks, buffer);
      await file.sync();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
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

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
