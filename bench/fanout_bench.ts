/**
 * Benchmark: fan-out at scale. A YAML manifest of 1,000 entries, each
 * expanding through `matrix` and `variants` to 100 jobs (100,000 in all),
 * against the same 100,000 jobs written out flat, one row each, measured in
 * the same run. Each is validated and planned (`validateManifest`, then the
 * plan's counts and the spend estimate with a price list) in its own child
 * process, for wall time and peak memory (VmHWM).
 *
 * Run through `deno task bench` (bench/run.ts). Run directly with
 * `child <manifest> <prices>` it is the child: it does the work once and
 * prints `{"ms","peakKb","jobs","entries","errors","toCome"}` as JSON.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { summarizePlan } from "../src/plan_summary.ts";
import { estimateSpend } from "../src/estimate.ts";
import { formatMoney, loadPrices } from "../src/prices.ts";

/** Entries of the fan-out manifest. */
export const FANOUT_ENTRIES = 1_000;

/** Places x sizes x variants: the jobs each entry expands to. */
const PLACES = ["harbour", "forest", "desert", "city", "glacier"];
const SIZES = ["16:9", "9:16"];
const VARIANTS = 10;

/** Jobs each entry expands to. */
export const JOBS_PER_ENTRY = PLACES.length * SIZES.length * VARIANTS;

const MODELS = ["doubao-seedance-2-0", "doubao-seedance-2-0-fast", "doubao-seedance-1-5-pro"];

/** One measured child run. */
export interface FanoutMeasure {
  /** Wall time of the child process, start to exit, in milliseconds. */
  wallMs: number;
  /** Time of the work inside the child (without Deno's start-up), in milliseconds. */
  ms: number;
  /** Peak resident memory of the child, in KiB. */
  peakKb: number;
  jobs: number;
  entries: number | null;
  errors: number;
  /** The estimate's to-come amount, as text (the same for both manifests). */
  toCome: string;
}

/** The benchmark's result: the flat manifest and the fan-out one, each once. */
export interface FanoutBenchResult {
  flat: FanoutMeasure & { bytes: number };
  fanout: FanoutMeasure & { bytes: number };
}

/**
 * Generate both manifests in a temp folder and validate and plan each in a child process.
 *
 * @param entries How many fan-out entries (the flat manifest holds their jobs).
 * @returns The two measures.
 */
export async function runFanoutBench(
  entries: number = FANOUT_ENTRIES,
): Promise<FanoutBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "seedance-fanout-bench-" });
  try {
    const prices = join(dir, "prices.yaml");
    await Deno.writeTextFile(
      prices,
      "currency: XXX\ndoubao-seedance-2-0: {480p: 1, 720p: 2}\ndoubao-seedance-2-0-fast: 1\n" +
        "doubao-seedance-1-5-pro: 3\n",
    );
    const fanoutPath = join(dir, "fanout.yaml");
    const flatPath = join(dir, "flat.yaml");
    await Deno.writeTextFile(fanoutPath, fanoutManifest(entries));
    await Deno.writeTextFile(flatPath, flatManifest(entries));
    const flat = await measure(flatPath, prices);
    const fanout = await measure(fanoutPath, prices);
    return {
      flat: { ...flat, bytes: (await Deno.stat(flatPath)).size },
      fanout: { ...fanout, bytes: (await Deno.stat(fanoutPath)).size },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function prompt(entry: number): string {
  return `Scene ${entry}: a slow dolly shot across a misty {place} at dawn, warm light, ` +
    "über den Wolken, 日本の港";
}

function fanoutManifest(entries: number): string {
  const lines = ["defaults:", "  resolution: 720p", "  seconds: 5", "jobs:"];
  for (let entry = 0; entry < entries; entry += 1) {
    lines.push(
      `  - id: e${String(entry).padStart(4, "0")}`,
      `    prompt: "${prompt(entry)}"`,
      `    model: ${MODELS[entry % MODELS.length]}`,
      `    variants: ${VARIANTS}`,
      "    matrix:",
      `      place: [${PLACES.join(", ")}]`,
      `      size: [${SIZES.map((size) => `"${size}"`).join(", ")}]`,
    );
  }
  return lines.join("\n") + "\n";
}

/** The same jobs as {@linkcode fanoutManifest}, one row each, in the same order. */
function flatManifest(entries: number): string {
  const lines = ["defaults:", "  resolution: 720p", "  seconds: 5", "jobs:"];
  for (let entry = 0; entry < entries; entry += 1) {
    const id = `e${String(entry).padStart(4, "0")}`;
    const model = MODELS[entry % MODELS.length];
    for (const place of PLACES) {
      for (const size of SIZES) {
        for (let k = 1; k <= VARIANTS; k += 1) {
          lines.push(
            `  - id: ${id}-${place}-${size.replace(":", "-")}-v${k}`,
            `    prompt: "${prompt(entry).replace("{place}", place)}"`,
            `    model: ${model}`,
            `    size: "${size}"`,
          );
        }
      }
    }
  }
  return lines.join("\n") + "\n";
}

async function measure(path: string, prices: string): Promise<FanoutMeasure> {
  const script = new URL(import.meta.url).pathname;
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, "child", path, prices],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (!output.success) {
    throw new Error(`The child for ${path} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return { wallMs, ...JSON.parse(new TextDecoder().decode(output.stdout)) };
}

/** The child: validate and plan once (with the estimate), then report time and peak memory. */
async function child(path: string, pricesPath: string): Promise<void> {
  const started = performance.now();
  const result = await validateManifest(path, { catalog: DEFAULT_CATALOG });
  const { prices } = await loadPrices(pricesPath, DEFAULT_CATALOG);
  summarizePlan(result.jobs);
  const estimate = estimateSpend(result.jobs, new Map(), prices);
  const ms = performance.now() - started;
  const status = await Deno.readTextFile("/proc/self/status");
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const report = {
    ms,
    peakKb,
    jobs: result.total,
    entries: result.entries ?? null,
    errors: result.errors.length,
    toCome: formatMoney(estimate.byCategory.to_come.amount, prices.currency),
  };
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report) + "\n"));
}

if (import.meta.main && Deno.args[0] === "child") {
  await child(Deno.args[1], Deno.args[2]);
}
