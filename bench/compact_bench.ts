/**
 * The `compact` benchmark: a synthetic journal of done jobs as a real run
 * writes it (five events a job: submitting, submitted, a status,
 * task_succeeded, downloaded with the video's facts), compacted by
 * `compactJournal()`, and replayed (`readJournal()`) before and after, each
 * in its own child process (CPU time, wall time, peak RSS). The baseline is a
 * bare `JSON.parse` of every line of the same file, read the same way, in its
 * own child, in the same run.
 *
 * Usage as a child: `deno run -A bench/compact_bench.ts child <mode> <journal>`,
 * mode `parse`, `replay` or `compact`; it prints one JSON line of figures.
 *
 * @module
 */
import process from "node:process";
import { join } from "node:path";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { benchRunStarted, doneJobEvents } from "./done_journal.ts";
import { JournalReplay, readJournal } from "../src/journal/replay.ts";
import { compactJournal } from "../src/journal/compact.ts";
import { peakKb } from "./child.ts";
import { kbToMb, mb, seconds } from "./format.ts";

/** Done jobs in the full-size journal. */
export const COMPACT_JOBS = 1_000_000;
/** Done jobs in `--quick` mode. */
export const COMPACT_QUICK = 2_000;

/** What one child measured. */
export interface CompactChild {
  /** Wall time of the measured work, ms (start-up not included). */
  ms: number;
  /** CPU time (user + system) of the measured work, ms. */
  cpuMs: number;
  /** Peak RSS of the child (VmHWM), KiB. */
  peakKb: number;
  /** Lines parsed, or jobs replayed. */
  count: number;
  /** `compact`: the replay before the rewrite, ms. */
  replayMs?: number;
  /** `compact`: the rewrite alone (write, fsync, rename), ms. */
  writeMs?: number;
}

/** Every figure of the entry. */
export interface CompactBenchResult {
  /** When it was measured. */
  measuredAt: string;
  /** The load average (1 min) before and after. */
  load: [number, number];
  /** Jobs in the journal. */
  jobs: number;
  /** Lines and bytes before and after compaction. */
  before: { lines: number; bytes: number };
  after: { lines: number; bytes: number };
  /** Replay (`readJournal`) and its baseline (bare `JSON.parse`), before and after. */
  replayBefore: CompactChild;
  parseBefore: CompactChild;
  replayAfter: CompactChild;
  parseAfter: CompactChild;
  /** The compaction: replay, then rewrite. */
  compact: CompactChild;
}

/**
 * Write a journal of `jobs` done jobs, five events each, as a real run does.
 *
 * @param path Where.
 * @param jobs How many.
 * @returns Its lines and bytes.
 */
export async function writeDoneJournal(
  path: string,
  jobs: number,
): Promise<{ lines: number; bytes: number }> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const start = Date.parse("2026-01-01T00:00:00Z");
  let chunk: string[] = [];
  let lines = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    const data = encoder.encode(chunk.join(""));
    for (let written = 0; written < data.length;) {
      written += await file.write(data.subarray(written));
    }
    bytes += data.length;
    chunk = [];
  };
  const push = async (event: JournalEvent): Promise<void> => {
    chunk.push(encodeEvent(event) + "\n");
    lines += 1;
    if (chunk.length >= 10_000) await flush();
  };
  await push(benchRunStarted(start));
  const hex = (i: number, salt: number): string =>
    ((i * 2654435761 + salt) >>> 0).toString(16).padStart(8, "0").repeat(8);
  for (let i = 0; i < jobs; i++) {
    const id = `job-${String(i).padStart(7, "0")}`;
    const done = {
      id,
      fingerprint: hex(i, 1),
      task: `cgt-2026${String(i).padStart(12, "0")}`,
      output: `videos/${id}.mp4`,
      bytes: 5267,
      sha256: hex(i, 2),
      video: { duration: 5.041667, width: 1280, height: 720, codec: "avc1" },
    };
    for (const event of doneJobEvents(done, i, start)) await push(event);
  }
  await flush();
  return { lines, bytes };
}

/**
 * Run the benchmark.
 *
 * @param jobs Done jobs in the journal.
 * @returns Every figure.
 */
export async function runCompactBench(jobs: number): Promise<CompactBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "bench-compact-" });
  try {
    const load0 = Deno.loadavg()[0];
    const path = join(dir, "state.jsonl");
    const before = await writeDoneJournal(path, jobs);
    const copy = join(dir, "copy.jsonl");
    await Deno.copyFile(path, copy);
    const parseBefore = await child("parse", path);
    const replayBefore = await child("replay", path);
    const compact = await child("compact", copy);
    const after = { lines: compact.count, bytes: (await Deno.stat(copy)).size };
    const parseAfter = await child("parse", copy);
    const replayAfter = await child("replay", copy);
    return {
      measuredAt: new Date().toISOString(),
      load: [load0, Deno.loadavg()[0]],
      jobs,
      before,
      after,
      replayBefore,
      parseBefore,
      replayAfter,
      parseAfter,
      compact,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The section's Markdown lines.
 *
 * @param r What {@linkcode runCompactBench} measured.
 * @returns Markdown lines.
 */
export function renderCompactBench(r: CompactBenchResult): string[] {
  const n = (value: number): string => value.toLocaleString("en");
  const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  const perJob = (kb: number): string => `${((kb * 1024) / r.jobs).toFixed(0)} B`;
  const row = (name: string, m: CompactChild, base: CompactChild | undefined): string =>
    `| ${name} | ${seconds(m.ms)} | ${seconds(m.cpuMs)} | ${kbToMb(m.peakKb)} | ${
      perJob(m.peakKb)
    } | ${base ? x(m.cpuMs, base.cpuMs) : "baseline"} |`;
  return [
    `Measured ${r.measuredAt}, load average ${r.load[0].toFixed(2)} before, ` +
    `${r.load[1].toFixed(2)} after (2 CPUs shared).`,
    "",
    "| journal | lines | size |",
    "|---|---:|---:|",
    `| as written (${n(r.jobs)} done jobs, 5 events each) | ${n(r.before.lines)} | ${
      mb(r.before.bytes)
    } |`,
    `| compacted (one \`job_state\` a job) | ${n(r.after.lines)} | ${mb(r.after.bytes)} |`,
    "",
    `Compaction (\`readJournal\` then \`compactJournal\`, one child): ${seconds(r.compact.ms)} ` +
    `wall (replay ${seconds(r.compact.replayMs ?? 0)}, rewrite with fsync and rename ${
      seconds(r.compact.writeMs ?? 0)
    }), ${seconds(r.compact.cpuMs)} CPU, peak RSS ${kbToMb(r.compact.peakKb)}.`,
    "",
    "| work | wall | CPU | peak RSS | RSS per job | CPU vs baseline |",
    "|---|---:|---:|---:|---:|---:|",
    row("bare `JSON.parse` per line, as written (baseline)", r.parseBefore, undefined),
    row("`readJournal`, as written", r.replayBefore, r.parseBefore),
    row("bare `JSON.parse` per line, compacted (baseline)", r.parseAfter, undefined),
    row("`readJournal`, compacted", r.replayAfter, r.parseAfter),
    "",
    `Replay after compaction vs before: ${x(r.replayAfter.cpuMs, r.replayBefore.cpuMs)} CPU, ` +
    `${x(r.replayAfter.peakKb, r.replayBefore.peakKb)} peak RSS.`,
  ];
}

async function child(mode: string, path: string): Promise<CompactChild> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL(import.meta.url).pathname, "child", mode, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || stdout === "") {
    throw new Error(
      `The compact bench's "${mode}" child failed (exit ${output.code}): ${
        new TextDecoder().decode(output.stderr).slice(-2000)
      }`,
    );
  }
  return JSON.parse(stdout.split("\n").at(-1)!);
}

/** Every line of a file, read as `readJournal` reads it. */
async function parseLines(path: string): Promise<number> {
  using file = await Deno.open(path);
  let carry = "";
  let count = 0;
  for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line !== "") {
        JSON.parse(line);
        count += 1;
      }
    }
  }
  if (carry !== "") {
    JSON.parse(carry);
    count += 1;
  }
  return count;
}

async function measured(work: () => Promise<Partial<CompactChild>>): Promise<CompactChild> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const figures = await work();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    peakKb: await peakKb(),
    count: 0,
    ...figures,
  };
}

if (import.meta.main) {
  const [role, mode, path] = Deno.args;
  if (role !== "child") {
    throw new Error("Usage: compact_bench.ts child <parse|replay|compact> <journal>");
  }
  let figures: CompactChild;
  if (mode === "parse") figures = await measured(async () => ({ count: await parseLines(path) }));
  else if (mode === "replay") {
    figures = await measured(async () => ({ count: (await readJournal(path)).states.size }));
  } else if (mode === "compact") {
    figures = await measured(async () => {
      const replay = new JournalReplay();
      const t0 = performance.now();
      await readJournal(path, replay);
      const t1 = performance.now();
      const done = await compactJournal(path, replay);
      return { count: done.linesAfter, replayMs: t1 - t0, writeMs: performance.now() - t1 };
    });
  } else throw new Error(`Unknown mode "${mode}"`);
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(figures) + "\n"));
}
