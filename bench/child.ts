/**
 * The measured child of the benchmarks in bench/physical_bench.ts,
 * bench/download_bench.ts and bench/naive_bench.ts: one measured thing in
 * its own process, its figures printed as one JSON line on stdout.
 *
 * - `cli <argv...>`: `main(argv)` (the CLI as a user runs it, its output
 *   counted, not printed).
 * - `download <base-url> <video-url> <destination>`: the runner's download
 *   path, `downloadVideo` through `CometClient.openVideo`.
 * - `fetch-floor`, `file-floor`, `journal-floor`: the bare operations of
 *   bench/floor.ts.
 * - `oracle <base-url> <jobs> <concurrency> <render-ms> <folder>`: the
 *   client the makespan benchmark measures the machine with: it knows every
 *   render takes `render-ms`, so it GETs each task once, one render after
 *   the POST's answer (the task was created before it: it has ended; again
 *   every 5 ms if not), POSTs the next job at once (no journal, no polling)
 *   and downloads each video beside (no fsync), through the same
 *   `CometClient`.
 *
 * CPU time is the process's own `getrusage(RUSAGE_SELF)` (Node's
 * `process.cpuUsage()`, every thread of the process: V8, its GC, Deno's
 * I/O threads), read just before and just after the measured work, so
 * Deno's start-up and module loading are not counted in `cpuUs`; the
 * whole process up to the end of the work is in `processCpuUs`. Peak memory
 * is VmHWM from /proc/self/status.
 *
 * @module
 */
import process from "node:process";
import { join } from "node:path";
import { main } from "../src/cli/main.ts";
import { CometClient } from "../src/api/client.ts";
import { downloadVideo } from "../src/runner/download.ts";
import { floorChild } from "./floor.ts";

/** What every child prints. */
export interface ChildFigures {
  /** Wall time of the measured work, ms. */
  ms: number;
  /** CPU (user + system) of the measured work, microseconds. */
  cpuUs: number;
  /** User CPU of the measured work, microseconds. */
  userUs: number;
  /** System CPU of the measured work, microseconds. */
  systemUs: number;
  /** CPU of the whole process from its start to the end of the work, microseconds. */
  processCpuUs: number;
  /** Peak resident memory (VmHWM), KiB; 0 where /proc is not available. */
  peakKb: number;
  /** `cli`: the exit code of `main`. */
  code?: number;
  /** `cli`: lines it printed. */
  printed?: number;
  /** `download`: bytes written. */
  bytes?: number;
  /** `download`: hex SHA-256 of the file written. */
  sha256?: string;
}

/**
 * The process's peak resident memory (VmHWM), in KiB.
 *
 * @returns KiB, or 0 where /proc/self/status cannot be read.
 */
export async function peakKb(): Promise<number> {
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    return Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function measure(
  work: () => Promise<Partial<ChildFigures>>,
): Promise<ChildFigures> {
  const before = process.cpuUsage();
  const started = performance.now();
  const extra = await work();
  const ms = performance.now() - started;
  const total = process.cpuUsage();
  const userUs = total.user - before.user;
  const systemUs = total.system - before.system;
  return {
    ms,
    cpuUs: userUs + systemUs,
    userUs,
    systemUs,
    processCpuUs: total.user + total.system,
    peakKb: await peakKb(),
    ...extra,
  };
}

async function childCli(argv: string[]): Promise<Partial<ChildFigures>> {
  let printed = 0;
  const tail: string[] = [];
  const print = (line: string): void => {
    printed += 1;
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  const code = await main(argv, { stdout: print, stderr: print, env: (n) => Deno.env.get(n) });
  if (code !== 0) await Deno.stderr.write(new TextEncoder().encode(tail.join("\n") + "\n"));
  return { code, printed };
}

async function childDownload(
  baseUrl: string,
  url: string,
  destination: string,
): Promise<Partial<ChildFigures>> {
  const client = new CometClient({ baseUrl, apiKey: Deno.env.get("COMETAPI_KEY") ?? "sk-bench" });
  const result = await downloadVideo({
    open: (offset, signal) => client.openVideo(url, { offset, signal }),
    destination,
  });
  return { bytes: result.bytes, sha256: result.sha256 };
}

/**
 * The oracle client: C workers, each POST, sleep one render from the
 * answer, GET until terminal, queue the download, POST the next job.
 */
async function childOracle(
  baseUrl: string,
  jobs: number,
  concurrency: number,
  renderMs: number,
  folder: string,
): Promise<Partial<ChildFigures>> {
  const client = new CometClient({ baseUrl, apiKey: Deno.env.get("COMETAPI_KEY") ?? "sk-bench" });
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  const downloads: Promise<void>[] = [];
  let nextJob = 0;
  const worker = async (): Promise<void> => {
    for (let job = nextJob++; job < jobs; job = nextJob++) {
      const outcome = await client.submit({
        model: "doubao-seedance-1-0-pro",
        prompt: `Oracle scene ${job}`,
        seconds: 5,
        size: "16:9",
        resolution: "720p",
        images: [],
        idempotencyKey: `oracle-${job}`,
      });
      if (outcome.kind !== "created") throw new Error(`oracle POST ${job}: ${outcome.kind}`);
      // The task was created before its answer came: it has ended one render later.
      await sleep(renderMs);
      for (;;) {
        const task = await client.getTask(outcome.task.id);
        if (task.status === "succeeded" && task.videoUrl !== undefined) {
          const url = task.videoUrl;
          downloads.push((async () => {
            const response = await client.openVideo(url);
            await Deno.writeFile(join(folder, `${job}.mp4`), await response.bytes());
          })());
          break;
        }
        await sleep(5);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all(downloads);
  return { code: 0 };
}

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  let figures: ChildFigures;
  if (mode === "cli") figures = await measure(() => childCli(args));
  else if (mode === "download") {
    figures = await measure(() => childDownload(args[0], args[1], args[2]));
  } else if (mode.endsWith("-floor")) {
    figures = await measure(async () => (await floorChild(mode, args), {}));
  } else if (mode === "oracle") {
    const [url, jobs, concurrency, renderMs, folder] = args;
    figures = await measure(() =>
      childOracle(url, Number(jobs), Number(concurrency), Number(renderMs), folder)
    );
  } else {
    throw new Error(`Unknown child mode "${mode}": expected cli, download, oracle or *-floor`);
  }
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(figures) + "\n"));
}
