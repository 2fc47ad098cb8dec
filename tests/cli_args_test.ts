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
    polling: "adaptive",
    maxWaitSeconds: undefined,
    passTimeSeconds: undefined,
    maxVideoBytes: 2 * 1024 ** 3,
    baseUrl: undefined,
    simulate: false,
    once: false,
    retryFailed: false,
    rerenderChanged: false,
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
    [["run", "a.yaml", "--polling", "smart"], /--polling must be fixed or adaptive, got "smart"/],
    [["run", "a.yaml", "--pass-time", "0"], /--pass-time must be a positive number/],
    [["run", "a.yaml", "--max-video-size", "big"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "2 parsecs"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "10"], /at least 1KiB/],
    [["run", "a.yaml", "--max-video-size=-5MB"], /--max-video-size must be a size/],
    [["run", "a.yaml", "--max-video-size", "1e400GB"], /--max-video-size must be a size/],
    [["status", "a.yaml", "--max-video-size", "1GB"], /--max-video-size is an option of run/],
    [["run", "a.yaml", "--base-url", "ftp://x"], /--base-url must be an http\(s\) URL/],
    [["run", "a.yaml", "--frobnicate"], /Unknown option --frobnicate for run/],
    [["validate", "a.yaml", "--once"], /--once is an option of run, not of validate/],
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

Deno.test("parseCommand() accepts every flag of the contract's command list as written", async (t) => {
  const lines = [
    "validate m.yaml --json --models f.yaml",
    "plan m.yaml --json --out d --models f.yaml --prices p.yaml",
    "run m.yaml --out d --concurrency 3 --poll-interval 2 --max-wait 60 --base-url http://x " +
    "--simulate --once --retry-failed --resubmit-uncertain --skip-invalid --log-format json " +
    "--quiet --models f.yaml --prices p.yaml --max-spend 10 --pass-time 30 " +
    "--max-video-size 1GB --verbose",
    "status m.yaml --out d --json --models f.yaml",
    "report m.yaml --out d --prices p.yaml --models f.yaml",
    "simulate --port 0 --host 127.0.0.1 --key k",
  ];
  for (const line of lines) {
    await t.step(line.split(" ")[0], () => {
      const argv = line.split(" ");
      assert.equal(parseCommand(argv).name, argv[0]);
    });
  }
});

Deno.test("parseCommand() maps each simulate flag to the simulator's option", async (t) => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [[], {}],
    [["--render-time", "40-60"], { renderMs: { min: 40_000, max: 60_000 } }],
    [["--render-time", "45"], { renderMs: 45_000 }],
    [["--render-time", "0.5 - 1.5"], { renderMs: { min: 500, max: 1500 } }],
    [["--failure-rate", "0.1"], { failureRate: 0.1 }],
    [["--error-share", "1"], { errorShare: 1 }],
    [["--mismatch-rate", "0.25"], { mismatchRate: 0.25 }],
    [["--dialect", "lower"], { dialect: "lower" }],
    [["--url-ttl", "30"], { urlTtlMs: 30_000 }],
    [["--seed", "42"], { seed: 42 }],
    [["--honour-idempotency"], { honourIdempotency: true }],
    [["--rate-limit", "0.02"], { faults: { submitRateLimited: 0.02, pollRateLimited: 0.02 } }],
    [["--server-errors", "0.1"], { faults: { submitServerError: 0.1, pollServerError: 0.1 } }],
    [["--lost-answers", "0.05"], { faults: { submitAnswerLost: 0.05 } }],
    [["--resets", "0.01"], {
      faults: { submitReset: 0.01, pollReset: 0.01, downloadReset: 0.01 },
    }],
    [["--truncated-downloads", "0.3"], { faults: { downloadTruncated: 0.3 } }],
    [["--slow-answers", "0.5"], { faults: { slow: { probability: 0.5, delayMs: 5000 } } }],
    [["--slow-answers", "1", "--slow-delay", "0.2"], {
      faults: { slow: { probability: 1, delayMs: 200 } },
    }],
    [["--retry-after", "7"], { faults: { retryAfterSeconds: 7 } }],
    [["--max-in-flight", "3"], { faults: { maxTasksInFlightPerKey: 3 } }],
  ];
  for (const [flags, simulator] of cases) {
    await t.step(flags.join(" ") || "(no flags)", () => {
      const command = parseCommand(["simulate", ...flags]);
      assert.ok(command.name === "simulate");
      assert.deepEqual(command.simulator, simulator);
    });
  }
});

Deno.test("parseCommand() refuses out-of-range simulate flags, naming the flag and its range", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [["--render-time", "60-40"], /--render-time must be seconds .* MIN not above MAX, got "60-40"/],
    [["--render-time", "soon"], /--render-time must be seconds/],
    [["--render-time", "-5"], /--render-time must be seconds/],
    [["--render-time", "100000"], /from 0 to 86400/],
    [["--failure-rate", "1.5"], /--failure-rate must be a probability from 0 to 1/],
    [["--failure-rate", "10%"], /--failure-rate must be a probability/],
    [["--error-share", "-0.1"], /--error-share must be a probability/],
    [["--mismatch-rate", ""], /--mismatch-rate must be a probability/],
    [["--rate-limit", "2"], /--rate-limit must be a probability/],
    [["--server-errors", "x"], /--server-errors must be a probability/],
    [["--lost-answers", "NaN"], /--lost-answers must be a probability/],
    [["--resets", "Infinity"], /--resets must be a probability/],
    [["--truncated-downloads", "1.01"], /--truncated-downloads must be a probability/],
    [["--slow-answers", "3"], /--slow-answers must be a probability/],
    [["--slow-delay", "2"], /--slow-delay needs --slow-answers/],
    [["--slow-answers", "0.1", "--slow-delay", "0"], /--slow-delay must be a positive number/],
    [["--dialect", "UPPER"], /--dialect must be upper or lower/],
    [["--url-ttl", "0"], /--url-ttl must be a positive number/],
    [["--url-ttl", "90000"], /--url-ttl must be at most 86400/],
    [["--seed", "1.5"], /--seed must be a whole number from 0 to 4294967295/],
    [["--retry-after", "4000"], /--retry-after must be a whole number from 0 to 3600/],
    [["--max-in-flight", "0"], /--max-in-flight must be a whole number from 1 to 10000/],
    [["--honour-idempotency=no"], /--honour-idempotency takes no value/],
    [
      ["--rendertime", "5"],
      /Unknown option --rendertime for simulate; did you mean --render-time\?/,
    ],
  ];
  for (const [flags, message] of cases) {
    await t.step(flags.join(" "), () => {
      assert.throws(() => parseCommand(["simulate", ...flags]), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("parseCommand() reads run --polling, adaptive when not given", () => {
  const polling = (...extra: string[]): string | undefined => {
    const command = parseCommand(["run", "a.yaml", ...extra]);
    return command.name === "run" ? command.polling : undefined;
  };
  assert.equal(polling(), "adaptive");
  assert.equal(polling("--polling", "fixed"), "fixed");
  assert.equal(polling("--polling=adaptive"), "adaptive");
});
