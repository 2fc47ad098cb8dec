/**
 * Benchmark: a batch driven by cron against one continuous run, on a
 * scaled-down clock.
 *
 * The same batch (1.x jobs, no images) runs twice against the in-process
 * simulator (render 1–3 s, poll 0.1 s): once as one continuous `run`, once
 * as a "cron" loop that starts `run --pass-time P` every P + gap
 * seconds (as `*\/10 * * * * ... --pass-time 540` does at full
 * scale) until a pass exits 0. The figure is the ratio of the cron batch's
 * wall time (from the first pass's start to the end of the last) to the
 * continuous run's; the design target is at most 1.2.
 *
 * Both run in this process through `main()`: they share its start-up, so
 * the ratio is about the scheduling, not Deno's start.
 *
 * @module
 */
import { join } from "node:path";
import { main } from "../src/cli/main.ts";
import { startSimulator } from "../src/simulator/server.ts";

/** The scaled-down clock of one measurement. */
export interface CronScale {
  /** Jobs in the batch. */
  jobs: number;
  /** `--concurrency`. */
  concurrency: number;
  /** The simulator's render time, in milliseconds. */
  renderMs: { min: number; max: number };
  /** `--poll-interval`, in seconds. */
  pollSeconds: number;
  /** `--pass-time`, in seconds. */
  passSeconds: number;
  /** Time between the end of a pass's slot and the next start, in seconds. */
  gapSeconds: number;
}

/** The full-size measurement: render 1–3 s, poll 0.1 s, a pass of 10 s every 12 s. */
export const CRON_SCALE: CronScale = {
  jobs: 120,
  concurrency: 5,
  renderMs: { min: 1000, max: 3000 },
  pollSeconds: 0.1,
  passSeconds: 10,
  gapSeconds: 2,
};

/** Quick mode: the same shape at a tenth of the times and few jobs. */
export const CRON_QUICK: CronScale = {
  jobs: 30,
  concurrency: 3,
  renderMs: { min: 100, max: 300 },
  pollSeconds: 0.01,
  passSeconds: 1,
  gapSeconds: 0.2,
};

/** What the cron bench measured. */
export interface CronFigures {
  /** The scale it ran at. */
  scale: CronScale;
  /** Wall time of the continuous run, in milliseconds. */
  continuousMs: number;
  /** Wall time of the cron-driven batch, first start to last end, in milliseconds. */
  cronMs: number;
  /** How many passes the cron loop started. */
  passes: number;
  /** cronMs / continuousMs. */
  ratio: number;
  /** Tasks the simulator created in each mode (one per job when nothing was billed twice). */
  tasks: { continuous: number; cron: number };
}

const KEY = "sk-bench-cron";

/**
 * Run the comparison.
 *
 * @param scale The scaled-down clock.
 * @returns The figures.
 */
export async function runCronBench(scale: CronScale): Promise<CronFigures> {
  const dir = await Deno.makeTempDir({ prefix: "seedance-bench-cron-" });
  try {
    const manifest = join(dir, "batch.yaml");
    const lines = ["jobs:"];
    for (let i = 1; i <= scale.jobs; i++) {
      lines.push(
        `  - id: c${i}`,
        `    prompt: "Scene ${i}, a lantern over a lake"`,
        `    model: doubao-seedance-1-0-pro`,
      );
    }
    await Deno.writeTextFile(manifest, lines.join("\n") + "\n");
    const common = [
      "--concurrency",
      String(scale.concurrency),
      "--poll-interval",
      String(scale.pollSeconds),
      "--quiet",
    ];
    const continuous = await measure(scale, async (env) => {
      const started = performance.now();
      const code = await cli(["run", manifest, "--out", join(dir, "continuous"), ...common], env);
      if (code !== 0) throw new Error(`the continuous run exited ${code}`);
      return { ms: performance.now() - started, passes: 1 };
    });
    const cron = await measure(scale, async (env) => {
      const started = performance.now();
      const argv = [
        "run",
        manifest,
        "--out",
        join(dir, "cron"),
        ...common,
        "--pass-time",
        String(scale.passSeconds),
      ];
      const everyMs = (scale.passSeconds + scale.gapSeconds) * 1000;
      for (let pass = 1; pass <= 1000; pass++) {
        const code = await cli(argv, env);
        if (code === 0) return { ms: performance.now() - started, passes: pass };
        if (code !== 3) throw new Error(`cron pass ${pass} exited ${code}`);
        // cron starts the next pass on its schedule, whenever this one ended.
        const next = started + pass * everyMs;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      }
      throw new Error("the cron loop did not finish the batch in 1000 passes");
    });
    return {
      scale,
      continuousMs: Math.round(continuous.ms),
      cronMs: Math.round(cron.ms),
      passes: cron.passes,
      ratio: Math.round((cron.ms / continuous.ms) * 1000) / 1000,
      tasks: { continuous: continuous.tasks, cron: cron.tasks },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Run one mode against its own simulator; how long it took and what it created. */
async function measure(
  scale: CronScale,
  work: (env: Record<string, string>) => Promise<{ ms: number; passes: number }>,
): Promise<{ ms: number; passes: number; tasks: number }> {
  const simulator = await startSimulator({ seed: 11, key: KEY, renderMs: scale.renderMs });
  try {
    const result = await work({ COMETAPI_KEY: KEY, COMETAPI_BASE_URL: simulator.url });
    return { ...result, tasks: simulator.stats().tasksCreated };
  } finally {
    await simulator.shutdown();
  }
}

/** `main(argv)` with the given environment, its output dropped. */
function cli(argv: string[], env: Record<string, string>): Promise<number> {
  return main(argv, { stdout: () => {}, stderr: () => {}, env: (name) => env[name] });
}

/**
 * The Markdown rows of the figures.
 *
 * @param figures What {@linkcode runCronBench} measured.
 * @returns The table.
 */
export function renderCronBench(figures: CronFigures): string[] {
  const s = figures.scale;
  return [
    "| jobs | concurrency | render | poll | pass / every | continuous | cron | passes | cron / continuous | target |",
    "|---:|---:|---|---:|---|---:|---:|---:|---:|---|",
    `| ${s.jobs} | ${s.concurrency} | ${s.renderMs.min / 1000}–${s.renderMs.max / 1000} s | ` +
    `${s.pollSeconds} s | ${s.passSeconds} s / ${s.passSeconds + s.gapSeconds} s | ` +
    `${(figures.continuousMs / 1000).toFixed(1)} s | ${(figures.cronMs / 1000).toFixed(1)} s | ` +
    `${figures.passes} | ${figures.ratio.toFixed(2)} | ≤ 1.2 |`,
  ];
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const figures = await runCronBench(quick ? CRON_QUICK : CRON_SCALE);
  const text = [...renderCronBench(figures), JSON.stringify(figures)].join("\n") + "\n";
  await Deno.stdout.write(new TextEncoder().encode(text));
}
