/**
 * Benchmark: validate a generated 100,000-job CSV manifest and a
 * 100,000-job YAML manifest, each in its own child process, measuring wall
 * time and peak memory (VmHWM), against a baseline of the bare parser
 * (csv-parse / js-yaml) on the same file in the same run.
 *
 * Run through `deno task bench` (bench/run.ts). Run directly with
 * `child <validate|baseline> <file>` it is the child: it does the work once
 * and prints `{"ms","peakKb","jobs","errors"}` as JSON.
 *
 * @module
 */
import { join } from "node:path";
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";

/** One measured child run. */
export interface ChildMeasure {
  /** Wall time of the child process, start to exit, in milliseconds. */
  wallMs: number;
  /** Time of the work inside the child (without Deno's start-up), in milliseconds. */
  ms: number;
  /** Peak resident memory of the child, in KiB. */
  peakKb: number;
  jobs: number;
  errors: number;
}

/** The benchmark's result for one manifest. */
export interface ValidateBenchRow {
  manifest: string;
  /** Extra V8 flags of the validating child, if any. */
  v8Flags?: string;
  bytes: number;
  jobs: number;
  validate: ChildMeasure;
  baseline: ChildMeasure;
}

/** A V8 flag that makes the garbage collector keep the heap small; measured as a second row. */
export const OPTIMIZE_FOR_SIZE = "--optimize-for-size";

/** Jobs per generated manifest. */
export const JOB_COUNT = 100_000;

const MODELS = [
  "doubao-seedance-2-0",
  "doubao-seedance-2-0-fast",
  "doubao-seedance-1-5-pro",
  "doubao-seedance-1-0-pro",
];

/**
 * Generate both manifests in a temp folder, validate each in a child
 * process, and measure the bare parser on the same file.
 *
 * @param jobs Jobs in each generated manifest. @default JOB_COUNT
 * @returns One row per manifest.
 */
export async function runValidateBench(jobs: number = JOB_COUNT): Promise<ValidateBenchRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "seedance-bench-" });
  try {
    await Deno.mkdir(join(dir, "images"));
    await Deno.copyFile(
      new URL("../manifests/images/forest.jpg", import.meta.url),
      join(dir, "images", "forest.jpg"),
    );
    const rows: ValidateBenchRow[] = [];
    for (const format of ["csv", "yaml"] as const) {
      const path = join(dir, `bench.${format}`);
      await Deno.writeTextFile(path, format === "csv" ? csvManifest(jobs) : yamlManifest(jobs));
      const bytes = (await Deno.stat(path)).size;
      const baseline = await measure("baseline", path);
      for (const v8Flags of [undefined, OPTIMIZE_FOR_SIZE]) {
        const validate = await measure("validate", path, v8Flags);
        rows.push({
          manifest: format.toUpperCase(),
          v8Flags,
          bytes,
          jobs: validate.jobs,
          validate,
          baseline,
        });
      }
    }
    return rows;
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

function csvManifest(jobs: number): string {
  const lines = ["id,prompt,model,seconds,size,resolution,image"];
  for (let i = 0; i < jobs; i += 1) {
    const j = job(i);
    lines.push(`${j.id},"${j.prompt}",${j.model},${j.seconds},16:9,720p,${j.image ?? ""}`);
  }
  return lines.join("\n") + "\n";
}

function yamlManifest(jobs: number): string {
  const lines = ["defaults:", '  size: "16:9"', "  resolution: 720p", "jobs:"];
  for (let i = 0; i < jobs; i += 1) {
    const j = job(i);
    lines.push(`  - id: ${j.id}`, `    prompt: "${j.prompt}"`, `    model: ${j.model}`);
    lines.push(`    seconds: ${j.seconds}`);
    if (j.image) lines.push(`    image: ${j.image}`);
  }
  return lines.join("\n") + "\n";
}

async function measure(
  mode: "validate" | "baseline",
  path: string,
  v8Flags?: string,
): Promise<ChildMeasure> {
  const script = new URL(import.meta.url).pathname;
  const flags = v8Flags ? [`--v8-flags=${v8Flags}`] : [];
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...flags, script, "child", mode, path],
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

/** The child: do the work once, then report time and peak memory. */
async function child(mode: string, path: string): Promise<void> {
  const started = performance.now();
  let jobs = 0;
  let errors = 0;
  if (mode === "validate") {
    const result = await validateManifest(path, { catalog: DEFAULT_CATALOG });
    jobs = result.total;
    errors = result.errors.length;
  } else if (path.endsWith(".csv")) {
    const records = parseCsv(await Deno.readFile(path), { bom: true }) as unknown[];
    jobs = records.length - 1;
  } else {
    const document = yaml.load(await Deno.readTextFile(path)) as { jobs: unknown[] };
    jobs = document.jobs.length;
  }
  const ms = performance.now() - started;
  const status = await Deno.readTextFile("/proc/self/status");
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const report = { ms, peakKb, jobs, errors };
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report) + "\n"));
}

if (import.meta.main && Deno.args[0] === "child") {
  await child(Deno.args[1], Deno.args[2]);
}
