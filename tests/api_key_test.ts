/**
 * Issue 8 item 11: a COMETAPI_KEY that cannot travel in an HTTP header is a
 * usage error (exit 2) before anything is sent, and the message never quotes it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { keyProblem } from "../src/api/key.ts";
import { CometClient } from "../src/api/client.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { listFiles, sampleJobs, startService, writeManifest } from "./e2e/harness.ts";

const SECRET = "sk-live-SECRET-7d1e";

const BAD_KEYS: Array<[string, string, RegExp]> = [
  ["two lines", `${SECRET}\nsk-second-line`, /a line break at character 20 of/],
  ["a CR LF inside", `${SECRET}\r\nrest`, /a line break at character 20/],
  ["a lone CR", `${SECRET}\rrest`, /a line break/],
  ["a NUL", `${SECRET}\0`.padEnd(24, "x"), /a NUL character/],
  ["an ESC", `${SECRET}\x1b[31m`, /a control character \(U\+001B\)/],
  ["a DEL", `${SECRET}\x7fx`, /a control character \(U\+007F\)/],
  ["a C1 control", `${SECRET}\u0085x`, /a control character \(U\+0085\)/],
  ["a space inside", `${SECRET} x`, /a space or tab/],
  ["a tab inside", `${SECRET}\tx`, /a space or tab/],
  ["a non-ASCII letter", `${SECRET}é`, /outside printable ASCII/],
];

Deno.test("keyProblem() accepts printable ASCII and names the first bad character's kind", async (t) => {
  assert.equal(keyProblem(SECRET), undefined);
  assert.equal(keyProblem("sk-AZaz09._~+/="), undefined);
  for (const [name, key, expected] of BAD_KEYS) {
    await t.step(name, () => {
      const problem = keyProblem(key);
      assert.match(problem ?? "", expected);
      assert.ok(!problem?.includes(SECRET));
    });
  }
});

Deno.test("run refuses a key with a line break or control character with exit 2 and sends nothing", async (t) => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(3));
    const service = await startService({ key: undefined });
    try {
      for (const [name, key, expected] of BAD_KEYS) {
        await t.step(name, async () => {
          const result = await runCli(["run", manifest, "--poll-interval", "0.02"], {
            env: { COMETAPI_KEY: key, COMETAPI_BASE_URL: service.url },
          });
          assert.equal(result.code, 2);
          const printed = [...result.stdout, ...result.stderr].join("\n");
          assert.match(printed, /Cannot use COMETAPI_KEY: /);
          assert.match(printed, expected);
          assert.ok(!printed.includes(SECRET), printed);
          assert.doesNotMatch(printed, /uncertain|UNCERTAIN/);
        });
      }
      assert.deepEqual(service.stats().requests, { submit: 0, poll: 0, download: 0, other: 0 });
      const out = join(dir, "batch.out");
      const files = await listFiles(out).catch(() => []);
      for (const file of files) {
        const text = await Deno.readTextFile(join(out, file));
        assert.ok(!text.includes('"submitting"'), `${file} records a submission`);
      }
    } finally {
      await service.close();
    }
  });
});

Deno.test("run still trims whitespace around a key read from a file", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(1));
    const service = await startService({ key: SECRET });
    try {
      const result = await runCli(["run", manifest, "--poll-interval", "0.02", "--quiet"], {
        env: { COMETAPI_KEY: `  ${SECRET}\r\n`, COMETAPI_BASE_URL: service.url },
      });
      assert.equal(result.code, 0, result.stderr.join("\n"));
      assert.equal(service.stats().requests.submit, 1);
    } finally {
      await service.close();
    }
  });
});

Deno.test("CometClient refuses a key that cannot travel in a header, without quoting it", () => {
  for (const [, key] of BAD_KEYS) {
    assert.throws(
      () => new CometClient({ baseUrl: "http://127.0.0.1:9", apiKey: key }),
      (error: unknown) =>
        error instanceof TypeError && /^Cannot use the API key: /.test(error.message) &&
        !error.message.includes(SECRET),
    );
  }
});
