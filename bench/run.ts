/**
 * `deno task bench`: run every benchmark entry and write bench/RESULTS.md and
 * bench/results.json (every figure, as the entries measured them).
 *
 * - `deno task bench`: full sizes (a few minutes; uses both cores).
 * - `deno task bench --only KEY[,KEY]`: re-run those entries only; the
 *   others' sections and figures are kept from bench/results.json.
 * - `deno task bench --rebuild`: run nothing, rewrite RESULTS.md from
 *   bench/results.json and bench/NOTES.md.
 * - `deno task bench --quick [--out DIR]` (or `BENCH_QUICK=1`): every entry
 *   at tiny sizes, in well under a minute, to show each still produces its
 *   figures; asserts no timings and never touches bench/RESULTS.md. With
 *   `--out DIR` it writes RESULTS.md and results.json there.
 *
 * Add a benchmark by adding an entry to {@linkcode ENTRIES}: a key (its
 * section in results.json), a title, a description and a function that runs
 * it and returns its Markdown lines and its figures.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  HELD,
  JOB_COUNT,
  runValidateBench,
  SMALL_JOB_COUNT,
  VALIDATE_TARGET,
} from "./validate_bench.ts";
import { LOOK_FILES, renderVerifyBench, runVerifyBench, VERIFY_JOBS } from "./verify_bench.ts";
import { FANOUT_ENTRIES, JOBS_PER_ENTRY, runFanoutBench } from "./fanout_bench.ts";
import { kbToMb, mb, seconds } from "./format.ts";
import {
  CONCURRENCY,
  EXECUTOR_ROUNDS,
  POLL_INTERVAL_SECONDS,
  RENDER_MS,
  renderRunBench,
  RESUME_JOBS,
  RUN_JOBS,
  runRunBench,
} from "./run_bench.ts";
import { renderPhysicalBench, runPhysicalBench } from "./physical_bench.ts";
import { renderDownloadBench, runDownloadBench } from "./download_bench.ts";
import { renderNaiveBench, runNaiveBench } from "./naive_bench.ts";
import { machine } from "./measure.ts";
import { CRON_QUICK, CRON_SCALE, renderCronBench, runCronBench } from "./cron_bench.ts";
import {
  COMPACT_JOBS,
  COMPACT_QUICK,
  renderCompactBench,
  runCompactBench,
} from "./compact_bench.ts";
import {
  renderResumeBench,
  RESUME_QUICK_SIZES,
  RESUME_SIZES,
  runResumeBench,
} from "./resume_bench.ts";

/** What an entry returns: its section of RESULTS.md and its figures for results.json. */
export interface BenchOutput {
  /** Markdown lines (tables, usually). */
  lines: string[];
  /** Every figure it measured, as JSON-able data. */
  figures: unknown;
}

/** One benchmark. */
export interface BenchEntry {
  /** Its key in results.json. */
  key: string;
  /** Section title in RESULTS.md. */
  title: string;
  /** What it measures, in a sentence or two. */
  description: string;
  /**
   * Runs the benchmark.
   *
   * @param quick Tiny sizes: only the figures' presence means anything.
   */
  run(quick: boolean): Promise<BenchOutput>;
}

/** Sizes of the entries with fixed sizes, in quick mode. */
const QUICK = {
  validateJobs: 200,
  runJobs: 40,
  resumeJobs: 400,
  fanoutEntries: 10,
  verifyJobs: 200,
  lookFiles: 300,
};

/** Every benchmark, in the order they run. */
export const ENTRIES: BenchEntry[] = [
  {
    key: "validate",
    title: `validate: ${SMALL_JOB_COUNT.toLocaleString("en")}- and ${
      JOB_COUNT.toLocaleString("en")
    }-job manifests`,
    description:
      `Generated CSV and YAML manifests of ${SMALL_JOB_COUNT.toLocaleString("en")} and ` +
      `${JOB_COUNT.toLocaleString("en")} jobs (four models, prompts of about 140 characters ` +
      "with some non-Latin-1 text, a shared reference image on a fifth of the 2.0 jobs), each " +
      "validated by `countManifest()` (what the `validate` command runs: every job checked, " +
      "only the counts, errors and warnings kept) in its own child process; the CSV files " +
      "also by `validateManifest()`, which keeps every job (what `plan` and `run` start " +
      `with; rows "${HELD}"). Wall time is the whole child process (Deno start-up ` +
      "included); CPU is the " +
      "child's user + system time; peak RSS is its VmHWM; heap kept is the JS heap after a " +
      "garbage collection with the result still held. The baseline is the bare parser " +
      "(csv-parse / js-yaml on the whole file) reading the same file in its own child, in the " +
      `same run. Target for ${JOB_COUNT.toLocaleString("en")} jobs: at most ` +
      `${VALIDATE_TARGET.ms / 1000} s and ${VALIDATE_TARGET.kb / 1024} MB. A ` +
      `${JOB_COUNT.toLocaleString("en")}-job YAML manifest of this shape is larger than the ` +
      "200 MiB manifest limit, which the CLI refuses; its row runs the same steps without the " +
      "size check (marked *). Growth is the larger size's figure over the smaller's, per job " +
      "(1.00 = linear); memory per job is the difference of the two peaks (and of the two " +
      "heaps kept) over the difference of the job counts.",
    async run(quick: boolean): Promise<BenchOutput> {
      const sizes = quick ? [QUICK.validateJobs, QUICK.validateJobs * 10] : undefined;
      const rows = await runValidateBench(sizes);
      const lines = [
        "| manifest | file size | jobs | wall time | in-process time | CPU | peak RSS | heap kept | baseline wall | baseline peak RSS | time vs baseline | memory vs baseline | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
      ];
      const largest = Math.max(...rows.map((row) => row.jobs));
      for (const row of rows) {
        const { validate, baseline } = row;
        const ok = validate.wallMs <= VALIDATE_TARGET.ms && validate.peakKb <= VALIDATE_TARGET.kb;
        lines.push(
          `| ${row.manifest}${row.how === "yaml" ? " *" : ""} | ${mb(row.bytes)} | ${
            row.jobs.toLocaleString("en")
          } | ${seconds(validate.wallMs)} | ${seconds(validate.ms)} | ${
            seconds(validate.cpuMs)
          } | ${kbToMb(validate.peakKb)} | ${kbToMb(validate.heapKb)} | ${
            seconds(baseline.wallMs)
          } | ${kbToMb(baseline.peakKb)} | ${(validate.wallMs / baseline.wallMs).toFixed(2)}x | ${
            (validate.peakKb / baseline.peakKb).toFixed(2)
          }x | ${
            row.jobs < largest
              ? "(growth)"
              : row.how === "held"
              ? "(not validate)"
              : ok
              ? "met"
              : "**missed**"
          } |`,
        );
      }
      lines.push(
        "",
        "| manifest | jobs | in-process time growth per job | CPU growth per job | peak RSS per job | heap kept per job |",
        "|---|---|---:|---:|---:|---:|",
      );
      for (const manifest of ["CSV", "YAML", HELD]) {
        const [small, large] = rows.filter((row) => row.manifest === manifest);
        if (small === undefined || large === undefined) continue;
        const perJob = (a: number, b: number): string =>
          ((b / large.jobs) / (a / small.jobs)).toFixed(2);
        const extra = large.jobs - small.jobs;
        lines.push(
          `| ${manifest} | ${small.jobs.toLocaleString("en")} → ${
            large.jobs.toLocaleString("en")
          } | ${perJob(small.validate.ms, large.validate.ms)} | ${
            perJob(small.validate.cpuMs, large.validate.cpuMs)
          } | ${((large.validate.peakKb - small.validate.peakKb) * 1024 / extra).toFixed(0)} B | ${
            ((large.validate.heapKb - small.validate.heapKb) * 1024 / extra).toFixed(0)
          } B |`,
        );
      }
      return { lines, figures: rows };
    },
  },
  {
    key: "fanout",
    title: `fan-out: ${FANOUT_ENTRIES.toLocaleString("en")} entries expanding to ${
      (FANOUT_ENTRIES * JOBS_PER_ENTRY).toLocaleString("en")
    } jobs`,
    description:
      `A generated YAML manifest of ${FANOUT_ENTRIES.toLocaleString("en")} entries, each a ` +
      `\`matrix\` of 5 places x 2 sizes with \`variants: 10\` (${JOBS_PER_ENTRY} jobs per entry, ` +
      "a `{place}` template in the prompt), against the same jobs written out flat, one row " +
      "each, in the same run. Each is validated and planned in its own child process: " +
      "`validateManifest()`, the plan's counts and the spend estimate with a price list. Wall " +
      "time is the whole child (Deno start-up included); peak RSS is its VmHWM. The ratio is " +
      "fan-out over flat; the budget is the flat manifest's (ratio at most 1.00x, with the same " +
      "jobs and the same estimate).",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runFanoutBench(quick ? QUICK.fanoutEntries : FANOUT_ENTRIES);
      const { flat, fanout } = result;
      const row = (name: string, m: typeof flat): string =>
        `| ${name} | ${mb(m.bytes)} | ${
          m.entries === null ? "-" : m.entries.toLocaleString("en")
        } | ${m.jobs.toLocaleString("en")} | ${seconds(m.wallMs)} | ${seconds(m.ms)} | ${
          kbToMb(m.peakKb)
        } | ${m.toCome} |`;
      const same = flat.jobs === fanout.jobs && flat.toCome === fanout.toCome &&
        flat.errors === 0 && fanout.errors === 0;
      const within = fanout.wallMs <= flat.wallMs && fanout.peakKb <= flat.peakKb;
      const lines = [
        "| manifest | file size | entries | jobs | wall time | in-process time | peak RSS | estimate to come |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("flat (one row per job)", flat),
        row("fan-out (matrix x variants)", fanout),
        "",
        `Fan-out vs flat: time ${(fanout.wallMs / flat.wallMs).toFixed(2)}x, memory ${
          (fanout.peakKb / flat.peakKb).toFixed(2)
        }x; ${same ? "same jobs and estimate" : "**the two differ**"}; budget ${
          within ? "met" : "**missed**"
        }.`,
      ];
      return { lines, figures: result };
    },
  },
  {
    key: "run",
    title: `run: ${RUN_JOBS.toLocaleString("en")} jobs against the simulator, and resumes`,
    description:
      `A generated ${RUN_JOBS.toLocaleString("en")}-job CSV manifest (1.x models, no images) run ` +
      `against the simulator (in the bench's own process, 127.0.0.1, renders of ` +
      `${RENDER_MS.min}-${RENDER_MS.max} ms, no faults) with \`--concurrency ${CONCURRENCY}\` ` +
      `and \`--poll-interval ${POLL_INTERVAL_SECONDS}\`, every measured run in its own child ` +
      "process (peak RSS is the child's VmHWM; wall time includes Deno's start-up, in-process " +
      "time does not, and jobs/s uses the in-process time). The first row is the real CLI path, " +
      '`main(["run", ...])`: validate, submit, poll, download, report. The other two run only ' +
      "`executeRun` on the same batch, once with the real group-commit journal (`openJournal`, " +
      "`writer.fsyncs`) and once with the **baseline**: a journal that appends one event at a time " +
      "and fsyncs each on its own; their in-process time is the executor alone, the fastest of " +
      `${EXECUTOR_ROUNDS} alternating rounds each. Downloads fsync ` +
      "their own files in every row. Ratios are against the baseline measured in the same run " +
      "(the CLI row's time ratio also covers validation and the reports). The second table " +
      "resumes a completed output folder (nothing to do, exit 0, no request reaches the " +
      "simulator): the journal of the run above, and a synthetic journal of " +
      `${RESUME_JOBS.toLocaleString("en")} done jobs (five events each, as a real run writes) ` +
      "with its matching manifest. Its baselines: reading the journal with a bare `JSON.parse` " +
      "per line, and `validate` of the same manifest, each in its own child.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runRunBench(
        quick
          ? { runJobs: QUICK.runJobs, resumeJobs: QUICK.resumeJobs, rounds: 1 }
          : { runJobs: RUN_JOBS, resumeJobs: RESUME_JOBS },
      );
      return { lines: renderRunBench(result), figures: result };
    },
  },
  {
    key: "physical",
    title: "physical limit: makespan, GETs and detection lag, CPU per job",
    description:
      'The real CLI (`main(["run", ...])`) in a child process against the simulator in the ' +
      "bench's process (127.0.0.1, no faults, per-task timeline recorded), eight runs of the " +
      "same batch: fixed renders with linear progress, then spread renders with progress " +
      "reported linearly, coarsely (steps of 25%) and not at all (0 until terminal), each with " +
      "`--polling fixed` and `--polling adaptive` in the same run. Makespan is " +
      "from the first task created to the last video requested, against the ideal " +
      "`ceil(N/C)·T` (fixed renders) or the ideal list schedule of the very render times the " +
      "simulator drew (jobs in manifest order, each started on the slot that frees first, zero " +
      "detection lag). Detection lag: from a task becoming terminal at the simulator to the " +
      "first GET whose answer said so. Time is scaled down 60 times from the documented cadence " +
      "(renders of 1-3 minutes, polls every 10-20 s): renders of 1 s (0.5-1.5 s) and polls every " +
      "0.25 s stand for renders of a minute (30-90 s) and polls every 15 s. Issue 13's targets: " +
      "makespan ≤ 1.03x ideal with fixed renders; linear progress ≤ 3 GETs per task and mean " +
      "lag ≤ 0.2 interval; no progress: no more GETs than fixed polling and p95 lag ≤ 1 " +
      "interval; CPU ≤ 1 ms per job. Fixed polling is the baseline adaptive polling is judged against.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runPhysicalBench(quick);
      return { lines: renderPhysicalBench(result), figures: result };
    },
  },
  {
    key: "download",
    title: "large download: the runner against curl",
    description:
      "One task's video padded to 100 MiB and 1 GiB by the simulator (a valid MP4 generated " +
      "while it streams, served from the bench's process on 127.0.0.1), downloaded by the " +
      "runner's download path (`downloadVideo` through `CometClient.openVideo`, in a child " +
      "process; peak RSS is its VmHWM) and by `curl` on the same URL in the same run. Target " +
      "(issue 13): ≥ 0.8x curl's throughput, with peak memory that does not grow with the file.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runDownloadBench(quick);
      return { lines: renderDownloadBench(result), figures: result };
    },
  },
  {
    key: "naive",
    title: "against a naive runner (curl + jq + xargs -P)",
    description:
      "bench/naive/naive.sh, a batch runner as a user might write it (submit with `curl " +
      "--retry 3`, poll with curl and jq every interval, download with curl, `xargs -P` for " +
      "concurrency), against seedance-batch on the same batch and the same seeded fault mix " +
      "(429s with Retry-After, 5xx including 524 that created the task, lost submit answers, " +
      "poll 5xx/429, truncated downloads), each against a fresh simulator with identical options.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runNaiveBench(quick);
      return { lines: renderNaiveBench(result), figures: result };
    },
  },
  {
    key: "verify",
    title: `resume: checking ${VERIFY_JOBS.toLocaleString("en")} done videos on disk`,
    description:
      "What a resume pays to check every done video against the journal (`verifyDoneVideos`, " +
      "run by `run`, `status` and `report`), in process, best of two, with each hash policy. " +
      "The files are the simulator clip's size and were just written (warm page cache); the " +
      "SHA-256 rate below scales the hashing row to real clips. Then the look at the disk in " +
      "the calling thread against two Workers (`lookAtFiles`), on the same files in the same " +
      `run: the size-only check at ${VERIFY_JOBS.toLocaleString("en")} videos and the bare ` +
      `looks at ${LOOK_FILES.toLocaleString("en")} empty files.`,
    async run(quick: boolean): Promise<BenchOutput> {
      const result = quick
        ? await runVerifyBench(QUICK.verifyJobs, QUICK.lookFiles)
        : await runVerifyBench(VERIFY_JOBS, LOOK_FILES);
      return { lines: renderVerifyBench(result), figures: result };
    },
  },
  {
    key: "resume",
    title: `resume: ${RESUME_SIZES.map((n) => n.toLocaleString("en")).join(" and ")} done jobs`,
    description:
      "`run --simulate` over an output folder whose every job is done (a generated CSV of 1.x " +
      "jobs, the journal a finished run leaves with five events a job, and a 16-byte video per " +
      "job, older than its recorded download), each in its own child process: first with no " +
      "reports in the folder (all four written), then again with nothing changed (the reports " +
      "left as they are: the resume a cron pass makes). Baselines measured in the same run: " +
      "`validate` of the same manifest, and a bare `JSON.parse` of every journal line. CPU is " +
      "user + system of the measured work (Deno's start-up excluded), peak RSS the child's " +
      "VmHWM; the per-job table shows growth is linear. The folders are generated once per " +
      "bench run (synchronous writes) and removed after.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runResumeBench(quick ? RESUME_QUICK_SIZES : RESUME_SIZES);
      return { lines: renderResumeBench(result), figures: result };
    },
  },
  {
    key: "cron",
    title: "cron: a batch driven by `run --pass-time` against one continuous run",
    description:
      "The same batch (render 1–3 s, poll 0.1 s, concurrency 5) run once continuously and " +
      "once by a cron loop that starts `run --pass-time 10` every 12 s until a pass " +
      "exits 0: the scaled-down `*/10 * * * * ... --pass-time 540`. Both in process " +
      "against the simulator; the ratio of wall times is the figure (target: at most 1.2).",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runCronBench(quick ? CRON_QUICK : CRON_SCALE);
      return { lines: renderCronBench(result), figures: result };
    },
  },
  {
    key: "compact",
    title: `compact: a journal of ${
      COMPACT_JOBS.toLocaleString("en")
    } done jobs, compacted and replayed`,
    description:
      `A synthetic journal of ${
        COMPACT_JOBS.toLocaleString("en")
      } done jobs as a real run writes ` +
      "it (five events a job: submitting, submitted, a status, task_succeeded, downloaded with " +
      "the video's facts) is compacted by `compactJournal()` (replay, then one `job_state` line " +
      "a job written to a temporary, fsynced, renamed over the journal) and replayed by " +
      "`readJournal()` before and after, each in its own child process: wall and CPU time " +
      "(user + system) of the work alone, peak RSS (VmHWM) of the child. The baseline is a " +
      "bare `JSON.parse` of every line of the same file, read the same way, in its own child " +
      "in the same run.",
    async run(quick: boolean): Promise<BenchOutput> {
      const result = await runCompactBench(quick ? COMPACT_QUICK : COMPACT_JOBS);
      return { lines: renderCompactBench(result), figures: result };
    },
  },
];

/** The exact commands, for RESULTS.md. */
const COMMANDS = [
  "`deno task bench` (full sizes; writes bench/RESULTS.md and bench/results.json)",
  "`deno task bench --quick --out DIR` (tiny sizes, figures only; what tests/bench_quick_test.ts runs)",
  "`deno task bench --only KEY[,KEY]` (re-runs those entries, keeps the others' figures from " +
  "bench/results.json; keys: validate, fanout, run, physical, download, naive, verify, resume, cron, compact)",
  "`deno task bench --rebuild` (runs nothing: rewrites RESULTS.md from results.json and NOTES.md)",
];

/** One section as kept in results.json, so `--only` can rebuild RESULTS.md. */
interface StoredSection {
  title: string;
  description: string;
  lines: string[];
  /** When it started and ended. */
  measuredFrom: string;
  measuredTo: string;
  /** The load average when it started (the machine is shared). */
  loadAverage: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      out: { type: "string" },
      only: { type: "string" },
      rebuild: { type: "boolean" },
    },
  });
  const quick = values.quick === true || Deno.env.get("BENCH_QUICK") === "1";
  const folder = values.out !== undefined
    ? values.out.replace(/\/+$/, "") + "/"
    : quick
    ? undefined
    : new URL(".", import.meta.url).pathname;
  const only = values.rebuild
    ? []
    : values.only?.split(",").map((key) => key.trim()) ?? ENTRIES.map((e) => e.key);
  for (const key of only) {
    if (!ENTRIES.some((e) => e.key === key)) {
      throw new Error(
        `Unknown benchmark "${key}": expected ${ENTRIES.map((e) => e.key).join(", ")}`,
      );
    }
  }
  // With --only, the other sections come from the results.json already there.
  let previous: { results: Record<string, unknown>; sections: Record<string, StoredSection> } = {
    results: {},
    sections: {},
  };
  const partial = values.only !== undefined || values.rebuild === true;
  if (partial) {
    if (folder === undefined) throw new Error("--only and --rebuild need --out DIR in quick mode");
    try {
      previous = JSON.parse(await Deno.readTextFile(`${folder}results.json`));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await say(
        `Cannot keep the other sections: ${folder}results.json does not exist (run all first)`,
      );
      Deno.exitCode = 2;
      return;
    }
    if ((previous as { quick?: boolean }).quick !== quick) {
      throw new Error(`Cannot mix quick and full figures in ${folder}results.json`);
    }
  }
  const where = machine();
  const figures: Record<string, unknown> = { ...previous.results };
  const stored: Record<string, StoredSection> = { ...previous.sections };
  for (const entry of ENTRIES.filter((e) => only.includes(e.key))) {
    await say(`running: ${entry.title}${quick ? " (quick)" : ""}`);
    const measuredFrom = new Date().toISOString();
    const loadAverage = Deno.loadavg();
    const entryStarted = performance.now();
    const output = await entry.run(quick);
    await say(`${entry.key}: ${seconds(performance.now() - entryStarted)}`);
    if (output.lines.length === 0 || output.figures === undefined) {
      throw new Error(`The "${entry.key}" benchmark produced no figures`);
    }
    figures[entry.key] = output.figures;
    stored[entry.key] = {
      title: entry.title,
      description: entry.description,
      lines: output.lines,
      measuredFrom,
      measuredTo: new Date().toISOString(),
      loadAverage,
    };
    for (const line of output.lines) await say(line);
  }
  const sections: string[] = [];
  for (const entry of ENTRIES) {
    const section = stored[entry.key];
    if (section === undefined) continue;
    sections.push(
      `## ${section.title}`,
      "",
      `_Measured ${section.measuredFrom} to ${section.measuredTo}; load average at its start ` +
        `${section.loadAverage.map((n) => n.toFixed(2)).join(" / ")}._`,
      "",
      section.description,
      "",
      ...section.lines,
      "",
    );
  }
  const document = [
    "# Benchmark results",
    "",
    `Written by \`deno task bench${quick ? " --quick" : ""}\`${
      !partial
        ? ""
        : ` (this time \`${values.rebuild ? "--rebuild" : `--only ${only.join(",")}`}\`)`
    } on ${new Date().toISOString()}.`,
    "",
    `Machine: ${where.os}, ${where.cpus} CPUs (\`nproc\`), ${where.memoryGiB} GiB, kernel ` +
    `${where.kernel}, Deno ${where.deno} (V8 ${where.v8}). The machine is shared: other work ` +
    "ran beside the benchmarks (see each section's load average), which weighs on wall times " +
    "more than on ratios measured in the same run.",
    "",
    "Commands:",
    "",
    ...COMMANDS.map((c) => `- ${c}`),
    "",
    ...sections,
    ...(await notes()),
  ].join("\n");
  const json = {
    writtenAt: new Date().toISOString(),
    quick,
    machine: where,
    commands: COMMANDS,
    results: figures,
    sections: stored,
  };
  if (folder === undefined) {
    await say(
      "quick mode: every benchmark produced its figures (nothing written; --out DIR to keep them)",
    );
    return;
  }
  await Deno.mkdir(folder, { recursive: true });
  const results = `${folder}RESULTS.md`;
  await Deno.writeTextFile(results, document);
  await Deno.writeTextFile(`${folder}results.json`, JSON.stringify(json, null, 2) + "\n");
  // Keep the files as `deno fmt --check` (part of `deno task test`) wants them.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", results, `${folder}results.json`],
  }).output();
  await say(`wrote ${results} and ${folder}results.json`);
}

/**
 * bench/NOTES.md (hand-written reading of the figures: what dominates, what
 * bounds a target), appended to RESULTS.md under its own heading.
 */
async function notes(): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(new URL("./NOTES.md", import.meta.url));
    return ["## Notes (bench/NOTES.md, written by hand from a full run)", "", text.trim(), ""];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function say(line: string): Promise<void> {
  await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
}

if (import.meta.main) await main();
