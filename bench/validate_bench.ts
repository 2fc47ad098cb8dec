/**
 * Benchmark: `validate` of generated CSV and YAML manifests of 100,000 and
 * 1,000,000 jobs, each run in its own child process, measuring wall time
 * (Deno's start-up included), user + system CPU time, peak memory (VmHWM)
 * and the heap the validated jobs keep, against a baseline of the bare
 * parser (csv-parse / js-yaml) on the same file in the same run.
 *
 * Run through `deno task bench` (bench/run.ts). Run directly with
 * `child <validate|yaml|baseline> <file>` it is the child: it does the work once
 * and prints `{"ms","cpuMs","peakKb","heapKb","jobs","errors"}` as JSON.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { readImage } from "../src/image.ts";
import { expandManifest } from "../src/manifest/expand.ts";
import { parseCheckedSource } from "../src/manifest/load.ts";
import {
  countManifest,
  countRawManifest,
  imagePathsOf,
  validateManifest,
} from "../src/manifest/validate.ts";

/** One measured child run. */
export interface ChildMeasure {
  /** Wall time of the child process, start to exit, in milliseconds. */
  wallMs: number;
  /** Time of the work inside the child (without Deno's start-up), in milliseconds. */
  ms: number;
  /** User + system CPU time of the child, start-up included, in milliseconds. */
  cpuMs: number;
  /** Peak resident memory of the child, in KiB. */
  peakKb: number;
  /** The JS heap in use after the work, garbage collected, with the result still held, in KiB. */
  heapKb: number;
  jobs: number;
  errors: number;
}

/** The benchmark's result for one manifest. */
export interface ValidateBenchRow {
  manifest: string;
  bytes: number;
  jobs: number;
  /**
   * How the child validated: `countManifest()` (what the `validate` command runs), its YAML
   * steps without the size limit, or `validateManifest()` holding every job (what `plan`
   * and `run` start with).
   */
  how: "validate" | "yaml" | "held";
  validate: ChildMeasure;
  baseline: ChildMeasure;
}

/** The name of the rows of a CSV manifest validated with every job held. */
export const HELD = "CSV, jobs held";

/** Jobs of the largest generated manifests (the target's size). */
export const JOB_COUNT = 1_000_000;

/** Jobs of the smaller manifests, for the growth from them to {@linkcode JOB_COUNT}. */
export const SMALL_JOB_COUNT = 100_000;

/** The target for {@linkcode JOB_COUNT} jobs: wall time and peak RSS of `validate`. */
export const VALIDATE_TARGET = { ms: 5000, kb: 800 * 1024 };

const MODELS = [
  "doubao-seedance-2-0",
  "doubao-seedance-2-0-fast",
  "doubao-seedance-1-5-pro",
  "doubao-seedance-1-0-pro",
];

/**
 * Generate the manifests in a temp folder, validate each in a child
 * process, and measure the bare parser on the same file.
 *
 * @param sizes Job counts, smallest first. @default [SMALL_JOB_COUNT, JOB_COUNT]
 * @returns One row per manifest and size.
 */
export async function runValidateBench(
  sizes: readonly number[] = [SMALL_JOB_COUNT, JOB_COUNT],
): Promise<ValidateBenchRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "seedance-bench-" });
  try {
    await Deno.mkdir(join(dir, "images"));
    await Deno.copyFile(
      new URL("../manifests/images/forest.jpg", import.meta.url),
      join(dir, "images", "forest.jpg"),
    );
    const rows: ValidateBenchRow[] = [];
    for (const format of ["csv", "yaml"] as const) {
      for (const jobs of sizes) {
        const path = join(dir, `bench-${jobs}.${format}`);
        await writeManifest(path, format, jobs);
        const bytes = (await Deno.stat(path)).size;
        // A YAML manifest of 1,000,000 such jobs is over the 200 MiB limit (the CLI refuses
        // it): its child takes the CLI's steps without the size check.
        const how = format === "yaml" && bytes > 200 * 1024 * 1024 ? "yaml" : "validate";
        const validate = await measure(how, path);
        const baseline = await measure("baseline", path);
        rows.push({
          manifest: format.toUpperCase(),
          bytes,
          jobs: validate.jobs,
          how,
          validate,
          baseline,
        });
        if (format === "csv") {
          // The same file validated with every job kept, as `plan` and `run` start.
          const held = await measure("held", path);
          rows.push({
            manifest: HELD,
            bytes,
            jobs: held.jobs,
            how: "held",
            validate: held,
            baseline,
          });
        }
        await Deno.remove(path);
      }
    }
    // Each manifest's sizes together: CSV, then CSV with the jobs held, then YAML.
    return ["CSV", HELD, "YAML"].flatMap((name) => rows.filter((row) => row.manifest === name));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The fields of generated job `i`: models cycle; every tenth 2.0 job carries a shared image. */
function job(
  i: number,
): { id: string; prompt: string; model: string; seconds: number; image?: string } {
  const model = MODELS[i % MODELS.length];
  return {
    id: `job-${String(i).padStart(6, "0")}`,
    prompt: `Scene ${i}: a slow dolly shot across a misty harbour at dawn, gulls overhead, ` +
      `fishing boats rocking gently, warm light, über den Wolken, 日本の港`,
    model,
    seconds: 4 + (i % 6),
    image: model.includes("2-0") && i % 10 < 2 ? "images/forest.jpg" : undefined,
  };
}

/** Write a generated manifest a slice of lines at a time (1,000,000 jobs are 200 MB of text). */
async function writeManifest(path: string, format: "csv" | "yaml", jobs: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let lines = format === "csv"
    ? ["id,prompt,model,seconds,size,resolution,image"]
    : ["defaults:", '  size: "16:9"', "  resolution: 720p", "jobs:"];
  const flush = async (): Promise<void> => {
    const bytes = encoder.encode(lines.join("\n") + "\n");
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    lines = [];
  };
  for (let i = 0; i < jobs; i += 1) {
    const j = job(i);
    if (format === "csv") {
      lines.push(`${j.id},"${j.prompt}",${j.model},${j.seconds},16:9,720p,${j.image ?? ""}`);
    } else {
      lines.push(`  - id: ${j.id}`, `    prompt: "${j.prompt}"`, `    model: ${j.model}`);
      lines.push(`    seconds: ${j.seconds}`);
      if (j.image) lines.push(`    image: ${j.image}`);
    }
    if (lines.length >= 10_000) await flush();
  }
  await flush();
}

async function measure(
  mode: "validate" | "yaml" | "held" | "baseline",
  path: string,
): Promise<ChildMeasure> {
  const script = new URL(import.meta.url).pathname;
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--v8-flags=--expose-gc", script, "child", mode, path],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (!output.success) {
    throw new Error(`The ${mode} child failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const report = JSON.parse(new TextDecoder().decode(output.stdout));
  return { wallMs, ...report };
}

/** User + system CPU time of this process so far, in milliseconds (Linux; NaN elsewhere). */
function cpuMs(): number {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** The child: do the work once, then report times, peak memory and the heap kept. */
async function child(mode: string, path: string): Promise<void> {
  const started = performance.now();
  let jobs = 0;
  let errors = 0;
  let kept: unknown;
  if (mode === "validate") {
    // What the `validate` command does (it then prints the findings: here, none).
    const result = await countManifest(path, { catalog: DEFAULT_CATALOG });
    jobs = result.total;
    errors = result.errors.length;
    kept = result;
  } else if (mode === "held") {
    // What `plan` and `run` start with: every job validated and kept.
    const result = await validateManifest(path, { catalog: DEFAULT_CATALOG });
    jobs = result.total;
    errors = result.errors.length;
    kept = result;
  } else if (mode === "yaml") {
    // What `validate` does with a YAML manifest, without the size limit.
    const manifest = resolve(path);
    const raw = expandManifest(
      parseCheckedSource({ bytes: await Deno.readFile(path) }, { file: path, format: "yaml" }),
    );
    const images = new Map();
    for (const image of imagePathsOf(raw, dirname(manifest))) {
      images.set(image, await readImage(image));
    }
    const result = countRawManifest(raw, {
      catalog: DEFAULT_CATALOG,
      manifest,
      images,
      releaseRawJobs: true,
    });
    jobs = result.total;
    errors = result.errors.length;
    kept = result;
  } else if (path.endsWith(".csv")) {
    const records = parseCsv(await Deno.readFile(path), { bom: true }) as unknown[];
    jobs = records.length - 1;
    kept = records;
  } else {
    const document = yaml.load(await Deno.readTextFile(path)) as { jobs: unknown[] };
    jobs = document.jobs.length;
    kept = document;
  }
  const ms = performance.now() - started;
  const status = await Deno.readTextFile("/proc/self/status");
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const cpu = cpuMs();
  (globalThis as { gc?: () => void }).gc?.();
  const heapKb = Deno.memoryUsage().heapUsed / 1024;
  const report = { ms, cpuMs: cpu, peakKb, heapKb, jobs, errors, kept: kept === undefined ? 0 : 1 };
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report) + "\n"));
}

if (import.meta.main && Deno.args[0] === "child") {
  await child(Deno.args[1], Deno.args[2]);
}
