/**
 * Benchmark: what checking every done video against the journal costs a
 * resume (`verifyDoneVideos`, run by `run`, `status` and `report`), at
 * 100,000 done jobs, for each hash policy: `never` (size only), `changed`
 * (the default: size, and the SHA-256 only of a file modified after its
 * download), `always` (size and SHA-256 of every file). The files are the
 * size of the simulator's clip and were just written, so the page cache is
 * warm: a cold cache, or real clips of megabytes, make hashing far dearer;
 * the SHA-256 throughput row gives the rate to scale by.
 *
 * Run through `deno task bench`, or `deno run -A bench/verify_bench.ts`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import type { JobState } from "../src/journal/events.ts";
import type { HashPolicy } from "../src/done_videos.ts";
import { verifyDoneVideos } from "../src/runner/verify_videos.ts";
import { type DiskLookOptions, LOOK_FILE, lookAtFiles } from "../src/runner/disk_looks.ts";
import { seconds } from "./format.ts";

/** Done jobs (video files) checked. */
export const VERIFY_JOBS = 100_000;

/** Size of each video file: the simulator's clip. */
export const VIDEO_BYTES = 5_267;

/** Empty files looked at in the large comparison of the two ways. */
export const LOOK_FILES = 1_000_000;

/** Turns each way takes in a comparison (alternating, the median kept). */
export const LOOK_ROUNDS = 3;

/** The two ways to look, forced. */
const WAYS: Record<LookWay, DiskLookOptions> = {
  thread: { threshold: Infinity },
  workers: { threshold: 0, workers: 2 },
};

/** How the disk was looked at. */
export type LookWay = "thread" | "workers";

/** One way's turns in a comparison. */
export interface LookRow {
  way: LookWay;
  /** Wall time of each turn. */
  wallMs: number[];
  /** CPU time (user + system, every thread of the process) of each turn. */
  cpuMs: number[];
}

/** The two ways compared on the same files in the same run. */
export interface LookComparison {
  /** What was timed. */
  what: string;
  files: number;
  rows: LookRow[];
  /** The 1-minute load average before and after. */
  load: [number, number];
  /** Time to write the files (for scale). */
  setupMs?: number;
}

/** One measured policy. */
export interface VerifyRow {
  policy: HashPolicy;
  ms: number;
  findings: number;
}

/** What the bench measured. */
export interface VerifyBench {
  /** How many done videos were checked. */
  jobs: number;
  rows: VerifyRow[];
  /** SHA-256 throughput in bytes per second (in memory). */
  hashBytesPerSecond: number;
  /** Time to write the files (for scale). */
  setupMs: number;
  /** The size-only check in the calling thread and over Workers, on the same files. */
  verifyWays: LookComparison;
  /** The bare looks at {@linkcode LOOK_FILES} files, both ways. */
  lookWays: LookComparison;
}

/**
 * Write the files, then time `verifyDoneVideos` with each policy.
 *
 * @param jobs How many done videos.
 * @returns The rows and the hash throughput.
 */
export async function runVerifyBench(
  jobs: number = VERIFY_JOBS,
  lookFiles: number = LOOK_FILES,
): Promise<VerifyBench> {
  const outDir = await Deno.makeTempDir({ prefix: "verify-bench-" });
  try {
    const started = performance.now();
    await Deno.mkdir(join(outDir, "videos"));
    const states = new Map<string, JobState>();
    const downloadedAt = new Date();
    // Files written before the recorded download time, as a real run leaves them.
    const mtime = new Date(downloadedAt.getTime() - 1000);
    for (let i = 0; i < jobs; i++) {
      const id = `clip-${String(i).padStart(6, "0")}`;
      const bytes = new Uint8Array(VIDEO_BYTES);
      new DataView(bytes.buffer).setUint32(0, i);
      const output = `videos/${id}.mp4`;
      await Deno.writeFile(join(outDir, output), bytes);
      await Deno.utime(join(outDir, output), mtime, mtime);
      states.set(id, {
        job: id,
        phase: "done",
        attempts: 1,
        task: `task-${i}`,
        createdAt: downloadedAt.toISOString(),
        output,
        bytes: VIDEO_BYTES,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        downloadedAt: downloadedAt.toISOString(),
      });
    }
    const setupMs = performance.now() - started;
    const rows: VerifyRow[] = [];
    for (const policy of ["never", "changed", "always"] as const) {
      // Best of two: the first pass also warms the dentry cache.
      let best = Infinity;
      let findings = 0;
      for (let round = 0; round < 2; round++) {
        const t = performance.now();
        findings = (await verifyDoneVideos(outDir, states, { hash: policy })).length;
        best = Math.min(best, performance.now() - t);
      }
      rows.push({ policy, ms: best, findings });
    }
    const verifyWays = await compareWays(
      "the size-only check (`verifyDoneVideos`, hash `never`)",
      jobs,
      (options) => verifyDoneVideos(outDir, states, { hash: "never", looks: options }),
    );
    const buffer = new Uint8Array(64 * 1024 ** 2);
    const t = performance.now();
    createHash("sha256").update(buffer).digest("hex");
    const hashBytesPerSecond = buffer.byteLength / ((performance.now() - t) / 1000);
    return {
      jobs,
      rows,
      hashBytesPerSecond,
      setupMs,
      verifyWays,
      lookWays: await compareOnEmptyFiles(lookFiles),
    };
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

/** The 1-minute load average. */
function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** Time `body` both ways, taking turns, {@linkcode LOOK_ROUNDS} each. */
async function compareWays(
  what: string,
  files: number,
  body: (options: DiskLookOptions) => Promise<unknown>,
): Promise<LookComparison> {
  const rows: LookRow[] = [
    { way: "thread", wallMs: [], cpuMs: [] },
    { way: "workers", wallMs: [], cpuMs: [] },
  ];
  const before = loadAverage();
  for (let round = 0; round < LOOK_ROUNDS; round++) {
    for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
      const cpu = cpuUsage();
      const t = performance.now();
      await body(WAYS[row.way]);
      row.wallMs.push(performance.now() - t);
      const used = cpuUsage(cpu);
      row.cpuMs.push((used.user + used.system) / 1000);
    }
  }
  return { what, files, rows, load: [before, loadAverage()] };
}

/** Write `count` empty files, compare the bare looks at them both ways, remove them. */
async function compareOnEmptyFiles(count: number): Promise<LookComparison> {
  const dir = await Deno.makeTempDir({ prefix: "verify-bench-looks-" });
  try {
    const started = performance.now();
    const names: string[] = [];
    const empty = new Uint8Array(0);
    for (let i = 0; i < count; i++) {
      const name = `clip-${String(i).padStart(7, "0")}.mp4`;
      Deno.writeFileSync(join(dir, name), empty);
      names.push(name);
    }
    const setupMs = performance.now() - started;
    const comparison = await compareWays(
      "the bare looks (`lookAtFiles`)",
      count,
      async (options) => {
        const looks = await lookAtFiles(names, { ...options, prefix: dir + "/" });
        if (looks.kinds.some((kind) => kind !== LOOK_FILE)) throw new Error("a file went missing");
      },
    );
    return { ...comparison, setupMs };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The median of some figures. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A comparison's table. */
function renderComparison(comparison: LookComparison): string[] {
  const [thread, workers] = comparison.rows;
  const lines = [
    `${comparison.what}, ${comparison.files.toLocaleString("en")} files, ${LOOK_ROUNDS} turns ` +
    `each way (taking turns; median, with the range), load average ${
      comparison.load[0].toFixed(1)
    } → ${comparison.load[1].toFixed(1)}:`,
    "",
    "| way | wall (median) | wall range | CPU (median) | per file (wall) | wall vs in-thread |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const row of comparison.rows) {
    const wall = median(row.wallMs);
    lines.push(
      `| ${row.way === "thread" ? "in the calling thread" : "two Workers"} | ${seconds(wall)} | ${
        seconds(Math.min(...row.wallMs))
      }-${seconds(Math.max(...row.wallMs))} | ${seconds(median(row.cpuMs))} | ${
        (wall * 1000 / comparison.files).toFixed(1)
      } µs | ${(wall / median(thread.wallMs)).toFixed(2)}x |`,
    );
  }
  lines.push(
    "",
    `Workers / in-thread: wall ${
      (median(workers.wallMs) / median(thread.wallMs)).toFixed(2)
    }x, CPU ${(median(workers.cpuMs) / median(thread.cpuMs)).toFixed(2)}x.` +
      (comparison.setupMs === undefined
        ? ""
        : ` Writing the files took ${seconds(comparison.setupMs)}.`),
  );
  return lines;
}

/**
 * The bench's section of RESULTS.md.
 *
 * @param bench What was measured.
 * @returns Markdown lines.
 */
export function renderVerifyBench(bench: VerifyBench): string[] {
  const describe: Record<HashPolicy, string> = {
    never: "size only",
    changed: "size, SHA-256 if modified since the download (default)",
    always: "size and SHA-256 of every file",
  };
  const lines = [
    "| check | files | time | per file | findings |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const row of bench.rows) {
    lines.push(
      `| ${describe[row.policy]} | ${bench.jobs.toLocaleString("en")} | ${seconds(row.ms)} | ${
        (row.ms * 1000 / bench.jobs).toFixed(1)
      } µs | ${row.findings} |`,
    );
  }
  const rate = bench.hashBytesPerSecond / 1024 ** 2;
  const realClip = 10 * 1024 ** 2;
  const hoursAtRealSize = bench.jobs * realClip / bench.hashBytesPerSecond / 3600;
  lines.push(
    "",
    `SHA-256 in memory: ${rate.toFixed(0)} MiB/s. At that rate alone (before any disk read), ` +
      `hashing ${bench.jobs.toLocaleString("en")} real clips of 10 MiB would take ` +
      `${hoursAtRealSize.toFixed(1)} h on every resume, which is why the default hashes only ` +
      `files modified since their download. Writing the ${bench.jobs.toLocaleString("en")} ` +
      `files took ${seconds(bench.setupMs)}. The rows above look at the disk as a resume does ` +
      `(over two Workers from 20,000 files); below, the two ways forced, on the same files.`,
    "",
    ...renderComparison(bench.verifyWays),
    "",
    ...renderComparison(bench.lookWays),
  );
  return lines;
}

if (import.meta.main) {
  const text = renderVerifyBench(await runVerifyBench()).join("\n") + "\n";
  await Deno.stdout.write(new TextEncoder().encode(text));
}
