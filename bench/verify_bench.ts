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
import type { JobState } from "../src/journal/events.ts";
import type { HashPolicy } from "../src/done_videos.ts";
import { verifyDoneVideos } from "../src/runner/verify_videos.ts";
import { seconds } from "./format.ts";

/** Done jobs (video files) checked. */
export const VERIFY_JOBS = 100_000;

/** Size of each video file: the simulator's clip. */
export const VIDEO_BYTES = 5_267;

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
}

/**
 * Write the files, then time `verifyDoneVideos` with each policy.
 *
 * @param jobs How many done videos.
 * @returns The rows and the hash throughput.
 */
export async function runVerifyBench(jobs: number = VERIFY_JOBS): Promise<VerifyBench> {
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
    const buffer = new Uint8Array(64 * 1024 ** 2);
    const t = performance.now();
    createHash("sha256").update(buffer).digest("hex");
    const hashBytesPerSecond = buffer.byteLength / ((performance.now() - t) / 1000);
    return { jobs, rows, hashBytesPerSecond, setupMs };
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
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
      `files took ${seconds(bench.setupMs)}.`,
  );
  return lines;
}

if (import.meta.main) {
  const text = renderVerifyBench(await runVerifyBench()).join("\n") + "\n";
  await Deno.stdout.write(new TextEncoder().encode(text));
}
