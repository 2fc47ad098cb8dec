/**
 * `run` checks that the base URL is the video API before its first submit:
 * a wrong URL stops it with nothing sent and no job marked, within a bound.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "../helpers/cli.ts";
import { withServer } from "../helpers/http_server.ts";
import {
  readReport,
  runAgainst,
  sampleJobs,
  startService,
  TEST_KEY,
  writeManifest,
} from "./harness.ts";

/** A 127.0.0.1 port nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function runAt(manifest: string, baseUrl: string): ReturnType<typeof runCli> {
  return runCli(["run", manifest, "--poll-interval", "0.05"], {
    env: { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: baseUrl },
  });
}

/** The job events in a journal (none when it was never written). */
async function jobEvents(outDir: string): Promise<string[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(join(outDir, "state.jsonl"));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return text.split("\n").filter((line) => line.includes('"job"'));
}

Deno.test("run stops with exit 2 and nothing sent when nothing listens at the base URL", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(3));
    const url = `http://127.0.0.1:${closedPort()}`;
    const result = await runAt(manifest, url);
    assert.equal(result.code, 2);
    const printed = result.stderr.join("\n");
    assert.match(printed, new RegExp(`Cannot reach the video API at ${url}`));
    assert.match(printed, /Nothing was sent/);
    assert.deepEqual(await jobEvents(join(dir, "batch.out")), []);
  });
});

Deno.test("run stops with exit 2 and no job marked when the base URL serves a web page", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(3));
    const methods: string[] = [];
    await withServer((request) => {
      methods.push(request.method);
      return new Response("<html><body>Not Implemented</body></html>", {
        status: 501,
        headers: { "content-type": "text/html" },
      });
    }, async (url) => {
      const result = await runAt(manifest, url);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr.join("\n"),
        /it is not the video API \(it answered 501 with a web page/,
      );
    });
    assert.deepEqual(methods, ["GET"], "one check, no POST");
    assert.deepEqual(await jobEvents(join(dir, "batch.out")), []);
    const status = await runCli(["status", manifest]);
    assert.equal(status.code, 3, "every job still pending, none uncertain or failed");
  });
});

Deno.test("run stops with exit 2 when the route answers 404 (a base URL with a wrong path)", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(2));
      const result = await runAt(manifest, `${service.url}/api`);
      assert.equal(result.code, 2);
      assert.equal(service.stats().requests.submit, 0);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run accepts a base URL ending in /v1", async () => {
  await withTempDir(async (dir) => {
    const service = await startService();
    try {
      const manifest = await writeManifest(dir, sampleJobs(2));
      const result = await runAgainst(manifest, { ...service, url: `${service.url}/v1/` });
      assert.equal(result.code, 0, result.stderr.join("\n"));
      assert.equal((await readReport(join(dir, "batch.out"))).totals.done, 2);
      assert.equal(service.stats().requests.submit, 2);
    } finally {
      await service.close();
    }
  });
});
