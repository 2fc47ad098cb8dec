/**
 * Benchmark: seedance-batch against a naive runner (bench/naive/naive.sh:
 * curl + jq + `xargs -P`) on the same batch and the same seeded fault mix.
 *
 * Each runner gets a fresh simulator with identical options (seed, render
 * times, faults). The faults are drawn per request from seeded streams, so
 * the two runners meet the same fault *rates*; which request meets which
 * fault depends on the requests each sends.
 *
 * What each got wrong is read from the simulator and the files: jobs whose
 * video is missing, videos whose bytes differ from what was served
 * (corrupted), duplicate submissions (more than one task created for a
 * job: paid twice) and tasks paid for whose video never arrived.
 *
 * @module
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { startSimulator } from "../src/simulator/server.ts";
import type { SimulatorFaults, SimulatorStats } from "../src/simulator/server.ts";
import { runChild } from "./measure.ts";
import { seconds } from "./format.ts";

/** The sizes of the batch. */
export interface NaiveSizes {
  jobs: number;
  concurrency: number;
  renderMs: { min: number; max: number };
  pollSeconds: number;
}

/** Full size: 200 jobs at 20 in flight, renders of 0.5-1.5 s, polls every 0.25 s. */
export const FULL_SIZES: NaiveSizes = {
  jobs: 200,
  concurrency: 20,
  renderMs: { min: 500, max: 1500 },
  pollSeconds: 0.25,
};

/** Quick mode. */
export const QUICK_SIZES: NaiveSizes = {
  jobs: 8,
  concurrency: 4,
  renderMs: { min: 50, max: 150 },
  pollSeconds: 0.05,
};

/** The fault mix both runners meet (per request probabilities, seeded). */
export const FAULTS: SimulatorFaults = {
  submitRateLimited: 0.05,
  submitServerError: 0.05,
  submitServerErrorStatuses: [500, 502, 524],
  submitAnswerLost: 0.02,
  pollServerError: 0.03,
  pollRateLimited: 0.02,
  downloadTruncated: 0.03,
  retryAfterSeconds: 1,
};

/** What one runner did with the batch. */
export interface NaiveRow {
  runner:
    | "seedance-batch"
    | "seedance-batch, then `run --resubmit-uncertain`"
    | "naive (curl + jq + xargs -P)";
  /** Why it was not run; empty when it was. */
  skipped: string;
  exitCode: number;
  /** Wall time of the whole process tree, start to exit, ms. */
  wallMs: number;
  /** CPU (user + system) of the whole process tree, ms. */
  cpuMs: number;
  requests: SimulatorStats["requests"];
  totalRequests: number;
  tasksCreated: number;
  /** Jobs with the right video. */
  correct: number;
  /** Jobs with no video file. */
  missing: number;
  /** Jobs whose file differs from every video served for it. */
  corrupted: number;
  /** Tasks created beyond one per job. */
  duplicates: number;
  /** Tasks created (paid) that gave no correct video. */
  paidWithoutVideo: number;
  /** Faults injected, by name. */
  faults: Record<string, number>;
  /** What the runner itself said was not done (its report, or its error lines). */
  reportedProblems: number;
  /** seedance-batch: report.json's totals (jobs per status); empty for the naive runner. */
  reportTotals: Record<string, number>;
}

/** Everything the benchmark measured. */
export interface NaiveResult {
  quick: boolean;
  sizes: NaiveSizes;
  faults: SimulatorFaults;
  rows: NaiveRow[];
}

const KEY = "sk-bench-naive";
const NAIVE_SCRIPT = new URL("./naive/naive.sh", import.meta.url).pathname;

/**
 * Run the benchmark.
 *
 * @param quick Tiny sizes.
 * @returns The figures.
 */
export async function runNaiveBench(quick: boolean): Promise<NaiveResult> {
  const sizes = quick ? QUICK_SIZES : FULL_SIZES;
  const dir = await Deno.makeTempDir({ prefix: "seedance-naive-bench-" });
  try {
    const manifest = join(dir, "batch.csv");
    await Deno.writeTextFile(manifest, batchCsv(sizes.jobs));
    const rows = [
      ...(await runSeedance(sizes, dir, manifest)),
      await runNaive(sizes, dir, manifest),
    ];
    return { quick, sizes, faults: FAULTS, rows };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function simulatorFor(sizes: NaiveSizes): ReturnType<typeof startSimulator> {
  return startSimulator({
    seed: 21,
    key: KEY,
    renderMs: sizes.renderMs,
    faults: FAULTS,
    urlTtlMs: 30 * 60_000,
  });
}

/**
 * seedance-batch on the batch, then (against the same simulator, so its
 * tasks still count) the recovery its report asks for: `run
 * --resubmit-uncertain` over the same output folder. The second row is
 * cumulative: both runs' requests, CPU and wall time, and every task either created.
 */
async function runSeedance(sizes: NaiveSizes, dir: string, source: string): Promise<NaiveRow[]> {
  const workDir = join(dir, "seedance");
  await Deno.mkdir(workDir);
  const manifest = join(workDir, "batch.csv");
  await Deno.copyFile(source, manifest);
  const outDir = join(workDir, "batch.out");
  const simulator = simulatorFor(sizes);
  const env = { COMETAPI_KEY: KEY, COMETAPI_BASE_URL: simulator.url };
  const flags = [
    "--concurrency",
    String(sizes.concurrency),
    "--poll-interval",
    String(sizes.pollSeconds),
  ];
  const rows: NaiveRow[] = [];
  try {
    let wallMs = 0;
    let cpuMs = 0;
    for (
      const runner of ["seedance-batch", "seedance-batch, then `run --resubmit-uncertain`"] as const
    ) {
      const extra = rows.length === 0 ? [] : ["--resubmit-uncertain"];
      const child = await runChild(["cli", "run", manifest, ...flags, ...extra], env);
      wallMs += child.wallMs;
      cpuMs += child.processCpuUs / 1000;
      const stats = simulator.stats();
      const report = JSON.parse(await Deno.readTextFile(join(outDir, "report.json")));
      const totals = report.totals as Record<string, number>;
      rows.push({
        runner,
        skipped: "",
        exitCode: child.code ?? -1,
        wallMs,
        cpuMs,
        reportedProblems: totals.jobs - (totals.done ?? 0),
        reportTotals: totals,
        ...(await judge(sizes, stats, (id) => join(outDir, "videos", `${id}.mp4`))),
      });
    }
  } finally {
    await simulator.shutdown();
  }
  return rows;
}

async function runNaive(sizes: NaiveSizes, dir: string, manifest: string): Promise<NaiveRow> {
  const missingTool = await missingProgram(["bash", "curl", "jq", "xargs"]);
  if (missingTool !== "") return skippedRow(missingTool);
  const outDir = join(dir, "naive-videos");
  const simulator = simulatorFor(sizes);
  let stats: SimulatorStats;
  let output: Deno.CommandOutput;
  const started = performance.now();
  try {
    // `times` prints the CPU of the shell and, on its second line, of every
    // child it waited for (xargs, and through it every bash, curl, jq, sleep).
    output = await new Deno.Command("bash", {
      args: [
        "-c",
        '"$0" "$@"; code=$?; times; exit $code',
        NAIVE_SCRIPT,
        manifest,
        outDir,
        simulator.url,
        String(sizes.concurrency),
        String(sizes.pollSeconds),
      ],
      env: { COMETAPI_KEY: KEY },
      stdout: "piped",
      stderr: "piped",
    }).output();
    stats = simulator.stats();
  } finally {
    await simulator.shutdown();
  }
  const wallMs = performance.now() - started;
  const stdout = new TextDecoder().decode(output.stdout).trim().split("\n");
  const stderr = new TextDecoder().decode(output.stderr).trim();
  const cpuMs = parseTimes(stdout.slice(-2));
  return {
    runner: "naive (curl + jq + xargs -P)",
    skipped: "",
    exitCode: output.code,
    wallMs,
    cpuMs,
    reportedProblems: stderr.split("\n").filter((l) => /^clip-\d+: /.test(l)).length,
    reportTotals: {},
    ...(await judge(sizes, stats, (id) => join(outDir, `${id}.mp4`))),
  };
}

/** The CPU in bash's `times` output (two lines: the shell, then its children), in ms. */
function parseTimes(lines: string[]): number {
  let ms = 0;
  for (const match of lines.join(" ").matchAll(/(\d+)m([\d.]+)s/g)) {
    ms += (Number(match[1]) * 60 + Number(match[2])) * 1000;
  }
  return ms;
}

/** Compare what the service served with the files each job ended with. */
async function judge(
  sizes: NaiveSizes,
  stats: SimulatorStats,
  videoOf: (id: string) => string,
): Promise<
  Pick<
    NaiveRow,
    | "requests"
    | "totalRequests"
    | "tasksCreated"
    | "correct"
    | "missing"
    | "corrupted"
    | "duplicates"
    | "paidWithoutVideo"
    | "faults"
  >
> {
  const tasksOfPrompt = new Map<string, Set<string>>();
  for (const s of stats.submissions) {
    if (s.taskId === null || s.prompt === null) continue;
    tasksOfPrompt.set(s.prompt, (tasksOfPrompt.get(s.prompt) ?? new Set()).add(s.taskId));
  }
  let correct = 0, missing = 0, corrupted = 0, duplicates = 0;
  for (let i = 0; i < sizes.jobs; i++) {
    const tasks = tasksOfPrompt.get(prompt(i)) ?? new Set<string>();
    duplicates += Math.max(0, tasks.size - 1);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(videoOf(jobId(i)));
    } catch {
      missing++;
      continue;
    }
    const sha = createHash("sha256").update(bytes).digest("hex");
    if ([...tasks].some((task) => stats.servedSha256[task] === sha)) correct++;
    else corrupted++;
  }
  const { submit, poll, download, other } = stats.requests;
  return {
    requests: stats.requests,
    totalRequests: submit + poll + download + other,
    tasksCreated: stats.tasksCreated,
    correct,
    missing,
    corrupted,
    duplicates,
    paidWithoutVideo: stats.tasksCreated - correct,
    faults: stats.faults,
  };
}

function skippedRow(reason: string): NaiveRow {
  return {
    runner: "naive (curl + jq + xargs -P)",
    skipped: reason,
    exitCode: -1,
    wallMs: NaN,
    cpuMs: NaN,
    requests: { submit: 0, poll: 0, download: 0, other: 0 },
    totalRequests: 0,
    tasksCreated: 0,
    correct: 0,
    missing: 0,
    corrupted: 0,
    duplicates: 0,
    paidWithoutVideo: 0,
    faults: {},
    reportedProblems: 0,
    reportTotals: {},
  };
}

/** "" when every program runs, else why the first one does not. */
async function missingProgram(names: string[]): Promise<string> {
  for (const name of names) {
    try {
      const out = await new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (!out.success) return `${name} --version exited ${out.code}`;
    } catch (error) {
      return error instanceof Deno.errors.NotFound
        ? `${name} is not installed (not on PATH)`
        : `${name} cannot be started (${error})`;
    }
  }
  return "";
}

function jobId(i: number): string {
  return `clip-${String(i).padStart(4, "0")}`;
}

function prompt(i: number): string {
  return `Scene ${i} a paper lantern drifting over a still lake at dusk`;
}

/** A manifest both runners read: no commas or quotes inside fields. */
function batchCsv(jobs: number): string {
  const models = ["doubao-seedance-1-0-pro", "doubao-seedance-1-5-pro"];
  const lines = ["id,prompt,model,seconds,size,resolution"];
  for (let i = 0; i < jobs; i++) {
    lines.push(`${jobId(i)},${prompt(i)},${models[i % 2]},${4 + (i % 6)},16:9,720p`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The Markdown of the section.
 *
 * @param result What {@linkcode runNaiveBench} measured.
 * @returns Markdown lines.
 */
export function renderNaiveBench(result: NaiveResult): string[] {
  const { sizes } = result;
  const lines = [
    `${sizes.jobs} jobs, ${sizes.concurrency} in flight (\`--concurrency\` / \`xargs -P\`), polls ` +
    `every ${sizes.pollSeconds} s, renders of ${sizes.renderMs.min}-${sizes.renderMs.max} ms, ` +
    `seed 21. Faults (per request): \`${JSON.stringify(result.faults)}\`. Wall time and CPU ` +
    "cover the whole process tree (Deno's start-up; every bash, curl, jq and sleep of the naive " +
    "runner, from bash's `times`). seedance-batch's CPU is its process's getrusage. " +
    "seedance-batch does not resubmit a job whose submit may have created a task (a lost " +
    "answer, a 5xx): it reports it as uncertain and exits 1; its second row is the recovery " +
    "the report asks for, `run --resubmit-uncertain` on the same folder against the same " +
    "simulator (cumulative figures). Ratios are against seedance-batch's first row.",
    "",
    "| runner | wall time | CPU | requests (submit / poll / download) | tasks created (paid) | right videos | missing | corrupted | duplicate submissions | paid without a video | problems it reported | exit |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const base = result.rows.find((r) => r.runner === "seedance-batch");
  for (const r of result.rows) {
    if (r.skipped !== "") {
      lines.push(`| ${r.runner} | not run: ${r.skipped} | | | | | | | | | | |`);
      continue;
    }
    const vs = (value: number, of: number | undefined): string =>
      r === base || of === undefined ? "" : ` (${(value / of).toFixed(2)}x)`;
    lines.push(
      `| ${r.runner} | ${seconds(r.wallMs)}${vs(r.wallMs, base?.wallMs)} | ${seconds(r.cpuMs)}${
        vs(r.cpuMs, base?.cpuMs)
      } | ${r.totalRequests} (${r.requests.submit} / ${r.requests.poll} / ${r.requests.download})${
        vs(r.totalRequests, base?.totalRequests)
      } | ${r.tasksCreated} | ${r.correct} | ${r.missing} | ${r.corrupted} | ${r.duplicates} | ${r.paidWithoutVideo} | ${r.reportedProblems} | ${r.exitCode} |`,
    );
  }
  lines.push("", "Faults each runner met (cumulative for the recovery row):", "");
  for (const r of result.rows.filter((r) => r.skipped === "")) {
    const faults = Object.entries(r.faults).map(([k, n]) => `${k} ${n}`).join(", ");
    const totals = Object.entries(r.reportTotals).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push(`- ${r.runner}: ${faults || "none"}${totals ? `; its report: ${totals}` : ""}`);
  }
  return lines;
}
