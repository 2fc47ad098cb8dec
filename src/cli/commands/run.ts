/**
 * The `run` command: validate, refuse what cannot run, find the key and the
 * service (or start the simulator), then {@linkcode runBatch} with progress
 * rendered for a person or a machine, and the summary line.
 *
 * @module
 */
import { join } from "node:path";
import { checkBaseUrl, type RunCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ConfigError, type ExitCode } from "../../errors.ts";
import { loadJobs, outDirOf, printIssues, refuseProblems, totalsLine } from "../workspace.ts";
import { runBatch } from "../../batch/run.ts";
import { REPORT_FILES } from "../../out_dir.ts";
import { progressPrinter } from "../progress.ts";
import { keyProblem } from "../../api/key.ts";
import { startSimulator } from "../../simulator/server.ts";
import { FAST_DEMO_OPTIONS } from "../../simulator/options.ts";
import { pricesOf } from "../prices.ts";

/** The service's default base URL. */
const DEFAULT_BASE_URL = "https://api.cometapi.com";

/**
 * Run `run`.
 *
 * @param command The parsed command.
 * @param io Output, environment and the interrupt signal.
 * @returns The exit code.
 */
export async function runCommand(command: RunCommand, io: CliIO): Promise<ExitCode> {
  const validation = await loadJobs(command);
  refuseProblems(io, validation, {
    manifest: command.manifest,
    action: "run",
    allowInvalidJobs: command.skipInvalid,
    outcome: "nothing was sent",
    hint: "--skip-invalid runs the valid jobs only",
  });
  // With --skip-invalid, the invalid jobs are listed and left out.
  if (validation.errors.length > 0) printIssues(io, validation, command.manifest);
  const outDir = outDirOf(command);
  // Before anything is sent: a price file that cannot be used stops the run here.
  const priced = await pricesOf(command);
  for (const warning of priced?.warnings ?? []) io.stderr(`warning: ${warning}`);
  const service = await connect(command, io);
  try {
    const print = command.logFormat === "json" ? io.stdout : io.stderr;
    const result = await runBatch(validation, {
      baseUrl: service.baseUrl,
      apiKey: service.apiKey,
      out: outDir,
      ...(command.models !== undefined ? { modelsFile: command.models } : {}),
      concurrency: command.concurrency,
      pollIntervalSeconds: command.pollIntervalSeconds,
      ...(command.maxWaitSeconds !== undefined ? { maxWaitSeconds: command.maxWaitSeconds } : {}),
      once: command.once,
      ...(command.passTimeSeconds === undefined
        ? {}
        : { passTimeSeconds: command.passTimeSeconds }),
      maxVideoBytes: command.maxVideoBytes,
      retryFailed: command.retryFailed,
      resubmitUncertain: command.resubmitUncertain,
      skipInvalid: command.skipInvalid,
      onEvent: progressPrinter(print, { format: command.logFormat, quiet: command.quiet }),
      onNotice: io.stderr,
      ...(priced ? { prices: priced.prices } : {}),
      ...(command.maxSpend !== undefined ? { maxSpend: command.maxSpend } : {}),
      ...(io.interrupt ? { signal: io.interrupt } : {}),
    });
    const t = result.report.totals;
    if (command.logFormat === "json") {
      io.stdout(
        JSON.stringify({ time: new Date().toISOString(), type: "summary", ...t, outDir }),
      );
    } else {
      io.stderr(
        `${totalsLine(t)}; report: ${result.reportError ? "not written" : reportPath(outDir)}`,
      );
    }
    if (result.reportError) io.stderr(`error: ${result.reportError.message}`);
    if (result.unauthorized) {
      io.stderr(`error: the service rejected the API key: ${result.unauthorized.message}`);
    }
    return result.exitCode;
  } finally {
    await service.close();
  }
}

/** Where the run sends its requests, and how to let go of it afterwards. */
interface Service {
  baseUrl: string;
  apiKey: string;
  close(): Promise<void>;
}

/** The real service, or the built-in simulator with `--simulate`. */
async function connect(command: RunCommand, io: CliIO): Promise<Service> {
  if (command.simulate) {
    const simulator = await startSimulator({ ...FAST_DEMO_OPTIONS, port: 0 });
    return { baseUrl: simulator.url, apiKey: "simulator", close: () => simulator.shutdown() };
  }
  const apiKey = io.env("COMETAPI_KEY")?.trim();
  if (!apiKey) {
    throw new ConfigError(
      "Cannot run without an API key: set COMETAPI_KEY (or use --simulate to try the built-in simulator)",
      { code: "missing_key" },
    );
  }
  const problem = keyProblem(apiKey);
  if (problem !== undefined) {
    throw new ConfigError(
      `Cannot use COMETAPI_KEY: ${problem}; a key must be one line of printable ASCII (check the file it was read from)`,
      { code: "invalid_key" },
    );
  }
  const fromEnv = io.env("COMETAPI_BASE_URL")?.trim() || undefined;
  const baseUrl = command.baseUrl ??
    (fromEnv === undefined ? DEFAULT_BASE_URL : checkBaseUrl(fromEnv, "COMETAPI_BASE_URL"));
  return { baseUrl, apiKey, close: () => Promise.resolve() };
}

/** Where report.json is, for the summary line. */
function reportPath(outDir: string): string {
  return join(outDir, REPORT_FILES[0]);
}
