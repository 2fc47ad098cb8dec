/**
 * Shared pieces of the benchmarks: running a measured child
 * (bench/child.ts), summary statistics, and the machine line.
 *
 * @module
 */
import type { ChildFigures } from "./child.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Run bench/child.ts in its own Deno process and parse its JSON line.
 *
 * @param args Mode and its arguments.
 * @param env The child's environment (added to a minimal PATH/HOME).
 * @param denoFlags Flags for `deno run` (e.g. `--cpu-prof`).
 * @returns The child's figures, with `wallMs`, the whole child process.
 */
export async function runChild(
  args: string[],
  env: Record<string, string>,
  denoFlags: string[] = [],
): Promise<ChildFigures & { wallMs: number }> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...denoFlags, `${ROOT}bench/child.ts`, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || stdout === "") {
    throw new Error(
      `The "${args[0]}" child failed (exit ${output.code}): ${
        new TextDecoder().decode(output.stderr).slice(-2000)
      }`,
    );
  }
  return { ...JSON.parse(stdout.split("\n").at(-1)!), wallMs };
}

/**
 * The arithmetic mean.
 *
 * @param values Numbers (NaN when empty).
 * @returns The mean.
 */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * A percentile by the nearest-rank method.
 *
 * @param values Numbers (NaN when empty).
 * @param p Percent, 0..100.
 * @returns The smallest value with at least `p`% of the values at or below it.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * The makespan of the ideal list schedule: jobs taken in order, each started
 * at once on the slot that frees first (of `slots`), with no detection lag.
 *
 * @param renderMs Render time of each job, in manifest order.
 * @param slots Tasks in flight at once.
 * @returns Milliseconds from the first start to the last end.
 */
export function listScheduleMs(renderMs: readonly number[], slots: number): number {
  const free = new Array<number>(Math.max(1, slots)).fill(0);
  let end = 0;
  for (const ms of renderMs) {
    let best = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[best]) best = i;
    free[best] += ms;
    end = Math.max(end, free[best]);
  }
  return end;
}

/** The machine the figures come from, as one line (for RESULTS.md and results.json). */
export interface Machine {
  os: string;
  cpus: number;
  memoryGiB: number;
  kernel: string;
  deno: string;
  v8: string;
}

/**
 * Where the benchmark runs.
 *
 * @returns CPUs (`nproc`), memory, kernel and Deno versions.
 */
export function machine(): Machine {
  return {
    os: `${Deno.build.os}/${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    memoryGiB: Number((Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/**
 * A ratio with two decimals and an `x`, e.g. `1.08x`.
 *
 * @param value The measured figure.
 * @param baseline Its baseline.
 * @returns The text.
 */
export function times(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}
