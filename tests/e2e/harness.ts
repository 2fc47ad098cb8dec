/**
 * Shared pieces of the end-to-end tests: a manifest in a temp folder, the
 * simulator on a free port, and readers for what a run left behind.
 *
 * @module
 */
import { join } from "node:path";
import { startSimulator } from "../../src/simulator/server.ts";
import type { SimulatorServerOptions } from "../../src/simulator/server.ts";
import type { SimulatorStats } from "../../src/simulator/stats.ts";
import { makePng } from "../helpers/images.ts";
import { runCli } from "../helpers/cli.ts";

/** The API key the tests use; it must never appear in any file or output. */
export const TEST_KEY = "sk-test-DO-NOT-LEAK-4f9a2c";

/** A job as the tests write it into a YAML manifest. */
export interface TestJob {
  id: string;
  prompt: string;
  model: string;
  seconds?: number;
  size?: string;
  resolution?: string;
  image?: string[];
}

/** A manifest of `count` jobs: two 2.0 jobs with images, the rest 1.x jobs. */
export function sampleJobs(count: number): TestJob[] {
  const jobs: TestJob[] = [];
  for (let i = 1; i <= count; i++) {
    const withImages = i <= 2;
    jobs.push({
      id: `clip-${String(i).padStart(3, "0")}`,
      prompt: `Scene ${i}: a lantern drifting over a lake, take ${i}`,
      model: withImages
        ? "doubao-seedance-2-0"
        : i % 2
        ? "doubao-seedance-1-0-pro"
        : "doubao-seedance-1-5-pro",
      seconds: 4 + (i % 3),
      size: ["16:9", "9:16", "1:1"][i % 3],
      resolution: withImages ? "480p" : "720p",
      image: withImages
        ? (i === 1 ? ["images/a.png", "images/b.png"] : ["images/a.png"])
        : undefined,
    });
  }
  return jobs;
}

/**
 * Write a YAML manifest (and the images it names) into `dir`.
 *
 * @returns The manifest's path.
 */
export async function writeManifest(
  dir: string,
  jobs: TestJob[],
  name = "batch.yaml",
): Promise<string> {
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  await Deno.writeFile(join(dir, "images/a.png"), await makePng(400, 320, 90));
  await Deno.writeFile(join(dir, "images/b.png"), await makePng(320, 400, 200));
  const lines = ["jobs:"];
  for (const job of jobs) {
    lines.push(`  - id: ${job.id}`);
    lines.push(`    prompt: ${JSON.stringify(job.prompt)}`);
    lines.push(`    model: ${job.model}`);
    if (job.seconds !== undefined) lines.push(`    seconds: ${job.seconds}`);
    if (job.size !== undefined) lines.push(`    size: "${job.size}"`);
    if (job.resolution !== undefined) lines.push(`    resolution: ${job.resolution}`);
    if (job.image) lines.push(`    image: [${job.image.join(", ")}]`);
  }
  const path = join(dir, name);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** A simulator on a free port with fast renders, stopped by `using`-style `close`. */
export interface TestService {
  url: string;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

/**
 * Start the simulator for one test.
 *
 * @param options Simulator options over fast test defaults.
 */
export async function startService(
  options: SimulatorServerOptions = {},
): Promise<TestService> {
  const simulator = await startSimulator({
    seed: 7,
    key: TEST_KEY,
    renderMs: { min: 20, max: 120 },
    urlTtlMs: 60_000,
    ...options,
  });
  return { url: simulator.url, stats: () => simulator.stats(), close: () => simulator.shutdown() };
}

/** Environment of a run against `service`. */
export function envFor(service: TestService): Record<string, string> {
  return { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: service.url };
}

/**
 * `run` against the service with fast timings.
 *
 * @param manifest The manifest.
 * @param service The simulator.
 * @param extra More flags.
 */
export function runAgainst(
  manifest: string,
  service: TestService,
  extra: string[] = [],
  interrupt?: AbortSignal,
): ReturnType<typeof runCli> {
  return runCli(["run", manifest, "--poll-interval", "0.02", ...extra], {
    env: envFor(service),
    interrupt,
  });
}

/** The report.json of an output folder. */
export interface Report {
  manifest: string;
  generated_at: string;
  totals: Record<string, number>;
  jobs: Array<Record<string, unknown> & { id: string; status: string }>;
}

/**
 * Read `<out>/report.json`.
 *
 * @param outDir The output folder.
 */
export async function readReport(outDir: string): Promise<Report> {
  return JSON.parse(await Deno.readTextFile(join(outDir, "report.json")));
}

/**
 * Every file under a folder, recursively, as paths relative to it.
 *
 * @param dir The folder.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  async function walk(sub: string): Promise<void> {
    for await (const entry of Deno.readDir(join(dir, sub))) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(path);
      else files.push(path);
    }
  }
  await walk("");
  return files.sort();
}

/** Hex SHA-256 of a file. */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Assert that the key appears in no file under `dir` and in no printed line. */
export async function keyAppearsNowhere(dir: string, printed: string[]): Promise<boolean> {
  for (const file of await listFiles(dir)) {
    const bytes = await Deno.readFile(join(dir, file));
    if (new TextDecoder().decode(bytes).includes(TEST_KEY)) return false;
  }
  return !printed.some((line) => line.includes(TEST_KEY));
}
