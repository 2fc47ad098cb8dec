/**
 * Are the report files already what a run would write? A resume that changes
 * nothing should not spend its time rewriting gigabytes of reports (at
 * 1,000,000 jobs the four files are over 2 GB), so a run stamps report.json
 * with a digest of everything the reports show, and skips writing them when
 * the digest it would stamp is the one already there and all four files are
 * in place.
 *
 * The digest covers what the rows are made from, not the rendered text (that
 * would cost as much as writing it): the tool's version and the reports'
 * layout, the output folder, the manifest's path, the totals and the
 * estimate, each valid job's position, line, id, content fingerprint, output
 * name and reference images with its whole journal state (after the check
 * of its video on disk), the invalid jobs, the kept old videos and the
 * prices. Anything that changes one of those rewrites all four files; the
 * time of the report (`generated_at`) is left out, so an unchanged report
 * keeps the time it was last written.
 *
 * The digest is report.json's last field, `report_digest`, read back from
 * the file's last bytes (which also shows the file was written to its end).
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { Job } from "../manifest/job.ts";
import type { JobState } from "../journal/events.ts";
import type { PriceList } from "../prices.ts";
import { REPORT_FILES } from "../out_dir.ts";
import { readAt } from "../fs.ts";
import { sha256 } from "../hash.ts";
import { VERSION } from "../version.ts";
import type { InvalidJobRow, ReportModel } from "./summary.ts";

/**
 * The reports' layout: raised whenever a renderer writes something else for
 * the same model, so that reports written before are rewritten.
 */
export const REPORT_LAYOUT = 2;

/** What the reports show, for {@linkcode reportDigest}. */
export interface ReportSources {
  /** The report model (its `manifest`, `totals`, `estimate` and `merged` are digested). */
  report: ReportModel;
  /** The valid jobs, in manifest order. */
  jobs: readonly Job[];
  /** The invalid jobs. */
  invalid: readonly InvalidJobRow[];
  /** The states the report was built from, by job id. */
  states: ReadonlyMap<string, JobState>;
  /** The names in `videos/previous/`. */
  previousVideos: readonly string[];
  /** The price list, when the reports carry the estimate. */
  prices?: PriceList | undefined;
  /** The output folder. */
  outDir: string;
}

/** Characters gathered before each update of the hash. */
const CHUNK_CHARS = 1 << 16;

const ENCODER = new TextEncoder();

/** The bytes of report.json's end read back for its digest. */
const TAIL_BYTES = 512;

/**
 * The digest of what the reports show (see the module's notes).
 *
 * @param sources The report and what its rows are made from.
 * @returns Hex SHA-256.
 */
export function reportDigest(sources: ReportSources): string {
  const hash = sha256();
  const { report } = sources;
  // Text gathered, then encoded into one buffer for each update: the hash's
  // own string input is several times slower.
  const buffer = new Uint8Array(CHUNK_CHARS * 3 + 1024);
  const update = (text: string): void => {
    const { read, written } = ENCODER.encodeInto(text, buffer);
    hash.update(buffer.subarray(0, written));
    if (read < text.length) update(text.slice(read));
  };
  update(JSON.stringify(
    {
      layout: REPORT_LAYOUT,
      version: VERSION,
      outDir: resolve(sources.outDir),
      manifest: report.manifest,
      totals: report.totals,
      estimate: report.estimate ?? null,
      merged: report.merged ?? null,
      invalid: sources.invalid,
      previous: sources.previousVideos,
      prices: sources.prices === undefined
        ? null
        : [sources.prices.currency, [...sources.prices.models.entries()]],
    },
    (_key, value) => typeof value === "bigint" ? value.toString() : value,
  ));
  let chunk = "";
  for (const job of sources.jobs) {
    // One native JSON.stringify a job: a flat string, cheaper to gather and
    // encode than a template of many pieces (measured: about half the time).
    chunk += JSON.stringify([
      job.index,
      job.line,
      job.id,
      job.fingerprint,
      job.output,
      job.images.length === 0 ? 0 : job.images.map((image) => [image.path, image.resolved]),
      sources.states.get(job.id) ?? null,
    ]);
    if (chunk.length >= CHUNK_CHARS) {
      update(chunk);
      chunk = "";
    }
  }
  update(chunk);
  return hash.hex();
}

/**
 * The digest report.json was stamped with, if every report file is in place
 * and report.json was written to its end.
 *
 * @param outDir The output folder.
 * @returns The digest, or undefined when a report must be written.
 */
export async function currentReportDigest(outDir: string): Promise<string | undefined> {
  let size = 0;
  for (const name of REPORT_FILES) {
    try {
      const info = await Deno.lstat(join(outDir, name));
      if (!info.isFile || info.size === 0) return undefined;
      if (name === "report.json") size = info.size;
    } catch {
      return undefined;
    }
  }
  try {
    using file = await Deno.open(join(outDir, "report.json"));
    const start = Math.max(0, size - TAIL_BYTES);
    const bytes = new Uint8Array(size - start);
    const read = await readAt(file, start, bytes);
    const tail = new TextDecoder().decode(bytes.subarray(0, read));
    return /\n {2}"report_digest": "([0-9a-f]{64})"\n\}\n$/.exec(tail)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The model with its digest as report.json's last field.
 *
 * @param report The report model.
 * @param digest From {@linkcode reportDigest}.
 * @returns A copy of the model with `report_digest` set last.
 */
export function stampDigest(report: ReportModel, digest: string): ReportModel {
  // Copied by descriptor: rows not made yet (see buildReport) are not made here.
  const descriptors = Object.getOwnPropertyDescriptors(report);
  delete (descriptors as Partial<typeof descriptors>).report_digest;
  const stamped = Object.defineProperties({}, descriptors) as ReportModel;
  stamped.report_digest = digest;
  return stamped;
}
