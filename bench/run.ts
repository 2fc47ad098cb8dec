/**
 * `deno task bench`: run every benchmark entry and write bench/RESULTS.md.
 *
 * Add a benchmark by adding an entry to {@linkcode ENTRIES}: a title, a
 * short description and a function that runs it and returns its section of
 * the results as Markdown lines.
 *
 * @module
 */
import { JOB_COUNT, runValidateBench } from "./validate_bench.ts";
import { renderVerifyBench, runVerifyBench, VERIFY_JOBS } from "./verify_bench.ts";
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

/** One benchmark: runs, then renders its section of RESULTS.md. */
export interface BenchEntry {
  /** Section title in RESULTS.md. */
  title: string;
  /** What it measures, in a sentence or two. */
  description: string;
  /** Runs the benchmark and returns its Markdown lines (a table, usually). */
  run(): Promise<string[]>;
}

/** Validation targets from the issue: each manifest under 3 s and 300 MB. */
const TARGET = { ms: 3000, kb: 300 * 1024 };

/** Every benchmark, in the order they run. */
export const ENTRIES: BenchEntry[] = [
  {
    title: `validate: ${JOB_COUNT.toLocaleString("en")}-job manifests`,
    description:
      `A generated ${JOB_COUNT.toLocaleString("en")}-job CSV and YAML manifest (four models, ` +
      "a shared reference image on some 2.0 jobs) validated by `validateManifest()` in a child " +
      "process. Wall time is the whole child process (Deno start-up included); peak RSS is the " +
      "child's VmHWM. The baseline is the bare parser (csv-parse / js-yaml) reading the same " +
      `file in its own child, measured in the same run. Target: under ${TARGET.ms / 1000} s and ` +
      `${TARGET.kb / 1024} MB each. The second row of each manifest runs the child with ` +
      "`--v8-flags=--optimize-for-size`, which trades little time for a much smaller heap.",
    async run(): Promise<string[]> {
      const rows = await runValidateBench();
      const lines = [
        "| manifest | file size | jobs | wall time | in-process time | peak RSS | baseline wall | baseline peak RSS | time vs baseline | memory vs baseline | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
      ];
      for (const row of rows) {
        const { validate, baseline } = row;
        const ok = validate.wallMs < TARGET.ms && validate.peakKb < TARGET.kb;
        lines.push(
          `| ${row.manifest}${row.v8Flags ? ` (\`${row.v8Flags}\`)` : ""} | ${mb(row.bytes)} | ${
            row.jobs.toLocaleString("en")
          } | ${seconds(validate.wallMs)} | ${seconds(validate.ms)} | ${
            kbToMb(validate.peakKb)
          } | ${seconds(baseline.wallMs)} | ${kbToMb(baseline.peakKb)} | ${
            (validate.wallMs / baseline.wallMs).toFixed(2)
          }x | ${(validate.peakKb / baseline.peakKb).toFixed(2)}x | ${ok ? "met" : "**missed**"} |`,
        );
      }
      return lines;
    },
  },
  {
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
    async run(): Promise<string[]> {
      const { flat, fanout } = await runFanoutBench();
      const row = (name: string, m: typeof flat): string =>
        `| ${name} | ${mb(m.bytes)} | ${
          m.entries === null ? "-" : m.entries.toLocaleString("en")
        } | ${m.jobs.toLocaleString("en")} | ${seconds(m.wallMs)} | ${seconds(m.ms)} | ${
          kbToMb(m.peakKb)
        } | ${m.toCome} |`;
      const same = flat.jobs === fanout.jobs && flat.toCome === fanout.toCome &&
        flat.errors === 0 && fanout.errors === 0;
      const within = fanout.wallMs <= flat.wallMs && fanout.peakKb <= flat.peakKb;
      return [
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
    },
  },
  {
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
    async run(): Promise<string[]> {
      return renderRunBench(await runRunBench());
    },
  },
  {
    title: `resume: checking ${VERIFY_JOBS.toLocaleString("en")} done videos on disk`,
    description:
      "What a resume pays to check every done video against the journal (`verifyDoneVideos`, " +
      "run by `run`, `status` and `report`), in process, best of two, with each hash policy. " +
      "The files are the simulator clip's size and were just written (warm page cache); the " +
      "SHA-256 rate below scales the hashing row to real clips.",
    async run(): Promise<string[]> {
      return renderVerifyBench(await runVerifyBench());
    },
  },
];

async function main(): Promise<void> {
  const sections: string[] = [];
  for (const entry of ENTRIES) {
    await say(`running: ${entry.title}`);
    const lines = await entry.run();
    sections.push(`## ${entry.title}`, "", entry.description, "", ...lines, "");
    for (const line of lines) await say(line);
  }
  const cpus = navigator.hardwareConcurrency;
  const document = [
    "# Benchmark results",
    "",
    `Written by \`deno task bench\` on ${new Date().toISOString()} ` +
    `(Deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}, ${cpus} CPUs).`,
    "",
    ...sections,
  ].join("\n");
  const results = new URL("./RESULTS.md", import.meta.url);
  await Deno.writeTextFile(results, document);
  // Keep the file as `deno fmt --check` (part of `deno task test`) wants it.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", results.pathname] }).output();
  await say("wrote bench/RESULTS.md");
}

async function say(line: string): Promise<void> {
  await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
}

if (import.meta.main) await main();
