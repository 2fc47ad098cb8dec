/**
 * Issue 8 item 13: ids, status words, task ids and service messages reach
 * the terminal with their control characters escaped, never raw; the JSON
 * log stays JSON.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { escapeControls } from "../src/text.ts";
import { progressPrinter } from "../src/cli/progress.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { startHostileService } from "./helpers/hostile_service.ts";
import { TEST_KEY } from "./e2e/harness.ts";

/** Any character a terminal acts on. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const ESC = "\x1b";
const BEL = "\x07";
const RETITLE = `${ESC}]0;pwned${BEL}`;
const RED = `${ESC}[31m`;

Deno.test("escapeControls() shows every control character as a visible escape", () => {
  assert.equal(escapeControls(`a${RETITLE}b`), "a\\x1b]0;pwned\\x07b");
  assert.equal(escapeControls("one\ntwo\r\tthree\0"), "one\\x0atwo\\x0d\\x09three\\x00");
  assert.equal(
    escapeControls("del\x7f csi\x9b bidi\u202e end"),
    "del\\u007f csi\\u009b bidi\\u202e end",
  );
  assert.equal(escapeControls("plain: é ✓ 16:9 \\x1b"), "plain: é ✓ 16:9 \\x1b");
  // The \u escapes keep a JSON line JSON, with the same value.
  const line = JSON.stringify({ message: "csi\x9b\u2028" });
  assert.deepEqual(JSON.parse(escapeControls(line)), { message: "csi\x9b\u2028" });
});

Deno.test("progressPrinter() escapes control characters in ids, status words, task ids and messages", () => {
  const lines: string[] = [];
  const print = progressPrinter((line) => lines.push(line), { format: "text", quiet: false });
  const job = `clip${RETITLE}`;
  print({ type: "job_submitted", job, task: `task${RED}` });
  print({ type: "unknown_status", job, task: "t", word: `weird${RED}` });
  print({ type: "job_failed", job, error: { code: "x", message: `boom${BEL}\r\nfake line` } });
  assert.equal(lines.length, 3);
  for (const line of lines) assert.doesNotMatch(line, RAW_CONTROL, line);
  assert.equal(lines[0], "clip\\x1b]0;pwned\\x07: submitted as task task\\x1b[31m");
  assert.match(lines[2], /boom\\x07\\x0d\\x0afake line$/);
});

Deno.test("run, status and report print no raw control character from the manifest or the service", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    const ids = [`ok${RETITLE}`, `bad${RED}${BEL}`, `odd\u009b2J`];
    await Deno.writeTextFile(
      manifest,
      ids.map((id, at) =>
        `- id: ${JSON.stringify(id)}\n  prompt: take ${at}\n  model: doubao-seedance-1-0-pro\n`
      ).join(""),
    );
    const service = startHostileService({
      submit: (n) => ({ kind: "created", id: `task-${n}${RED}` }),
      task: (id) => {
        if (id.startsWith("task-0")) return { kind: "succeeded", status: `SUCCESS` };
        if (id.startsWith("task-1")) {
          return {
            kind: "failed",
            code: `code${ESC}[2J`,
            message: `the render failed${RETITLE}\r\nFAKE: all good`,
          };
        }
        return { kind: "running", status: `painting${RED}` };
      },
    });
    try {
      const env = { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: service.url };
      const printed: string[] = [];
      for (const format of ["json", "text"]) {
        const result = await runCli(
          [
            "run",
            manifest,
            "--poll-interval",
            "0.02",
            "--once",
            "--pass-time",
            "1",
            "--log-format",
            format,
          ],
          { env },
        );
        assert.equal(result.code, 3, result.stderr.join("\n"));
        printed.push(...result.stdout, ...result.stderr);
        if (format === "json") {
          for (const line of result.stdout) JSON.parse(line);
        }
      }
      const status = await runCli(["status", manifest], { env });
      printed.push(...status.stdout, ...status.stderr);
      // status --json is pretty-printed JSON: its own line feeds stay, and it stays JSON.
      const statusJson = await runCli(["status", manifest, "--json"], { env });
      const report = JSON.parse(statusJson.stdout.join("\n"));
      assert.equal(report.jobs[1].error.message, `the render failed${RETITLE}\r\nFAKE: all good`);
      printed.push(...statusJson.stdout.join("\n").split("\n"), ...statusJson.stderr);
      const reported = await runCli(["report", manifest], { env });
      printed.push(...reported.stdout, ...reported.stderr);
      const validate = await runCli(["validate", join(dir, `missing${RETITLE}.yaml`)]);
      assert.equal(validate.code, 2);
      printed.push(...validate.stdout, ...validate.stderr);
      for (const line of printed) assert.doesNotMatch(line, RAW_CONTROL, JSON.stringify(line));
      const all = printed.join("\n");
      assert.match(all, /ok\\x1b\]0;pwned\\x07/);
      assert.match(all, /the render failed\\x1b\]0;pwned\\x07\\x0d\\x0aFAKE: all good/);
      assert.match(all, /unknown status "painting\\x1b\[31m"/);
      assert.match(all, /running {4}task task-2\\x1b\[31m/);
      assert.match(all, /missing\\x1b\]0;pwned\\x07\.yaml/);
    } finally {
      await service.close();
    }
  });
});

Deno.test("the mod.ts entry point prints no raw control character either", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "batch.yaml");
    // JSON quoting in the issue line escapes C0 controls but not U+009B (a one-byte CSI).
    await Deno.writeTextFile(manifest, `- id: "odd\\u009b2J"\n  prompt: hi\n  model: nope\n`);
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../mod.ts", import.meta.url).pathname, "validate", manifest],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 2);
    const printed = new TextDecoder().decode(child.stderr) + new TextDecoder().decode(child.stdout);
    assert.match(printed, /odd\\u009b2J/);
    for (const line of printed.split("\n")) assert.doesNotMatch(line, RAW_CONTROL, line);
  });
});
