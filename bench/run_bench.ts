/**
 * Benchmark: the runner against the in-process simulator.
 *
 * 1. A generated 1,000-job manifest (1.x models, no images) run through the
 *    real CLI (`main(["run", ...])`) in a child process: wall time, jobs per
 *    second, peak RSS, journal lines.
 * 2. The same batch through `executeRun` twice, each in its own child: once
 *    with the real group-commit journal (`openJournal`, counting
 *    `writer.fsyncs`), once with a baseline journal that fsyncs every event
 *    on its own, so the ratio shows what group commit buys.
 * 3. A resume over the completed output folder (nothing to do, exit 0), and
 *    the same over a synthetic journal of 100,000 done jobs, against the bare
 *    cost of reading the journal (`JSON.parse` per line) and of validating
 *    the manifest.
 *
 * The simulator runs in this (the parent) process; every measured run is a
 * child, so its peak RSS (VmHWM) is its own. Run through `deno task bench`
 * (bench/run.ts), or directly (`deno run -A bench/run_bench.ts`) to print
 * only this section. Run with `child <mode> ...` it is a child: it does one
 * measured thing and prints its figures as one JSON line.
 *
 * @module
 */
import { join } from "node:path";
import { main } from "../src/cli/main.ts";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { journalPath } from "../src/manifest/paths.ts";
import { encodeEvent } from "../src/journal/codec.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { benchRunStarted, doneJobEvents } from "./done_journal.ts";
import { readJournalStates } from "../src/journal/replay.ts";
import { openJournal } from "../src/journal/writer.ts";
import { planRun } from "../src/plan.ts";
import { CometClient } from "../src/api/client.ts";
import { type EventJournal, executeRun } from "../src/runner/executor.ts";
import { startSimulator } from "../src/simulator/server.ts";
import { kbToMb, mb, seconds } from "./format.ts";

/** Jobs in the batch that is run (items 1 and 2). */
export const RUN_JOBS = 1_000;

/** Done jobs in the synthetic journal replayed by the second resume (item 3). */
export const RESUME_JOBS = 100_000;

/** Tasks in flight at once, as `--concurrency`. */
export const CONCURRENCY = 50;

/** Seconds between polls of one task, as `--poll-interval`. */
export const POLL_INTERVAL_SECONDS = 0.01;

/** The simulator's render time of each task, in milliseconds. */
export const RENDER_MS = { min: 2, max: 8 } as const;

/** Rounds of each executor run (alternating journals); the fastest of each counts. */
export const EXECUTOR_ROUNDS = 2;

/** The bearer key of the bench; the simulator accepts only this one. */
const BENCH_KEY = "sk-bench-run";

const MODELS = ["doubao-seedance-1-0-pro", "doubao-seedance-1-5-pro"];

/** The `run` arguments of every CLI child, after the manifest. */
const RUN_FLAGS = [
  "--poll-interval",
  String(POLL_INTERVAL_SECONDS),
  "--concurrency",
  String(CONCURRENCY),
];

/** What every child measures. */
export interface ChildMeasure {
  /** Wall time of the child process, start to exit, in milliseconds. */
  wallMs: number;
  /** Time of the measured work inside the child (without Deno's start-up), in milliseconds. */
  ms: number;
  /** Peak resident memory of the child (VmHWM), in KiB. */
  peakKb: number;
}

/** A CLI child: `main(argv)` in a child process. */
export interface CliMeasure extends ChildMeasure {
  /** The exit code `main` returned. */
  code: number;
  /** Lines it printed (progress and summary). */
  printed: number;
}

/** An executor child: `executeRun` with one of the two journals. */
export interface ExecutorMeasure extends ChildMeasure {
  /** Events appended to the journal. */
  events: number;
  /** Fsyncs the journal made. */
  fsyncs: number;
}

/** A replay or bare-parse child. */
export interface ReadMeasure extends ChildMeasure {
  /** Jobs replayed, or lines parsed. */
  count: number;
}

/** The figures of the 1,000-job batch. */
export interface BatchFigures {
  jobs: number;
  /** The CLI run (group commit; no fsync counter on this path). */
  cli: CliMeasure;
  /** Lines of the CLI run's journal. */
  cliJournalLines: number;
  /** Jobs the CLI run's report counts as done. */
  cliDone: number;
  /** `executeRun` with the group-commit journal. */
  group: ExecutorMeasure;
  /** `executeRun` with the fsync-per-event baseline journal. */
  serial: ExecutorMeasure;
}

/** The figures of one resume over a completed output folder. */
export interface ResumeFigures {
  /** Jobs of the manifest, all done. */
  jobs: number;
  /** Lines (events) of the journal. */
  journalLines: number;
  journalBytes: number;
  /** `run` over the completed folder. */
  resume: CliMeasure;
  /** Requests the simulator received during the resume (should be 0). */
  requests: number;
  /** `readJournalStates()` alone. */
  replay: ReadMeasure;
  /** Baseline: read the file, split lines, `JSON.parse` each. */
  parse: ReadMeasure;
  /** Baseline: `validate` of the same manifest through the CLI. */
  validate: CliMeasure;
}

/** Everything the benchmark measured, with where it ran. */
export interface RunBenchResult {
  measuredAt: string;
  /** Where the temp folder lives (fsync cost depends on it), e.g. `ext4 on /dev/vda`. */
  disk: string;
  batch: BatchFigures;
  resumes: ResumeFigures[];
}

/**
 * Run the whole benchmark: one simulator, a temp folder, every child.
 *
 * @param sizes Jobs of the run and of the synthetic journal, and rounds of each executor
 *   run. @default RUN_JOBS, RESUME_JOBS and EXECUTOR_ROUNDS
 * @returns The measured figures.
 */
export async function runRunBench(
  sizes: { runJobs: number; resumeJobs: number; rounds?: number } = {
    runJobs: RUN_JOBS,
    resumeJobs: RESUME_JOBS,
  },
): Promise<RunBenchResult> {
  const { runJobs, resumeJobs, rounds = EXECUTOR_ROUNDS } = sizes;
  const dir = await Deno.makeTempDir({ prefix: "seedance-run-bench-" });
  const simulator = startSimulator({
    seed: 11,
    key: BENCH_KEY,
    renderMs: RENDER_MS,
    urlTtlMs: 10 * 60_000,
  });
  const env = { COMETAPI_KEY: BENCH_KEY, COMETAPI_BASE_URL: simulator.url };
  const requests = (): number =>
    Object.values(simulator.stats().requests).reduce((sum, n) => sum + n, 0);
  try {
    const measuredAt = new Date().toISOString();
    const disk = await diskOf(dir);

    // 1 and 2: the batch through the CLI, then through the executor with each journal.
    await Deno.mkdir(join(dir, "batch"));
    const manifest = join(dir, "batch", "batch.csv");
    await Deno.writeTextFile(manifest, csvManifest(runJobs));
    const cli = await child<CliMeasure>(["cli", manifest], env);
    if (cli.code !== 0) throw new Error(`The 1,000-job run ended with exit ${cli.code}`);
    const outDir = join(dir, "batch", "batch.out");
    const report = JSON.parse(await Deno.readTextFile(join(outDir, "report.json")));
    const cliDone: number = report.totals.done;
    if (cliDone !== runJobs) throw new Error(`The run left ${runJobs - cliDone} jobs not done`);
    // Alternate the two journals and keep each one's fastest round, so a
    // burst of load on the machine does not decide the ratio.
    const serialRounds: ExecutorMeasure[] = [];
    const groupRounds: ExecutorMeasure[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      for (const [kind, rounds] of [["serial", serialRounds], ["group", groupRounds]] as const) {
        const out = join(dir, `${kind}-${round}.out`);
        rounds.push(await child<ExecutorMeasure>(["executor", manifest, kind, out], env));
      }
    }
    const fastest = (rounds: ExecutorMeasure[]): ExecutorMeasure =>
      rounds.reduce((best, m) => (m.ms < best.ms ? m : best));
    const serial = fastest(serialRounds);
    const group = fastest(groupRounds);
    const batch: BatchFigures = {
      jobs: runJobs,
      cli,
      cliJournalLines: await countLines(journalPath(outDir)),
      cliDone,
      group,
      serial,
    };

    // 3: resumes with nothing to do, over the real journal and a synthetic one.
    const resumes = [await measureResume(manifest, runJobs, env, requests)];
    await Deno.mkdir(join(dir, "resume"));
    const big = join(dir, "resume", "batch.csv");
    await Deno.writeTextFile(big, csvManifest(resumeJobs));
    await writeDoneJournal(big, join(dir, "resume", "batch.out"));
    resumes.push(await measureResume(big, resumeJobs, env, requests));
    return { measuredAt, disk, batch, resumes };
  } finally {
    await simulator.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Render the figures as the Markdown lines of the section (two tables and
 * the machine line), every figure also as a ratio against its baseline.
 *
 * @param result What {@linkcode runRunBench} measured.
 * @returns Markdown lines.
 */
export function renderRunBench(result: RunBenchResult): string[] {
  const { batch } = result;
  const cpus = navigator.hardwareConcurrency;
  const memory = (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1);
  const lines = [
    `Measured ${result.measuredAt} on ${Deno.build.os}/${Deno.build.arch} ` +
    `(${cpus} CPUs, ${memory} GiB, kernel ${Deno.osRelease()}), temp folder on ${result.disk}.`,
    "",
    `### ${batch.jobs.toLocaleString("en")} jobs, submit to report`,
    "",
    "| run | wall time | in-process time | jobs/s | peak RSS | journal lines | events | fsyncs | events per fsync | time vs baseline | fsyncs vs baseline |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const perSecond = (ms: number): string => (batch.jobs / (ms / 1000)).toFixed(0);
  lines.push(
    `| CLI \`run\` (group commit) | ${seconds(batch.cli.wallMs)} | ${seconds(batch.cli.ms)} | ${
      perSecond(batch.cli.ms)
    } | ${kbToMb(batch.cli.peakKb)} | ${count(batch.cliJournalLines)} | ${
      count(batch.cliJournalLines)
    } | n/a | n/a | ${ratio(batch.cli.ms, batch.serial.ms)} | n/a |`,
  );
  for (
    const [name, m] of [["group commit", batch.group], ["fsync per event", batch.serial]] as const
  ) {
    const baseline = m === batch.serial ? " (baseline)" : "";
    lines.push(
      `| \`executeRun\`, ${name}${baseline} | ${seconds(m.wallMs)} | ${seconds(m.ms)} | ${
        perSecond(m.ms)
      } | ${kbToMb(m.peakKb)} | ${count(m.events)} | ${count(m.events)} | ${count(m.fsyncs)} | ${
        (m.events / m.fsyncs).toFixed(1)
      } | ${ratio(m.ms, batch.serial.ms)} | ${ratio(m.fsyncs, batch.serial.fsyncs)} |`,
    );
  }
  lines.push(
    "",
    "### Resume with nothing to do",
    "",
    "| journal | lines | size | resume wall | resume in-process | exit | requests | replay (`readJournalStates`) | bare `JSON.parse` (baseline) | replay vs baseline | `validate` in-process (baseline) | resume vs `validate` | resume peak RSS |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of result.resumes) {
    lines.push(
      `| ${count(r.jobs)} done jobs | ${count(r.journalLines)} | ${mb(r.journalBytes)} | ${
        seconds(r.resume.wallMs)
      } | ${seconds(r.resume.ms)} | ${r.resume.code} | ${r.requests} | ${seconds(r.replay.ms)} | ${
        seconds(r.parse.ms)
      } | ${ratio(r.replay.ms, r.parse.ms)} | ${seconds(r.validate.ms)} | ${
        ratio(r.resume.ms, r.validate.ms)
      } | ${kbToMb(r.resume.peakKb)} |`,
    );
  }
  return lines;
}

/** Resume over a completed folder, then its baselines, each in its own child. */
async function measureResume(
  manifest: string,
  jobs: number,
  env: Record<string, string>,
  requests: () => number,
): Promise<ResumeFigures> {
  const journal = journalPath(manifest.replace(/\.csv$/, ".out"));
  const before = requests();
  const resume = await child<CliMeasure>(["cli", manifest], env);
  const sent = requests() - before;
  if (resume.code !== 0) {
    throw new Error(`The resume of ${jobs} jobs ended with exit ${resume.code}`);
  }
  return {
    jobs,
    journalLines: await countLines(journal),
    journalBytes: (await Deno.stat(journal)).size,
    resume,
    requests: sent,
    replay: await child<ReadMeasure>(["replay", journal], env),
    parse: await child<ReadMeasure>(["parse", journal], env),
    validate: await child<CliMeasure>(["validate", manifest], env),
  };
}

/** Fields of generated job `i`: 1.x models alternate, no images. */
function job(i: number): { id: string; prompt: string; model: string; seconds: number } {
  return {
    id: `clip-${String(i).padStart(6, "0")}`,
    prompt: `Scene ${i}: a paper lantern drifting over a still lake at dusk, slow pan, take ${i}`,
    model: MODELS[i % MODELS.length],
    seconds: 4 + (i % 6),
  };
}

function csvManifest(jobs: number): string {
  const lines = ["id,prompt,model,seconds,size,resolution"];
  for (let i = 0; i < jobs; i += 1) {
    const j = job(i);
    lines.push(`${j.id},"${j.prompt}",${j.model},${j.seconds},16:9,720p`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Write the journal a finished run of `manifest` would leave: for each job
 * the events a real run writes (submitting, submitted, status, succeeded,
 * downloaded), with the fingerprints of the validated jobs so the resume
 * sees every job as done.
 */
async function writeDoneJournal(manifest: string, outDir: string): Promise<void> {
  const validation = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
  if (validation.errors.length > 0) throw new Error("The generated manifest is not valid");
  await Deno.mkdir(outDir);
  using file = await Deno.open(journalPath(outDir), { write: true, create: true });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  const start = Date.parse("2026-01-01T00:00:00Z");
  let chunk: string[] = [];
  const flush = async (): Promise<void> => {
    await writer.write(encoder.encode(chunk.join("")));
    chunk = [];
  };
  const push = async (event: JournalEvent): Promise<void> => {
    chunk.push(encodeEvent(event) + "\n");
    if (chunk.length >= 10_000) await flush();
  };
  await push(benchRunStarted(start));
  // Every done video is on disk, written before its download was recorded, so
  // the resume's check of the videos finds them intact (stat only, no hashing).
  await Deno.mkdir(join(outDir, "videos"), { recursive: true });
  const video = new Uint8Array(5267);
  const written = new Date(start - 1000);
  for (const [i, j] of validation.jobs.entries()) {
    await Deno.writeFile(join(outDir, j.output), video);
    await Deno.utime(join(outDir, j.output), written, written);
    const done = {
      id: j.id,
      fingerprint: j.fingerprint,
      task: `task-${String(i).padStart(8, "0")}`,
      output: j.output,
      bytes: 5267,
      sha256: "0".repeat(64),
    };
    for (const event of doneJobEvents(done, i, start)) await push(event);
  }
  await flush();
  await writer.close();
}

/** Run one child of this script and parse the JSON line it prints. */
async function child<T extends ChildMeasure>(
  args: string[],
  env: Record<string, string>,
): Promise<T> {
  const script = new URL(import.meta.url).pathname;
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, "child", ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || stdout === "") {
    throw new Error(
      `The "${args[0]}" child failed: ${new TextDecoder().decode(output.stderr).slice(-2000)}`,
    );
  }
  return { ...JSON.parse(stdout), wallMs };
}

/**
 * A baseline journal: every append waits for the previous one, then writes
 * its line and fsyncs it alone (what a journal without group commit does).
 */
class FsyncPerEventJournal implements EventJournal {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  #tail: Promise<void> = Promise.resolve();
  fsyncs = 0;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  append(event: JournalEvent): Promise<void> {
    const bytes = this.#encoder.encode(encodeEvent(event) + "\n");
    const appended = this.#tail.then(async () => {
      let written = 0;
      while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
      await this.#file.syncData();
      this.fsyncs += 1;
    });
    this.#tail = appended.catch(() => {});
    return appended;
  }

  async close(): Promise<void> {
    await this.#tail;
    this.#file.close();
  }
}

/** The child of `cli`/`validate`: `main(argv)` once, output counted, not printed. */
async function childMain(argv: string[]): Promise<Omit<CliMeasure, "wallMs">> {
  let printed = 0;
  const tail: string[] = [];
  const print = (line: string): void => {
    printed += 1;
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  const started = performance.now();
  const code = await main(argv, {
    stdout: print,
    stderr: print,
    env: (name) => Deno.env.get(name),
  });
  const ms = performance.now() - started;
  if (code !== 0) await Deno.stderr.write(new TextEncoder().encode(tail.join("\n") + "\n"));
  return { code, printed, ms, peakKb: await peakKb() };
}

/**
 * The child of `executor`: what `run` does between planning and reporting,
 * with the chosen journal, timed from the first append to the journal's close.
 */
async function childExecutor(
  manifest: string,
  kind: string,
  outDir: string,
): Promise<Omit<ExecutorMeasure, "wallMs">> {
  const validation = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
  await Deno.mkdir(join(outDir, "videos"), { recursive: true });
  const path = journalPath(outDir);
  const states = await readJournalStates(path);
  const journal = kind === "group"
    ? await openJournal(path)
    : new FsyncPerEventJournal(await Deno.open(path, { append: true, create: true }));
  let events = 0;
  const counted: EventJournal = {
    append: (event) => {
      events += 1;
      return journal.append(event);
    },
  };
  const pollIntervalMs = POLL_INTERVAL_SECONDS * 1000;
  const started = performance.now();
  await counted.append({
    type: "run_started",
    at: new Date().toISOString(),
    pid: Deno.pid,
    host: "bench",
    version: "bench",
  });
  const actions = planRun(validation.jobs, states, {
    retryFailed: false,
    resubmitUncertain: false,
    newKey: () => crypto.randomUUID(),
  });
  const result = await executeRun(actions, {
    client: new CometClient({
      baseUrl: Deno.env.get("COMETAPI_BASE_URL")!,
      apiKey: Deno.env.get("COMETAPI_KEY")!,
    }),
    journal: counted,
    outDir,
    concurrency: CONCURRENCY,
    pollIntervalMs,
    // As `run` does for this poll interval.
    backoff: { baseMs: pollIntervalMs, maxMs: pollIntervalMs * 6 },
  });
  await journal.close();
  const ms = performance.now() - started;
  if (result.unauthorized || result.interrupted) throw new Error("The executor run did not finish");
  const done = [...(await readJournalStates(path)).values()].filter((s) => s.phase === "done");
  if (done.length !== validation.jobs.length) {
    throw new Error(`The executor run left ${validation.jobs.length - done.length} jobs not done`);
  }
  return { ms, peakKb: await peakKb(), events, fsyncs: journal.fsyncs };
}

/** The child of `replay`: `readJournalStates` once. */
async function childReplay(journal: string): Promise<Omit<ReadMeasure, "wallMs">> {
  const started = performance.now();
  const states = await readJournalStates(journal);
  const ms = performance.now() - started;
  return { ms, peakKb: await peakKb(), count: states.size };
}

/** The child of `parse`, the replay's baseline: read, split, `JSON.parse` each line. */
async function childParse(journal: string): Promise<Omit<ReadMeasure, "wallMs">> {
  const started = performance.now();
  const text = await Deno.readTextFile(journal);
  let parsed = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    JSON.parse(line);
    parsed += 1;
  }
  const ms = performance.now() - started;
  return { ms, peakKb: await peakKb(), count: parsed };
}

async function peakKb(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function countLines(path: string): Promise<number> {
  const bytes = await Deno.readFile(path);
  let lines = 0;
  for (const byte of bytes) if (byte === 0x0a) lines += 1;
  return lines;
}

/** The file system and device of the mount that holds `path`. */
async function diskOf(path: string): Promise<string> {
  try {
    const real = await Deno.realPath(path);
    let best = { mount: "", text: "unknown" };
    for (const line of (await Deno.readTextFile("/proc/mounts")).split("\n")) {
      const [device, mount, type] = line.split(" ");
      if (mount === undefined) continue;
      const holds = real === mount || real.startsWith(mount.endsWith("/") ? mount : `${mount}/`);
      if (holds && mount.length >= best.mount.length) {
        best = { mount, text: `${type} on ${device}` };
      }
    }
    return best.text;
  } catch {
    return "unknown";
  }
}

function count(n: number): string {
  return n.toLocaleString("en");
}

function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(value / baseline < 0.1 ? 3 : 2)}x`;
}

async function runChild(mode: string, args: string[]): Promise<object> {
  switch (mode) {
    case "cli":
      return await childMain(["run", args[0], ...RUN_FLAGS]);
    case "validate":
      return await childMain(["validate", args[0]]);
    case "executor":
      return await childExecutor(args[0], args[1], args[2]);
    case "replay":
      return await childReplay(args[0]);
    case "parse":
      return await childParse(args[0]);
  }
  throw new Error(`Cannot run child mode "${mode}": unknown`);
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  if (Deno.args[0] === "child") {
    const report = await runChild(Deno.args[1], Deno.args.slice(2));
    await Deno.stdout.write(encoder.encode(JSON.stringify(report) + "\n"));
  } else {
    const lines = renderRunBench(await runRunBench());
    await Deno.stdout.write(encoder.encode(lines.join("\n") + "\n"));
  }
}
