/**
 * Benchmark: how close the runner comes to the physical limit.
 *
 * One batch, run by the real CLI (`main(["run", ...])`) in a child process
 * (bench/child.ts) against a simulator in this process, with fixed polling
 * (`--polling fixed`) and adaptive polling (`--polling adaptive`, the
 * default) in the same run of the benchmark:
 *
 * - renders of a fixed time T, progress reported linearly: makespan against
 *   the ideal `ceil(N/C)·T`;
 * - renders spread over a range, progress reported linearly, coarsely and
 *   not at all: makespan against the ideal list schedule of the very render
 *   times the simulator drew (jobs in manifest order, each started on the
 *   slot that frees first, no detection lag), GETs per task and detection
 *   lag (from a task becoming terminal at the simulator to the first GET that
 *   saw it terminal), in poll intervals.
 *
 * Every run also gives the runner's CPU time per job (user + system of the
 * child while `main` runs; the videos are a few KB, so downloaded bytes do
 * not weigh). When that is above 1 ms per job, the linear run is repeated
 * under `--cpu-prof` and the profile summarised.
 *
 * @module
 */
import { join } from "node:path";
import { startSimulator } from "../src/simulator/server.ts";
import type { ProgressMode, SimulatorStats, TaskTimeline } from "../src/simulator/server.ts";
import { listScheduleMs, mean, percentile, runChild, times } from "./measure.ts";
import { kbToMb, seconds } from "./format.ts";
import { type ProfileSummary, summariseProfile } from "./profile.ts";
import type { PollingMode } from "../src/runner/policy/poll.ts";
import { type Floor, floorPerJobMs, measureFloor } from "./floor.ts";
import { breakDownMakespan, type MakespanBreakdown, type TimelineTask } from "./timeline.ts";

/** The sizes of one run of the benchmark. */
export interface PhysicalSizes {
  /** Jobs in the batch (N). */
  jobs: number;
  /** `--concurrency` (C). */
  concurrency: number;
  /** The fixed render time (T), ms. */
  fixedMs: number;
  /** The spread of render times, ms. */
  spreadMs: { min: number; max: number };
  /** `--poll-interval`, seconds. */
  pollSeconds: number;
}

/**
 * Full size: N = 1,000 at C = 50. Time is scaled down 60 times from the
 * documented cadence: renders of 1 s (or 0.5-1.5 s) stand for 1 minute
 * (30-90 s), polls every 0.25 s for every 15 s.
 */
export const FULL_SIZES: PhysicalSizes = {
  jobs: 1000,
  concurrency: 50,
  fixedMs: 1000,
  spreadMs: { min: 500, max: 1500 },
  pollSeconds: 0.25,
};

/** Quick mode: a tiny batch, to show the benchmark still produces its figures. */
export const QUICK_SIZES: PhysicalSizes = {
  jobs: 24,
  concurrency: 6,
  fixedMs: 150,
  spreadMs: { min: 75, max: 225 },
  pollSeconds: 0.04,
};

/** CPU per job above which the runner is profiled (the target). */
export const CPU_TARGET_MS = 1;

/** One run of the batch. */
export interface PhysicalRun {
  renders: "fixed" | "spread";
  progress: ProgressMode;
  /** `run --polling`. */
  polling: PollingMode;
  exitCode: number;
  tasks: number;
  /** First task created to the last video requested, ms. */
  makespanMs: number;
  /** First task created to the last terminal task seen by a GET, ms. */
  lastSeenMs: number;
  /** The ideal makespan of the same render times, ms. */
  idealMs: number;
  /** How the ideal was computed. */
  ideal: "ceil(N/C)*T" | "list schedule of the drawn render times";
  getsPerTask: number;
  lagMeanMs: number;
  lagP95Ms: number;
  lagMeanIntervals: number;
  lagP95Intervals: number;
  /** The longest wait between two GETs of one task (or from creation to its first), in intervals. */
  maxPollGapIntervals: number;
  /** HTTP requests the simulator received per job (submits, polls, downloads, others). */
  requestsPerJob: number;
  /** CPU (user + system) of `main` per job, ms. */
  cpuPerJobMs: number;
  userPerJobMs: number;
  systemPerJobMs: number;
  /** CPU of the whole child process (start-up included), ms. */
  processCpuMs: number;
  /** Wall time of `main`, ms. */
  runMs: number;
  peakKb: number;
  /** Where the makespan goes (bench/timeline.ts). */
  breakdown: MakespanBreakdown;
}

/** The oracle client's run (bench/child.ts `oracle`): fixed renders, same simulator set-up. */
export interface OracleRun {
  /** First task created to the last video requested, ms. */
  makespanMs: number;
  /** `ceil(N/C)·T`, ms. */
  idealMs: number;
  getsPerTask: number;
  breakdown: MakespanBreakdown;
}

/** Everything the benchmark measured. */
export interface PhysicalResult {
  quick: boolean;
  sizes: PhysicalSizes;
  runs: PhysicalRun[];
  /** The oracle client on the fixed renders, in the same run. */
  oracle: OracleRun;
  /** The profile of the linear run, when CPU per job was above the target (always in quick mode). */
  profile: ProfileSummary | null;
  /** Why there is no profile, when there is none. */
  profileNote: string;
  /** The bare operations' CPU, measured in the same run (bench/floor.ts). */
  floor?: Floor;
}

const KEY = "sk-bench-physical";

/**
 * Run the benchmark.
 *
 * @param quick Tiny sizes (figures only, no timing meaning).
 * @returns The figures.
 */
export async function runPhysicalBench(quick: boolean): Promise<PhysicalResult> {
  const sizes = quick ? QUICK_SIZES : FULL_SIZES;
  const dir = await Deno.makeTempDir({ prefix: "seedance-physical-bench-" });
  try {
    const manifest = join(dir, "batch.csv");
    await Deno.writeTextFile(manifest, batchCsv(sizes.jobs));
    const runs: PhysicalRun[] = [];
    const profDir = join(dir, "profile");
    const profileFlags = ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
    const plan: Array<["fixed" | "spread", ProgressMode, PollingMode]> = [
      ["fixed", "linear", "fixed"],
      ["fixed", "linear", "adaptive"],
      ["spread", "linear", "fixed"],
      ["spread", "coarse", "fixed"],
      ["spread", "none", "fixed"],
      ["spread", "linear", "adaptive"],
      ["spread", "coarse", "adaptive"],
      ["spread", "none", "adaptive"],
    ];
    for (const [index, [renders, progress, polling]] of plan.entries()) {
      // Quick mode profiles the adaptive linear run itself (one child fewer); a full
      // run profiles a run of its own, so profiling does not weigh on the figures.
      const flags = quick && index === 5 ? profileFlags : [];
      runs.push(
        await runOnce(
          sizes,
          join(dir, `run-${index}`),
          manifest,
          renders,
          progress,
          polling,
          flags,
        ),
      );
    }
    const oracle = await runOracle(sizes, join(dir, "oracle"));
    const linear = runs[5];
    let profile: ProfileSummary | null = null;
    let profileNote = "";
    if (quick || linear.cpuPerJobMs > CPU_TARGET_MS) {
      if (!quick) {
        await runOnce(
          sizes,
          join(dir, "run-profile"),
          manifest,
          "spread",
          "linear",
          "adaptive",
          profileFlags,
        );
      }
      const files = [...Deno.readDirSync(profDir)].filter((f) => f.name.endsWith(".cpuprofile"));
      if (files.length === 0) profileNote = "`--cpu-prof` wrote no profile";
      else profile = summariseProfile(await Deno.readTextFile(join(profDir, files[0].name)));
    } else {
      profileNote = `CPU per job (${
        linear.cpuPerJobMs.toFixed(2)
      } ms) is within the ${CPU_TARGET_MS} ms target: not profiled`;
    }
    const floor = await measureFloor(dir, quick);
    return { quick, sizes, runs, oracle, profile, profileNote, floor };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * One run of the batch by the CLI against a fresh simulator.
 *
 * @returns Its figures.
 */
export async function runOnce(
  sizes: PhysicalSizes,
  workDir: string,
  manifestSource: string,
  renders: "fixed" | "spread",
  progress: ProgressMode,
  polling: PollingMode,
  denoFlags: string[] = [],
): Promise<PhysicalRun> {
  await Deno.mkdir(workDir, { recursive: true });
  const manifest = join(workDir, "batch.csv");
  await Deno.copyFile(manifestSource, manifest);
  const simulator = startSimulator({
    seed: 13,
    key: KEY,
    renderMs: renders === "fixed" ? sizes.fixedMs : sizes.spreadMs,
    progress,
    recordTimeline: true,
    urlTtlMs: 30 * 60_000,
  });
  let stats: SimulatorStats;
  let child;
  try {
    child = await runChild(
      [
        "cli",
        "run",
        manifest,
        "--concurrency",
        String(sizes.concurrency),
        "--poll-interval",
        String(sizes.pollSeconds),
        "--polling",
        polling,
      ],
      { COMETAPI_KEY: KEY, COMETAPI_BASE_URL: simulator.url },
      denoFlags,
    );
    stats = simulator.stats();
  } finally {
    await simulator.shutdown();
  }
  const name = `${renders}/${progress}/${polling}`;
  if (child.code !== 0) throw new Error(`The ${name} run exited ${child.code}`);
  const timelines = Object.values(stats.timeline);
  if (timelines.length !== sizes.jobs) {
    throw new Error(`The ${name} run created ${timelines.length} tasks`);
  }
  const start = Math.min(...timelines.map((t) => t.createdAt));
  const end = Math.max(...timelines.map((t) => t.downloadAt ?? NaN));
  const lastSeen = Math.max(...timelines.map((t) => t.terminalSeenAt ?? NaN));
  const lags = timelines.map((t) => (t.terminalSeenAt ?? NaN) - t.terminalAt);
  const intervalMs = sizes.pollSeconds * 1000;
  // Render times in manifest order: the job of each task is known by its prompt.
  const jobOfPrompt = new Map<string, number>();
  for (let i = 0; i < sizes.jobs; i++) jobOfPrompt.set(prompt(i), i);
  const renderOfJob = new Array<number>(sizes.jobs).fill(NaN);
  for (const submission of stats.submissions) {
    if (submission.taskId === null || submission.prompt === null) continue;
    const job = jobOfPrompt.get(submission.prompt);
    const timeline = stats.timeline[submission.taskId];
    if (job !== undefined && timeline !== undefined) renderOfJob[job] = timeline.renderMs;
  }
  const idealMs = renders === "fixed"
    ? Math.ceil(sizes.jobs / sizes.concurrency) * sizes.fixedMs
    : listScheduleMs(renderOfJob, sizes.concurrency);
  return {
    renders,
    progress,
    polling,
    exitCode: child.code,
    tasks: timelines.length,
    makespanMs: end - start,
    lastSeenMs: lastSeen - start,
    idealMs,
    ideal: renders === "fixed" ? "ceil(N/C)*T" : "list schedule of the drawn render times",
    getsPerTask: mean(timelines.map((t) => t.polls)),
    lagMeanMs: mean(lags),
    lagP95Ms: percentile(lags, 95),
    lagMeanIntervals: mean(lags) / intervalMs,
    lagP95Intervals: percentile(lags, 95) / intervalMs,
    maxPollGapIntervals: Math.max(...timelines.map((t) => t.maxPollGapMs)) / intervalMs,
    requestsPerJob: Object.values(stats.requests).reduce((sum, n) => sum + n, 0) / sizes.jobs,
    cpuPerJobMs: child.cpuUs / 1000 / sizes.jobs,
    userPerJobMs: child.userUs / 1000 / sizes.jobs,
    systemPerJobMs: child.systemUs / 1000 / sizes.jobs,
    processCpuMs: child.processCpuUs / 1000,
    runMs: child.ms,
    peakKb: child.peakKb,
    breakdown: breakDownMakespan(timelineTasks(timelines), sizes.concurrency),
  };
}

/** The simulator's timelines as bench/timeline.ts takes them (a task never seen: NaN). */
function timelineTasks(timelines: readonly TaskTimeline[]): TimelineTask[] {
  return timelines.map((t) => ({
    createdAt: t.createdAt,
    terminalAt: t.terminalAt,
    terminalSeenAt: t.terminalSeenAt ?? NaN,
    downloadAt: t.downloadAt ?? NaN,
  }));
}

/**
 * The oracle client (bench/child.ts `oracle`) on the fixed renders: what the
 * machine, the simulator and the HTTP stack cost without polling or journal.
 *
 * @param sizes The sizes.
 * @param workDir Where it writes the videos.
 * @returns Its makespan and breakdown.
 */
export async function runOracle(sizes: PhysicalSizes, workDir: string): Promise<OracleRun> {
  await Deno.mkdir(workDir, { recursive: true });
  const simulator = startSimulator({
    seed: 13,
    key: KEY,
    renderMs: sizes.fixedMs,
    progress: "linear",
    recordTimeline: true,
    urlTtlMs: 30 * 60_000,
  });
  let stats: SimulatorStats;
  try {
    await runChild(
      [
        "oracle",
        simulator.url,
        String(sizes.jobs),
        String(sizes.concurrency),
        String(sizes.fixedMs),
        workDir,
      ],
      { COMETAPI_KEY: KEY },
    );
    stats = simulator.stats();
  } finally {
    await simulator.shutdown();
  }
  const timelines = Object.values(stats.timeline);
  if (timelines.length !== sizes.jobs) {
    throw new Error(`The oracle run created ${timelines.length} tasks`);
  }
  const breakdown = breakDownMakespan(timelineTasks(timelines), sizes.concurrency);
  return {
    makespanMs: breakdown.makespanMs,
    idealMs: Math.ceil(sizes.jobs / sizes.concurrency) * sizes.fixedMs,
    getsPerTask: mean(timelines.map((t) => t.polls)),
    breakdown,
  };
}

/**
 * The Markdown of the section: the makespan table, the polling table, the
 * CPU table and the profile.
 *
 * @param result What {@linkcode runPhysicalBench} measured.
 * @returns Markdown lines.
 */
export function renderPhysicalBench(result: PhysicalResult): string[] {
  const { sizes, runs } = result;
  const interval = `${sizes.pollSeconds} s`;
  const lines = [
    `N = ${sizes.jobs.toLocaleString("en")}, C = ${sizes.concurrency}, ` +
    `\`--poll-interval ${sizes.pollSeconds}\`; fixed renders of ${sizes.fixedMs} ms, spread ` +
    `renders drawn uniformly from ${sizes.spreadMs.min}-${sizes.spreadMs.max} ms (seed 13, so ` +
    "every spread run draws the same times in creation order).",
    "",
    "### Makespan against the ideal",
    "",
    "| renders | progress | polling | ideal | ideal makespan | makespan (first create to last download) | to last terminal seen | makespan / ideal |",
    "|---|---|---|---|---:|---:|---:|---:|",
  ];
  for (const r of runs.filter((r) => r.progress === "linear")) {
    lines.push(
      `| ${r.renders} | ${r.progress} | ${r.polling} | ${r.ideal} | ${seconds(r.idealMs)} | ${
        seconds(r.makespanMs)
      } | ${seconds(r.lastSeenMs)} | ${times(r.makespanMs, r.idealMs)} |`,
    );
  }
  lines.push(...breakdownLines(result));
  lines.push(
    "",
    `### GETs per task and detection lag (spread renders; lag in poll intervals of ${interval})`,
    "",
    "Lag: from the task becoming terminal at the simulator to the first GET that saw it terminal. " +
      "The ideal is 1 GET per task and no lag. Fixed polling: `--polling fixed`; adaptive: " +
      "`--polling adaptive` (the default), measured in the same run. The longest wait between " +
      "GETs (any task, from its creation on, in intervals) includes, for adaptive polling, the " +
      "wait from a task's creation to its first poll (up to the shortest render seen for its " +
      "kind plus an interval), which its guarantee allows (at least every interval once a task " +
      "is older than that shortest render).",
    "",
    "| polling | progress | GETs per task | GETs vs ideal (1) | mean lag | p95 lag | mean lag (ms) | p95 lag (ms) | longest wait between GETs | makespan / ideal |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of runs.filter((r) => r.renders === "spread")) {
    lines.push(
      `| ${r.polling} | ${r.progress} | ${r.getsPerTask.toFixed(2)} | ${
        times(r.getsPerTask, 1)
      } | ${r.lagMeanIntervals.toFixed(2)} | ${r.lagP95Intervals.toFixed(2)} | ${
        r.lagMeanMs.toFixed(0)
      } | ${r.lagP95Ms.toFixed(0)} | ${r.maxPollGapIntervals.toFixed(2)} | ${
        times(r.makespanMs, r.idealMs)
      } |`,
    );
  }
  lines.push(...adaptiveRatios(runs));
  lines.push(
    "",
    "### CPU time of the runner per job",
    "",
    'User + system CPU of the child process while `main(["run", ...])` runs (validate, submit, ' +
      "poll, download, journal, reports), read with `process.cpuUsage()` (getrusage, all " +
      "threads) before and after; Deno's start-up and module loading are in the whole-process " +
      `column only. Videos are ~5 KB each, so downloaded bytes do not weigh. Target: ${CPU_TARGET_MS} ms per job.`,
    "",
    "| renders | progress | polling | CPU per job | user | system | CPU per job vs target | whole process CPU | run wall time | peak RSS |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of runs) {
    lines.push(
      `| ${r.renders} | ${r.progress} | ${r.polling} | ${r.cpuPerJobMs.toFixed(2)} ms | ${
        r.userPerJobMs.toFixed(2)
      } ms | ${r.systemPerJobMs.toFixed(2)} ms | ${times(r.cpuPerJobMs, CPU_TARGET_MS)} | ${
        seconds(r.processCpuMs)
      } | ${seconds(r.runMs)} | ${kbToMb(r.peakKb)} |`,
    );
  }
  lines.push(...floorLines(result));
  lines.push("");
  if (result.profile === null) lines.push(`Profile: ${result.profileNote}.`);
  else {
    const p = result.profile;
    lines.push(
      `### Where the CPU goes (\`deno run --cpu-prof\`, spread renders, linear progress, adaptive polling)`,
      "",
      `${
        seconds(p.totalMs)
      } of samples (idle excluded; the whole child process, start-up included). Self time by function:`,
      "",
      "| function | where | self time | share |",
      "|---|---|---:|---:|",
      ...p.functions.map((f) =>
        `| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} ms | ${(f.share * 100).toFixed(1)}% |`
      ),
      "",
      "Self time by source:",
      "",
      "| source | self time | share |",
      "|---|---:|---:|",
      ...p.sources.map((s) =>
        `| ${s.source} | ${s.ms.toFixed(0)} ms | ${(s.share * 100).toFixed(1)}% |`
      ),
      "",
      "The project's functions by inclusive time (the function anywhere on the stack: what it " +
        "costs with everything it calls; nested functions overlap; an async function counts only the stretches between its awaits, when it is on the stack):",
      "",
      "| function | where | inclusive time | share |",
      "|---|---|---:|---:|",
      ...p.projectInclusive.map((f) =>
        `| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} ms | ${(f.share * 100).toFixed(1)}% |`
      ),
    );
  }
  return lines;
}

/** The floor table: the bare operations, and each run against the floor of its requests. */
function floorLines(result: PhysicalResult): string[] {
  const { floor, runs } = result;
  if (floor === undefined) return [];
  const us = (value: number): string => `${value.toFixed(0)} µs`;
  const lines = [
    "",
    "#### The floor: bare operations measured in the same run (bench/floor.ts)",
    "",
    "What the operations a job cannot do without cost on this machine, each timed in a child " +
    "process of its own (CPU user + system per operation, all threads): a bare `fetch` GET of " +
    "a task's JSON from the same simulator (50 in flight), a bare video file (create, write " +
    "5 KB, `fdatasync`, close, rename; 3 at once) and a bare journal line appended and " +
    "`fdatasync`ed. The floor of a job is its requests × the bare request + one bare file; the " +
    "journal's fsyncs (about one per job under group commit at this rate) come on top.",
    "",
    "| bare `fetch` GET | bare file (5 KB, fdatasync, rename) | bare journal append + fdatasync |",
    "|---:|---:|---:|",
    `| ${us(floor.requestUs)} | ${us(floor.fileUs)} | ${us(floor.journalUs)} |`,
    "",
    "| renders | progress | polling | requests per job | floor per job (requests × fetch + file) | floor + one journal fsync | CPU per job | CPU / floor | CPU / (floor + journal fsync) |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of runs) {
    const bare = floorPerJobMs(floor, r.requestsPerJob);
    const withJournal = bare + floor.journalUs / 1000;
    lines.push(
      `| ${r.renders} | ${r.progress} | ${r.polling} | ${r.requestsPerJob.toFixed(2)} | ${
        bare.toFixed(2)
      } ms | ${withJournal.toFixed(2)} ms | ${r.cpuPerJobMs.toFixed(2)} ms | ${
        times(r.cpuPerJobMs, bare)
      } | ${times(r.cpuPerJobMs, withJournal)} |`,
    );
  }
  return lines;
}

/** Where the makespan goes: the oracle and the linear-progress runs, cut along the critical slot. */
function breakdownLines(result: PhysicalResult): string[] {
  const { oracle } = result;
  const ms = (value: number): string => `${value.toFixed(0)} ms`;
  const row = (name: string, idealMs: number, gets: number, b: MakespanBreakdown): string => {
    const c = b.critical;
    return `| ${name} | ${seconds(b.makespanMs)} | ${times(b.makespanMs, idealMs)} | ${
      name.startsWith("oracle")
        ? "1.00x"
        : name.startsWith("fixed")
        ? times(b.makespanMs, oracle.makespanMs)
        : "(other renders)"
    } | ${ms(c.rampMs)} | ${seconds(c.renderMs)} (${c.tasks}) | ${ms(c.lagMs)} | ${
      ms(c.handoffMs)
    } | ${ms(c.tailMs)} | ${gets.toFixed(2)} | ${ms(b.lagMeanMs)} / ${ms(b.lagP95Ms)} | ${
      ms(b.handoffMeanMs)
    } / ${ms(b.handoffP95Ms)} |`;
  };
  const lines = [
    "",
    "### Where the makespan goes",
    "",
    "From the simulator's per-task timeline (bench/timeline.ts): each task is put back on its " +
    "slot (the i-th task created after the first C took the slot of the i-th task seen " +
    "terminal), and the makespan is cut along the slot whose last task was seen terminal last: " +
    "the ramp (its first POST after the run's first), its renders (tasks), the detection lag " +
    "(render end to the GET that saw it), the hand-off (that GET to the slot's next task " +
    "created: the runner's turn-around) and the tail (to the last video requested); they add " +
    "up to the makespan. The oracle (bench/child.ts `oracle`, fixed renders, in the same run) " +
    "is the client a runner cannot beat on this machine: it knows each render takes T, so it " +
    "GETs each task once, one render after the POST's answer, POSTs the next job at once, with " +
    "no journal and no polling; what separates it from the ideal is the machine's (the " +
    "simulator and the client sharing a loaded 2-core machine, HTTP round trips, timers that " +
    "fire late), what separates the runner from it is the runner's.",
    "",
    "| client | makespan | / ideal | / oracle | ramp | renders (tasks) | lag | hand-off | tail | GETs per task | lag mean / p95 (all tasks) | hand-off mean / p95 (all) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("oracle (fixed renders)", oracle.idealMs, oracle.getsPerTask, oracle.breakdown),
  ];
  for (const r of result.runs.filter((r) => r.progress === "linear")) {
    lines.push(
      row(`${r.renders} renders, ${r.polling} polling`, r.idealMs, r.getsPerTask, r.breakdown),
    );
  }
  return lines;
}

/** Adaptive against fixed, per progress mode: the ratios of the same run. */
function adaptiveRatios(runs: PhysicalRun[]): string[] {
  const lines = [
    "",
    "Adaptive against fixed polling (same run, spread renders):",
    "",
    "| progress | GETs per task, adaptive / fixed | mean lag, adaptive / fixed | p95 lag, adaptive / fixed | makespan, adaptive / fixed |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const progress of ["linear", "coarse", "none"] as const) {
    const of = (polling: PollingMode): PhysicalRun | undefined =>
      runs.find((r) => r.renders === "spread" && r.progress === progress && r.polling === polling);
    const fixed = of("fixed");
    const adaptive = of("adaptive");
    if (fixed === undefined || adaptive === undefined) continue;
    lines.push(
      `| ${progress} | ${times(adaptive.getsPerTask, fixed.getsPerTask)} | ${
        times(adaptive.lagMeanMs, fixed.lagMeanMs)
      } | ${times(adaptive.lagP95Ms, fixed.lagP95Ms)} | ${
        times(adaptive.makespanMs, fixed.makespanMs)
      } |`,
    );
  }
  return lines;
}

function prompt(i: number): string {
  return `Scene ${i}: a paper lantern drifting over a still lake at dusk, slow pan`;
}

/** A CSV manifest of `jobs` 1.x jobs, prompts unique. */
function batchCsv(jobs: number): string {
  const models = ["doubao-seedance-1-0-pro", "doubao-seedance-1-5-pro"];
  const lines = ["id,prompt,model,seconds,size,resolution"];
  for (let i = 0; i < jobs; i++) {
    lines.push(
      `clip-${String(i).padStart(5, "0")},"${prompt(i)}",${models[i % 2]},${4 + (i % 6)},16:9,720p`,
    );
  }
  return lines.join("\n") + "\n";
}
