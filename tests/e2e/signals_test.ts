import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TextLineStream } from "../helpers/lines.ts";
import { readJsonLines, runCli, withTempDir } from "../helpers/cli.ts";
import {
  listFiles,
  readReport,
  runAgainst,
  sampleJobs,
  startService,
  TEST_KEY,
  type TestService,
  writeManifest,
} from "./harness.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** A `run` child process whose log lines can be awaited one by one. */
function spawnRun(manifest: string, service: TestService, key = TEST_KEY): {
  child: Deno.ChildProcess;
  waitForLine: (pattern: RegExp) => Promise<string>;
  lines: string[];
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, "run", manifest, "--poll-interval", "0.02", "--concurrency", "2"],
    env: { COMETAPI_KEY: key, COMETAPI_BASE_URL: service.url },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  (async () => {
    const stream = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    );
    for await (const line of stream) {
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.pattern.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  })();
  const waitForLine = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ pattern, resolve }));
  };
  return { child, waitForLine, lines };
}

Deno.test("SIGINT stops a run with exit 130 and the state saved; the next run finishes without resubmitting", async () => {
  await withTempDir(async (dir) => {
    const service = await startService({ renderMs: 400 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(5));
      const { child, waitForLine, lines } = spawnRun(manifest, service);
      await waitForLine(/submitted as task/);
      child.kill("SIGINT");
      const status = await child.status;
      assert.equal(status.code, 130, lines.join("\n"));

      const outDir = join(dir, "batch.out");
      assert.ok(!(await listFiles(outDir)).includes(".lock"), "the lock is released");
      const events = await readJsonLines(join(outDir, "state.jsonl"));
      const submitted = events.filter((event) => event.type === "submitted").length;
      assert.ok(submitted >= 1);
      assert.equal(service.stats().tasksCreated, submitted, "every created task is journaled");

      const resumed = await runAgainst(manifest, service, ["--concurrency", "2"]);
      assert.equal(resumed.code, 0, resumed.stderr.join("\n"));
      assert.equal(service.stats().tasksCreated, 5);
      assert.equal((await readReport(outDir)).totals.done, 5);
    } finally {
      await service.close();
    }
  });
});

Deno.test("a second run on the same output folder exits 75 having sent nothing", async () => {
  await withTempDir(async (dir) => {
    // No fixed key: each run's key gets its own label in the simulator's records.
    const service = await startService({ key: undefined, renderMs: 5000 });
    try {
      const manifest = await writeManifest(dir, sampleJobs(3));
      const first = spawnRun(manifest, service, "sk-first-run-key");
      await first.waitForLine(/submitted as task/);
      const second = await runCli(["run", manifest, "--poll-interval", "0.02"], {
        env: { COMETAPI_KEY: "sk-second-run-key", COMETAPI_BASE_URL: service.url },
      });
      assert.equal(second.code, 75);
      assert.match(second.stderr.join("\n"), /another run holds this output folder \(pid \d+/);
      const labels = new Set(service.stats().submissions.map((s) => s.key));
      assert.deepEqual([...labels], ["key-1"], "only the first run submitted");

      first.child.kill("SIGTERM");
      assert.equal((await first.child.status).code, 130);
    } finally {
      await service.close();
    }
  });
});

Deno.test("status shows the journal's view without touching the network", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    let requests: number;
    const manifest = await writeManifest(dir, sampleJobs(3));
    try {
      // A run that leaves every task rendering (a --once pass now keeps working).
      assert.equal((await runAgainst(manifest, service, ["--max-wait", "0.001"])).code, 3);
      const stats = service.stats().requests;
      requests = stats.submit + stats.poll + stats.download + stats.other;
    } finally {
      await service.close();
    }
    // The service is gone: status still answers from the journal.
    const text = await runCli(["status", manifest], { env: {} });
    assert.equal(text.code, 3, "work pending, as a run would say");
    assert.match(text.stdout.at(-1)!, /^3 jobs: 0 done, \d running, \d pending/);
    const json = await runCli(["status", manifest, "--json"], { env: {} });
    const report = JSON.parse(json.stdout.join("\n"));
    assert.equal(report.totals.jobs, 3);
    assert.equal(report.totals.running + report.totals.pending, 3);
    assert.ok(requests > 0);
  });
});
