/**
 * Benchmark: a resume over an output folder of done jobs, at two sizes, to
 * show time and memory per job staying flat (linear growth).
 *
 * For each size a generated CSV manifest (1.x models, no images), the
 * journal a finished run leaves (five events a job, as a real run writes)
 * and a tiny video per job (written synchronously, once per bench run, and
 * reused by every measurement of that size). Every measured thing runs in
 * its own child process (peak RSS is its VmHWM; CPU is user + system of the
 * measured work, start-up excluded):
 *
 * - `run --simulate` over the folder without reports: nothing to submit, the
 *   four reports written;
 * - the same again: nothing changed, the reports left as they are (the
 *   resume a cron pass makes), answered from the resume index the first
 *   resume wrote;
 * - the same once more with the index removed: the whole path (validation,
 *   replay, plan, the video check, the report digest), which a resume takes
 *   when anything changed;
 * - baselines measured in the same run: `validate` of the same manifest, and
 *   a bare `JSON.parse` of every journal line (read in chunks).
 *
 * Run through `deno task bench --only resume`; run directly with
 * `child parse <journal>` it is the bare-parse child.
 *
 * @module
 */
import process from "node:process";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { journalPath } from "../src/manifest/paths.ts";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { benchRunStarted, doneJobEvents } from "./done_journal.ts";
import { peakKb } from "./child.ts";
import { runChild } from "./measure.ts";
import { kbToMb, mb, seconds } from "./format.ts";

/** Done jobs of each folder, full sizes. */
export const RESUME_SIZES = [100_000, 1_000_000] as const;

/** Done jobs of each folder, `--quick`. */
export const RESUME_QUICK_SIZES = [200, 400] as const;

/** The target for 1,000,000 done jobs. */
export const RESUME_TARGET = { ms: 10_000, kb: 1024 * 1024 } as const;

const MODELS = ["doubao-seedance-1-0-pro", "doubao-seedance-1-5-pro"];

/** One child's figures. */
export interface Measured {
  /** The whole child process, ms. */
  wallMs: number;
  /** The measured work, ms. */
  ms: number;
  /** CPU (user + system) of the measured work, µs. */
  cpuUs: number;
  /** Peak RSS, KiB. */
  peakKb: number;
  /** The CLI's exit code, for a CLI child. */
  code?: number;
}

/** The figures of one size. */
export interface ResumeSize {
  /** Done jobs. */
  jobs: number;
  /** Journal lines and bytes. */
  journalLines: number;
  journalBytes: number;
  /** Bytes of the four reports the first resume wrote. */
  reportBytes: number;
  /** The resume that wrote the reports. */
  written: Measured;
  /** The resume that found them current (from the resume index). */
  kept: Measured;
  /** The same resume without the index: the whole path. */
  whole: Measured;
  /** Baseline: `validate` of the manifest. */
  validate: Measured;
  /** Baseline: bare `JSON.parse` of every journal line. */
  parse: Measured;
  /** Whether the second resume left every report file as it was. */
  reportsKept: boolean;
  /** Seconds it took to write the folder (not measured work). */
  generateMs: number;
}

/** What the bench measured. */
export interface ResumeBenchResult {
  measuredAt: string;
  /** `/proc/loadavg`'s first three figures when the bench started and ended. */
  load: { start: string; end: string };
  sizes: ResumeSize[];
}

/**
 * Run the bench over each size.
 *
 * @param sizes Done jobs per folder.
 * @returns The figures.
 */
export async function runResumeBench(sizes: readonly number[]): Promise<ResumeBenchResult> {
  const measuredAt = new Date().toISOString();
  const load = { start: await loadAverage(), end: "" };
  const dir = await Deno.makeTempDir({ prefix: "seedance-resume-bench-" });
  const results: ResumeSize[] = [];
  try {
    for (const jobs of sizes) {
      const folder = join(dir, `n${jobs}`);
      await Deno.mkdir(folder);
      const manifest = join(folder, "batch.csv");
      const outDir = join(folder, "batch.out");
      const started = performance.now();
      await Deno.writeTextFile(manifest, csvManifest(jobs));
      await writeDoneFolder(manifest, outDir);
      const generateMs = performance.now() - started;
      const env = { NO_COLOR: "1" };
      const run = ["cli", "run", manifest, "--simulate"];
      const written = await runChild(run, env);
      const reportBytes = await reportSize(outDir);
      const before = await reportTimes(outDir);
      const kept = await runChild(run, env);
      await Deno.remove(join(outDir, ".resume-index"));
      const whole = await runChild(run, env);
      const reportsKept = (await reportTimes(outDir)) === before;
      for (const m of [written, kept, whole]) {
        if (m.code !== 0) throw new Error(`The resume of ${jobs} jobs ended with exit ${m.code}`);
      }
      const journal = journalPath(outDir);
      results.push({
        jobs,
        journalLines: await countLines(journal),
        journalBytes: (await Deno.stat(journal)).size,
        reportBytes,
        written: pick(written),
        kept: pick(kept),
        whole: pick(whole),
        validate: pick(await runChild(["cli", "validate", manifest], env)),
        parse: pick(await selfChild(["parse", journal])),
        reportsKept,
        generateMs,
      });
      await Deno.remove(folder, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  load.end = await loadAverage();
  return { measuredAt, load, sizes: results };
}

/**
 * The bench's Markdown: one row per size, then the figures per job.
 *
 * @param result What {@linkcode runResumeBench} measured.
 * @returns Markdown lines.
 */
export function renderResumeBench(result: ResumeBenchResult): string[] {
  const cpu = (us: number): string => seconds(us / 1000);
  const lines = [
    `Measured ${result.measuredAt}; load average ${result.load.start} at the start, ` +
    `${result.load.end} at the end (2 CPUs shared with other work: CPU time and peak RSS are ` +
    "the steadier figures).",
    "",
    "| done jobs | journal | reports written by the first resume | resume, reports written: wall / CPU / peak RSS | resume, nothing changed (resume index): wall / CPU / peak RSS | same, whole path (no index): wall / CPU / peak RSS | reports left as they were | `validate` (baseline): CPU / peak RSS | bare `JSON.parse` of the journal (baseline): CPU / peak RSS | whole-path CPU vs validate + parse | index vs whole path (wall) | target (1M: 10 s, 1 GB) |",
    "|---:|---:|---:|---|---|---|---|---|---|---:|---:|---|",
  ];
  for (const r of result.sizes) {
    const target = r.jobs === 1_000_000
      ? (r.kept.wallMs <= RESUME_TARGET.ms && r.kept.peakKb <= RESUME_TARGET.kb
        ? "met"
        : "**missed**")
      : "n/a";
    lines.push(
      `| ${count(r.jobs)} | ${count(r.journalLines)} lines, ${mb(r.journalBytes)} | ${
        mb(r.reportBytes)
      } | ${seconds(r.written.wallMs)} / ${cpu(r.written.cpuUs)} / ${kbToMb(r.written.peakKb)} | ${
        seconds(r.kept.wallMs)
      } / ${cpu(r.kept.cpuUs)} / ${kbToMb(r.kept.peakKb)} | ${seconds(r.whole.wallMs)} / ${
        cpu(r.whole.cpuUs)
      } / ${kbToMb(r.whole.peakKb)} | ${r.reportsKept ? "yes" : "**no**"} | ${
        cpu(r.validate.cpuUs)
      } / ${kbToMb(r.validate.peakKb)} | ${cpu(r.parse.cpuUs)} / ${kbToMb(r.parse.peakKb)} | ${
        (r.whole.cpuUs / (r.validate.cpuUs + r.parse.cpuUs)).toFixed(2)
      }x | ${(r.kept.wallMs / r.whole.wallMs).toFixed(2)}x | ${target} |`,
    );
  }
  lines.push(
    "",
    "Per job: the whole figure over the jobs, and the growth from the smaller size " +
      "(the difference of the figures over the difference of the jobs: the cost of one more " +
      "job, Deno's fixed start-up memory aside). Linear growth keeps the growth figures equal " +
      "to the per-job ones at the larger size.",
    "",
    "| done jobs | resume, nothing changed (index): CPU per job | peak RSS per job | growth: CPU per job | growth: RSS per job | whole path: CPU per job | peak RSS per job | growth: CPU per job | growth: RSS per job | resume, reports written: CPU per job | peak RSS per job | `validate`: CPU per job | peak RSS per job |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  let previous: ResumeSize | undefined;
  for (const r of result.sizes) {
    const us = (m: Measured): string => `${(m.cpuUs / r.jobs).toFixed(1)} µs`;
    const kb = (m: Measured): string => `${(m.peakKb * 1024 / r.jobs).toFixed(0)} B`;
    const jobs = previous === undefined ? 0 : r.jobs - previous.jobs;
    const growth = (of: (size: ResumeSize) => Measured): string[] => {
      if (previous === undefined || jobs <= 0) return ["n/a", "n/a"];
      const [now, before] = [of(r), of(previous)];
      return [
        `${((now.cpuUs - before.cpuUs) / jobs).toFixed(1)} µs`,
        `${((now.peakKb - before.peakKb) * 1024 / jobs).toFixed(0)} B`,
      ];
    };
    const [keptCpu, keptKb] = growth((size) => size.kept);
    const [wholeCpu, wholeKb] = growth((size) => size.whole);
    lines.push(
      `| ${count(r.jobs)} | ${us(r.kept)} | ${kb(r.kept)} | ${keptCpu} | ${keptKb} | ${
        us(r.whole)
      } | ${kb(r.whole)} | ${wholeCpu} | ${wholeKb} | ${us(r.written)} | ${kb(r.written)} | ${
        us(r.validate)
      } | ${kb(r.validate)} |`,
    );
    previous = r;
  }
  return lines;
}

function pick(m: Measured): Measured {
  return {
    wallMs: m.wallMs,
    ms: m.ms,
    cpuUs: m.cpuUs,
    peakKb: m.peakKb,
    ...(m.code === undefined ? {} : { code: m.code }),
  };
}

function count(n: number): string {
  return n.toLocaleString("en");
}

async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

/** Job `i` of the generated manifest: 1.x models alternate, no images. */
function csvManifest(jobs: number): string {
  const lines = ["id,prompt,model,seconds,size,resolution"];
  for (let i = 0; i < jobs; i += 1) {
    lines.push(
      `clip-${String(i).padStart(7, "0")},"Scene ${i}: a paper lantern drifting over a still ` +
        `lake at dusk, slow pan, take ${i}",${MODELS[i % MODELS.length]},${4 + (i % 6)},16:9,720p`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * The folder a finished run of `manifest` leaves: the journal (its times a
 * minute after now, so every video file is older than its recorded download
 * and the resume checks sizes only) and a 16-byte video per job, written
 * synchronously.
 */
async function writeDoneFolder(manifest: string, outDir: string): Promise<void> {
  const validation = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
  if (validation.errors.length > 0) throw new Error("The generated manifest is not valid");
  Deno.mkdirSync(join(outDir, "videos"), { recursive: true });
  using file = Deno.openSync(journalPath(outDir), { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const video = new Uint8Array(16);
  const start = Date.now() + 60_000;
  let chunk = "";
  const push = (event: JournalEvent): void => {
    chunk += encodeEvent(event) + "\n";
    if (chunk.length >= 1 << 20) flush();
  };
  const flush = (): void => {
    const bytes = encoder.encode(chunk);
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
    chunk = "";
  };
  push(benchRunStarted(start));
  for (const [i, j] of validation.jobs.entries()) {
    Deno.writeFileSync(join(outDir, j.output), video);
    const done = {
      id: j.id,
      fingerprint: j.fingerprint,
      task: `task-${String(i).padStart(8, "0")}`,
      output: j.output,
      bytes: video.length,
      sha256: "0".repeat(64),
    };
    for (const event of doneJobEvents(done, i, start)) push(event);
  }
  flush();
}

async function reportSize(outDir: string): Promise<number> {
  let bytes = 0;
  for (const name of ["report.json", "report.csv", "report.md", "report.html"]) {
    bytes += (await Deno.stat(join(outDir, name))).size;
  }
  return bytes;
}

async function reportTimes(outDir: string): Promise<string> {
  const times = [];
  for (const name of ["report.json", "report.csv", "report.md", "report.html"]) {
    const info = await Deno.stat(join(outDir, name));
    times.push(`${info.ino}:${info.mtime?.getTime()}`);
  }
  return times.join(",");
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    for (const byte of chunk) if (byte === 10) lines++;
  }
  return lines;
}

/** Run this script as a child (`child parse <journal>`) and parse its JSON line. */
async function selfChild(args: string[]): Promise<Measured> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL(import.meta.url).pathname, "child", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (!output.success) {
    throw new Error(`The ${args[0]} child failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return { ...JSON.parse(new TextDecoder().decode(output.stdout)), wallMs };
}

/** The bare-parse baseline: the journal read in chunks, each line given to `JSON.parse`. */
async function bareParse(path: string): Promise<number> {
  let lines = 0;
  let rest = "";
  const decoder = new TextDecoder();
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      if (end > start) {
        JSON.parse(text.slice(start, end));
        lines++;
      }
      start = end + 1;
    }
    rest = text.slice(start);
  }
  return lines;
}

if (import.meta.main && Deno.args[0] === "child" && Deno.args[1] === "parse") {
  const before = process.cpuUsage();
  const started = performance.now();
  await bareParse(Deno.args[2]);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(before);
  const figures = { ms, cpuUs: cpu.user + cpu.system, peakKb: await peakKb() };
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(figures) + "\n"));
}
