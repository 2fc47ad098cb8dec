import assert from "node:assert/strict";
import { parseCommand } from "../src/cli/args.ts";
import { UsageError } from "../src/errors.ts";

Deno.test("parseCommand() gives run the contract's defaults", () => {
  assert.deepEqual(parseCommand(["run", "batch.yaml"]), {
    name: "run",
    manifest: "batch.yaml",
    models: undefined,
    out: undefined,
    concurrency: 5,
    pollIntervalSeconds: 10,
    maxWaitSeconds: undefined,
    passTimeSeconds: undefined,
    maxVideoBytes: 2 * 1024 ** 3,
    baseUrl: undefined,
    simulate: false,
    once: false,
    retryFailed: false,
    resubmitUncertain: false,
    skipInvalid: false,
    logFormat: "text",
    quiet: false,
    verbose: false,
  });
});

Deno.test("parseCommand() reads every run flag", () => {
  const command = parseCommand([
    "run",
    "b.csv",
    "--out",
    "o",
    "--concurrency",
    "12",
    "--poll-interval",
    "0.25",
    "--max-wait",
    "600",
    "--base-url",
    "http://127.0.0.1:9/",
    "--simulate",
    "--once",
    "--retry-failed",
    "--resubmit-uncertain",
    "--skip-invalid",
    "--log-format",
    "json",
    "--quiet",
    "--models",
    "m.yaml",
  ]);
  assert.equal(command.name, "run");
  assert.ok(command.name === "run");
  assert.deepEqual(
    [
      command.out,
      command.concurrency,
      command.pollIntervalSeconds,
      command.maxWaitSeconds,
      command.baseUrl,
      command.simulate,
      command.once,
      command.retryFailed,
      command.resubmitUncertain,
      command.skipInvalid,
      command.logFormat,
      command.quiet,
      command.models,
    ],
    [
      "o",
      12,
      0.25,
      600,
      "http://127.0.0.1:9",
      true,
      true,
      true,
      true,
      true,
      "json",
      true,
      "m.yaml",
    ],
  );
});

Deno.test("parseCommand() reads --max-video-size as bytes and bounds a --once pass", async (t) => {
  const sizes: Array<[string, number]> = [
    ["500MB", 500e6],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5 gb", 1.5e9],
    ["1MiB", 1024 ** 2],
    ["1048576", 1048576],
    ["64KiB", 65536],
  ];
  for (const [text, bytes] of sizes) {
    await t.step(text, () => {
      const command = parseCommand(["run", "a.yaml", "--max-video-size", text]);
      assert.ok(command.name === "run");
      assert.equal(command.maxVideoBytes, bytes);
    });
  }
  await t.step("--once without --pass-time gets the default pass", () => {
    const command = parseCommand(["run", "a.yaml", "--once"]);
    assert.ok(command.name === "run");
    assert.equal(command.passTimeSeconds, 300);
  });
  await t.step("--pass-time is read in seconds, with or without --once", () => {
    for (const argv of [["--once", "--pass-time", "45"], ["--pass-time", "45"]]) {
      const command = parseCommand(["run", "a.yaml", ...argv]);
      assert.ok(command.name === "run");
      assert.equal(command.passTimeSeconds, 45);
    }
  });
});

Deno.test("parseCommand() reads the other commands", async (t) => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [["validate", "a.yaml", "--json"], { name: "validate", manifest: "a.yaml", json: true }],
    [["plan", "a.yaml", "--out", "x"], { name: "plan", manifest: "a.yaml", out: "x", json: false }],
    [["status", "a.yaml", "--json"], { name: "status", manifest: "a.yaml", json: true }],
    [["report", "a.yaml", "--out", "x"], { name: "report", manifest: "a.yaml", out: "x" }],
    [["simulate"], { name: "simulate", port: 0, host: "127.0.0.1", key: undefined }],
    [["simulate", "--port", "8080", "--host", "0.0.0.0", "--key", "k"], {
      name: "simulate",
      port: 8080,
      host: "0.0.0.0",
      key: "k",
    }],
    [["--help"], { name: "help", topic: undefined }],
    [["--version"], { name: "version" }],
  ];
  for (const [argv, expected] of cases) {
    await t.step(argv.join(" ") || "(nothing)", () => {
      const command = parseCommand(argv) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(command[key], value);
    });
  }
});

Deno.test("parseCommand() refuses mistakes with a UsageError that names them", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /A command is needed/],
    [["frob"], /Unknown command "frob"/],
    [["run"], /needs a manifest/],
    [["run", "a.yaml", "b.yaml"], /takes one manifest/],
    [["run", "a.yaml", "--concurrency", "0"], /--concurrency must be a whole number/],
    [["run", "a.yaml", "--concurrency", "2.5"], /--concurrency must be a whole number/],
    [["run", "a.yaml", "--poll-interval", "0"], /--poll-interval must be a positive number/],
    [["run", "a.yaml", "--poll-interval", "soon"], /--poll-interval must be a positive number/],
    [["run", "a.yaml", "--max-wait", "-"], /--max-wait must be a positive number/],
    [["run", "a.yaml", "--log-format", "xml"], /--log-format must be text or json/],
    [["run", "a.yaml", "--pass-time", "0"], /--pass-time must be a positive number/],
    [["run", "a.yaml", "--max-video-size", "big"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "2 parsecs"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "10"], /at least 1KiB/],
    [["run", "a.yaml", "--max-video-size=-5MB"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "1e400GB"], /--max-video-size must be a size/],
    [["status", "a.yaml", "--max-video-size", "1GB"], /Cannot use --max-video-size/],
    [["run", "a.yaml", "--base-url", "ftp://x"], /--base-url must be an http\(s\) URL/],
    [["run", "a.yaml", "--frobnicate"], /Cannot parse the command line/],
    [["validate", "a.yaml", "--once"], /Cannot use --once with "validate"/],
    [["simulate", "--port", "70000"], /--port must be a whole number/],
  ];
  for (const [argv, message] of cases) {
    await t.step(argv.join(" "), () => {
      assert.throws(() => parseCommand(argv), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
