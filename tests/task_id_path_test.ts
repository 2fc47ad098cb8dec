/**
 * Issue 8 item 15 (b): a task id is one URL path segment. Ids with `/`, `?`,
 * `#` or `%` are percent-encoded and polled where they belong; `.`, `..` and
 * empty ids, which no URL can carry, are a protocol error: the created task
 * is journaled and reported (uncertain, its id in the message), never polled
 * at another path and never resubmitted by a plain run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CometClient } from "../src/api/client.ts";
import { parseTask, taskIdProblem } from "../src/api/wire.ts";
import { ApiError } from "../src/errors.ts";
import { readJsonLines, runCli, withTempDir } from "./helpers/cli.ts";
import { startHostileService } from "./helpers/hostile_service.ts";
import { readReport, sampleJobs, TEST_KEY, writeManifest } from "./e2e/harness.ts";

const GOOD_IDS = ["a/b", "a?b=1", "a#b", "50%", "%2e%2e", "..x", "./"];
const BAD_IDS = [".", ".."];

Deno.test("taskIdProblem() refuses only ids no URL path segment can carry", () => {
  for (const id of GOOD_IDS) assert.equal(taskIdProblem(id), undefined, id);
  for (const id of [...BAD_IDS, " "]) assert.ok(taskIdProblem(id), id);
  assert.throws(() => parseTask({ id: "..", status: "queued" }), /cannot be used in a URL/);
});

Deno.test("getTask() sends nothing for a task id of . or ..", async () => {
  let requests = 0;
  const client = new CometClient({
    baseUrl: "http://127.0.0.1:9",
    apiKey: TEST_KEY,
    fetch: () => {
      requests++;
      return Promise.resolve(new Response("{}"));
    },
  });
  for (const id of BAD_IDS) {
    await assert.rejects(client.getTask(id), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.serviceCode, "task_not_exist");
      return true;
    });
  }
  assert.equal(requests, 0);
});

Deno.test("run polls odd task ids at their own encoded path and keeps . and .. tasks without resubmitting", async () => {
  await withTempDir(async (dir) => {
    const ids = [...GOOD_IDS, ...BAD_IDS];
    // The first two sample jobs carry images; the others one task each.
    const manifest = await writeManifest(dir, sampleJobs(ids.length + 2).slice(2));
    const service = startHostileService({
      submit: (n) => ({ kind: "created", id: ids[n] }),
      task: (id) =>
        ids.includes(id) ? { kind: "succeeded" } : {
          kind: "error",
          status: 400,
          body: { message: "task_not_exist" },
        },
    });
    const env = { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: service.url };
    try {
      const first = await runCli(["run", manifest, "--poll-interval", "0.02", "--max-wait", "3"], {
        env,
      });
      assert.equal(first.code, 1, first.stderr.join("\n"));
      const second = await runCli(["run", manifest, "--poll-interval", "0.02", "--max-wait", "3"], {
        env,
      });
      assert.equal(second.code, 1, second.stderr.join("\n"));
      const posts = service.requests.filter((request) => request.method === "POST");
      assert.equal(posts.length, ids.length, "nothing is resubmitted");
      // Task GETs only: a check of the base URL (an id no service has) may come first.
      const polled = service.requests.filter((request) =>
        request.method === "GET" && request.rawPath.startsWith("/v1/") &&
        !request.rawPath.startsWith("/v1/videos/seedance-batch-check-")
      ).map((request) => request.rawPath);
      for (const path of polled) {
        const id = decodeURIComponent(path.slice("/v1/videos/".length));
        assert.ok(GOOD_IDS.includes(id), `polled ${path}`);
      }
      assert.deepEqual(
        [...new Set(polled)].sort(),
        GOOD_IDS.map((id) => `/v1/videos/${encodeURIComponent(id)}`).sort(),
      );
      const report = await readReport(join(dir, "batch.out"));
      assert.equal(report.totals.done, GOOD_IDS.length);
      assert.equal(report.totals.uncertain, BAD_IDS.length);
      assert.deepEqual(
        report.jobs.filter((job) => job.status === "done").map((job) => job.task_id).sort(),
        [...GOOD_IDS].sort(),
      );
      const journal = await readJsonLines(join(dir, "batch.out", "state.jsonl"));
      const unknown = journal.filter((event) => event.type === "outcome_unknown");
      assert.equal(unknown.length, BAD_IDS.length);
      for (const id of BAD_IDS) {
        assert.ok(
          unknown.some((event) =>
            String(event.message).includes(`task id "${id}" cannot`) &&
            String(event.message).includes("the task exists and may be billed")
          ),
          `the journal keeps task ${id}`,
        );
        assert.ok(first.stderr.concat(first.stdout).some((line) => line.includes(`"${id}"`)));
      }
    } finally {
      await service.close();
    }
  });
});
