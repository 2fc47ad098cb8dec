/**
 * The floor of the runner's CPU per job, measured in the same run as the
 * runner: what the bare operations a job cannot do without cost on this
 * machine, each in a child process of its own (bench/child.ts), with the
 * child's CPU (user + system, all threads) per operation:
 *
 * - a bare `fetch` loop against the simulator (GET of one task's small JSON,
 *   read with `text()`), 50 in flight like the runner's slots;
 * - a bare file loop: create a file, write 5 KB, `fdatasync`, close, rename
 *   (what a downloaded video minimally costs), 3 at once like the runner's
 *   downloads;
 * - a bare journal append: one line written and `fdatasync`ed, one at a time.
 *
 * The runner's CPU per job is then compared with requests per job × the bare
 * request + the bare file (+ the journal's fsyncs, shown apart).
 *
 * @module
 */
import { join } from "node:path";
import { startSimulator } from "../src/simulator/server.ts";
import { runChild } from "./measure.ts";

/** The bare operations' CPU, microseconds each. */
export interface Floor {
  /** CPU per bare `fetch` GET of a task (JSON read), µs. */
  requestUs: number;
  /** CPU per bare create + write 5 KB + fdatasync + close + rename, µs. */
  fileUs: number;
  /** CPU per bare journal line appended and fdatasynced, µs. */
  journalUs: number;
  /** How many of each were timed. */
  requests: number;
  files: number;
  appends: number;
}

const KEY = "sk-bench-floor";

/**
 * Measure the floor.
 *
 * @param dir A folder on the file system the runner writes to.
 * @param quick Few operations (figures only).
 * @returns The CPU of each bare operation.
 */
export async function measureFloor(dir: string, quick: boolean): Promise<Floor> {
  const requests = quick ? 200 : 5000;
  const files = quick ? 50 : 1000;
  const appends = quick ? 50 : 1000;
  const simulator = startSimulator({ seed: 1, key: KEY, renderMs: 0 });
  let requestUs: number;
  try {
    const form = new FormData();
    form.append("prompt", "The floor: one task, fetched again and again");
    form.append("model", "doubao-seedance-1-0-pro");
    form.append("seconds", "5");
    form.append("size", "16:9");
    form.append("resolution", "720p");
    const created = await fetch(`${simulator.url}/v1/videos`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}` },
      body: form,
    });
    const task = await created.json() as { id: string };
    const child = await runChild(
      ["fetch-floor", `${simulator.url}/v1/videos/${task.id}`, String(requests), "50"],
      { COMETAPI_KEY: KEY },
    );
    requestUs = child.cpuUs / requests;
  } finally {
    await simulator.shutdown();
  }
  const folder = join(dir, "floor");
  await Deno.mkdir(folder, { recursive: true });
  try {
    const file = await runChild(["file-floor", folder, String(files), "3"], {});
    const journal = await runChild(["journal-floor", folder, String(appends)], {});
    return {
      requestUs,
      fileUs: file.cpuUs / files,
      journalUs: journal.cpuUs / appends,
      requests,
      files,
      appends,
    };
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/**
 * The bare work of a job with `requests` HTTP requests: requests × a bare
 * request + one bare file, in ms.
 *
 * @param floor The measured floor.
 * @param requests Requests per job.
 * @returns Milliseconds of CPU.
 */
export function floorPerJobMs(floor: Floor, requests: number): number {
  return (requests * floor.requestUs + floor.fileUs) / 1000;
}

/**
 * The bare loops, run in the measured child (bench/child.ts).
 *
 * @param mode `fetch-floor`, `file-floor` or `journal-floor`.
 * @param args The mode's arguments.
 */
export async function floorChild(mode: string, args: string[]): Promise<void> {
  if (mode === "fetch-floor") {
    const [url, count, inFlight] = [args[0], Number(args[1]), Number(args[2])];
    const headers = { Authorization: `Bearer ${Deno.env.get("COMETAPI_KEY") ?? ""}` };
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next++;
        const response = await fetch(url, { headers });
        await response.text();
      }
    }));
  } else if (mode === "file-floor") {
    const [folder, count, inFlight] = [args[0], Number(args[1]), Number(args[2])];
    const bytes = new Uint8Array(5000).fill(7);
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const part = join(folder, `video-${next}.mp4.part`);
        const final = join(folder, `video-${next++}.mp4`);
        const file = await Deno.open(part, { write: true, createNew: true });
        await file.write(bytes);
        await file.syncData();
        file.close();
        await Deno.rename(part, final);
      }
    }));
  } else if (mode === "journal-floor") {
    const [folder, count] = [args[0], Number(args[1])];
    const line = new TextEncoder().encode(
      JSON.stringify({ type: "x", pad: "y".repeat(140) }) + "\n",
    );
    using file = await Deno.open(join(folder, "state.jsonl"), { append: true, create: true });
    for (let i = 0; i < count; i++) {
      await file.write(line);
      await file.syncData();
    }
  } else throw new Error(`Unknown floor mode "${mode}"`);
}
