/**
 * Benchmark: a large download through the runner's download path against
 * `curl` on the same URL, in the same run.
 *
 * The simulator (in this process) serves one task's video padded to the size
 * wanted (`videoBytes`: a valid MP4 generated while it streams). The runner's
 * side is `downloadVideo` through `CometClient.openVideo` in a child process
 * (bench/child.ts): it streams to `<file>.part`, hashes, checks, fsyncs and
 * renames. curl writes the same URL to a file (`curl -sS -o`), no fsync.
 * Each size is measured in alternating rounds, the best of each side kept;
 * the files are compared by SHA-256, then deleted.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { startSimulator } from "../src/simulator/server.ts";
import { runChild } from "./measure.ts";
import { kbToMb, seconds } from "./format.ts";

/** One size measured. */
export interface DownloadRow {
  bytes: number;
  /** The runner's best round: seconds of `downloadVideo`, MB/s, peak RSS of its process. */
  runnerMs: number;
  runnerMBps: number;
  runnerPeakKb: number;
  runnerCpuMs: number;
  /** curl's best round (its own `time_total`), or null when curl is not available. */
  curlMs: number | null;
  curlMBps: number | null;
  /** Runner throughput / curl throughput. */
  throughputRatio: number | null;
  /** curl's time plus an fsync of its file afterwards (the runner fsyncs its own), ms. */
  curlSyncedMs: number | null;
  /** Runner throughput / (curl + fsync) throughput. */
  syncedRatio: number | null;
  /** Both files had the served bytes (same SHA-256, right size). */
  identical: boolean | null;
  rounds: number;
}

/** Everything the benchmark measured. */
export interface DownloadResult {
  quick: boolean;
  /** Why curl was not measured; empty when it was. */
  curlMissing: string;
  /** Where the files were written, e.g. `/tmp on /dev/vda`. */
  folder: string;
  rows: DownloadRow[];
}

/** Sizes at full scale: 100 MiB and 1 GiB, to show peak memory does not follow the size. */
export const FULL_BYTES = [100 * 2 ** 20, 2 ** 30];

/** Sizes in quick mode. */
export const QUICK_BYTES = [2 ** 20, 4 * 2 ** 20];

const KEY = "sk-bench-download";

/**
 * Run the benchmark.
 *
 * @param quick Tiny sizes, one round.
 * @returns The figures.
 */
export async function runDownloadBench(quick: boolean): Promise<DownloadResult> {
  const curl = await curlVersion();
  const dir = await Deno.makeTempDir({ prefix: "seedance-download-bench-" });
  const rows: DownloadRow[] = [];
  try {
    for (const bytes of quick ? QUICK_BYTES : FULL_BYTES) {
      rows.push(await measureSize(dir, bytes, quick ? 1 : 2, curl === ""));
    }
    return { quick, curlMissing: curl, folder: await folderOf(dir), rows };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function measureSize(
  dir: string,
  bytes: number,
  rounds: number,
  withCurl: boolean,
): Promise<DownloadRow> {
  const simulator = startSimulator({ seed: 5, key: KEY, renderMs: 0, videoBytes: bytes });
  try {
    const url = await videoUrl(simulator.url);
    let runnerBest: { ms: number; peakKb: number; cpuMs: number; sha256: string } | null = null;
    let curlBest: { ms: number; syncedMs: number; sha256: string } | null = null;
    for (let round = 0; round < rounds; round++) {
      const runnerFile = join(dir, `runner-${round}.mp4`);
      const child = await runChild(
        ["download", simulator.url, url, runnerFile],
        { COMETAPI_KEY: KEY },
      );
      if (child.bytes !== bytes) throw new Error(`The runner wrote ${child.bytes} of ${bytes}`);
      await Deno.remove(runnerFile);
      if (runnerBest === null || child.ms < runnerBest.ms) {
        runnerBest = {
          ms: child.ms,
          peakKb: child.peakKb,
          cpuMs: child.cpuUs / 1000,
          sha256: child.sha256 ?? "",
        };
      }
      if (!withCurl) continue;
      const curlFile = join(dir, `curl-${round}.mp4`);
      const ms = await curlDownload(url, curlFile);
      const syncStarted = performance.now();
      {
        using file = await Deno.open(curlFile, { read: true, write: true });
        await file.sync();
      }
      const syncedMs = ms + (performance.now() - syncStarted);
      const sha256 = await fileSha256(curlFile);
      const size = (await Deno.stat(curlFile)).size;
      await Deno.remove(curlFile);
      if (size !== bytes) throw new Error(`curl wrote ${size} of ${bytes}`);
      if (curlBest === null || ms < curlBest.ms) curlBest = { ms, syncedMs, sha256 };
    }
    const runner = runnerBest!;
    const mbps = (ms: number): number => bytes / 2 ** 20 / (ms / 1000);
    return {
      bytes,
      runnerMs: runner.ms,
      runnerMBps: mbps(runner.ms),
      runnerPeakKb: runner.peakKb,
      runnerCpuMs: runner.cpuMs,
      curlMs: curlBest?.ms ?? null,
      curlMBps: curlBest === null ? null : mbps(curlBest.ms),
      throughputRatio: curlBest === null ? null : curlBest.ms / runner.ms,
      curlSyncedMs: curlBest?.syncedMs ?? null,
      syncedRatio: curlBest === null ? null : curlBest.syncedMs / runner.ms,
      identical: curlBest === null ? null : curlBest.sha256 === runner.sha256,
      rounds,
    };
  } finally {
    await simulator.shutdown();
  }
}

/** Create a task that is done at once and return its signed video URL. */
async function videoUrl(base: string): Promise<string> {
  const form = new FormData();
  form.set("prompt", "A paper lantern over a still lake");
  form.set("model", "doubao-seedance-1-0-pro");
  form.set("seconds", "5");
  form.set("size", "16:9");
  form.set("resolution", "720p");
  const headers = { authorization: `Bearer ${KEY}` };
  const created = await fetch(`${base}/v1/videos`, { method: "POST", body: form, headers });
  const id = (await created.json()).id;
  const task = await (await fetch(`${base}/v1/videos/${id}`, { headers })).json();
  if (typeof task.video_url !== "string") throw new Error("The simulator gave no video URL");
  return task.video_url;
}

/** `curl --version`'s first line is enough to know it runs; "" when it runs, else why not. */
async function curlVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output();
    return out.success ? "" : `curl --version exited ${out.code}`;
  } catch (error) {
    return error instanceof Deno.errors.NotFound
      ? "curl is not installed (not on PATH)"
      : `curl cannot be started (${error})`;
  }
}

/** curl to a file; its own `time_total` in ms. */
async function curlDownload(url: string, file: string): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "--fail", "-o", file, "-w", "%{time_total}", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`curl failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return Number(new TextDecoder().decode(out.stdout).trim()) * 1000;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function folderOf(dir: string): Promise<string> {
  try {
    const out = await new Deno.Command("df", { args: ["--output=fstype,source", dir] }).output();
    const [fstype, source] = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!
      .trim().split(/\s+/);
    return `${fstype} on ${source}`;
  } catch {
    return "unknown";
  }
}

/**
 * The Markdown of the section.
 *
 * @param result What {@linkcode runDownloadBench} measured.
 * @returns Markdown lines.
 */
export function renderDownloadBench(result: DownloadResult): string[] {
  const lines = [
    `Files written to a temp folder (${result.folder}) and deleted after each round; best of ` +
    `${result.rows[0]?.rounds ?? 0} alternating rounds per side. The runner's time is ` +
    "`downloadVideo` inside its process (start-up excluded) and includes hashing, the `ftyp` " +
    "check, the fsync and the rename; curl's is its own `time_total` (no fsync), and in the " +
    '"curl + fsync" column that plus an fsync of its file right after.',
    "",
    "| size | runner time | runner MB/s | curl time | curl MB/s | runner / curl throughput | curl + fsync | runner / (curl + fsync) | same bytes | runner CPU | runner peak RSS |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
  ];
  for (const r of result.rows) {
    const curl = r.curlMs === null
      ? `n/a (${result.curlMissing}) | n/a | n/a | n/a | n/a | n/a`
      : `${seconds(r.curlMs)} | ${r.curlMBps!.toFixed(0)} | ${r.throughputRatio!.toFixed(2)}x | ${
        seconds(r.curlSyncedMs!)
      } | ${r.syncedRatio!.toFixed(2)}x | ${r.identical ? "yes" : "**no**"}`;
    lines.push(
      `| ${(r.bytes / 2 ** 20).toFixed(0)} MiB | ${seconds(r.runnerMs)} | ${
        r.runnerMBps.toFixed(0)
      } | ${curl} | ${seconds(r.runnerCpuMs)} | ${kbToMb(r.runnerPeakKb)} |`,
    );
  }
  if (result.rows.length >= 2) {
    const first = result.rows[0];
    const last = result.rows.at(-1)!;
    lines.push(
      "",
      `Peak RSS at ${(last.bytes / 2 ** 20).toFixed(0)} MiB against ${
        (first.bytes / 2 ** 20).toFixed(0)
      } MiB: ${(last.runnerPeakKb / first.runnerPeakKb).toFixed(2)}x for a ${
        (last.bytes / first.bytes).toFixed(0)
      }x larger file.`,
    );
  }
  return lines;
}
