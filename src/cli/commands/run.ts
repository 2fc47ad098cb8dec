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
import { LiveView } from "../live_view.ts";
import { inFlight } from "../live_state.ts";
import { commandLine, nextSteps } from "../next_steps.ts";
import { keyProblem } from "../../api/key.ts";
import { startSimulator } from "../../simulator/server.ts";
import { FAST_DEMO_OPTIONS } from "../../simulator/options.ts";
import { pricesOf } from "../prices.ts";
import type { LoadedPrices } from "../../prices.ts";
import type { RunEvent } from "../../runner/events.ts";
import type { InputDigests, ResumeIndex } from "../../resume_index.ts";
import type { ValidationResult } from "../../manifest/validate.ts";
import { hasResumeIndex } from "../../batch/resume_index_file.ts";
import {
  configDigestsOf,
  inputDigestsOf,
  matchingResumeIndex,
  resumeSettingsOf,
  resumeUnchanged,
} from "../../batch/unchanged.ts";

/** The report a person opens (report.html). */
const REPORT_HTML = REPORT_FILES.find((name) => name.endsWith(".html")) ?? "report.html";

/** The service's default base URL. */
const DEFAULT_BASE_URL = "https://api.cometapi.com";

/**
 * Run `run`.
 *
 * @param command The parsed command.
 * @param io Output, environment and the interrupt signal.
 * @param argv The command line's arguments (for the commands printed back).
 * @returns The exit code.
 */
export async function runCommand(
  command: RunCommand,
  io: CliIO,
  argv: readonly string[] = ["run", command.manifest],
): Promise<ExitCode> {
  // A resume where nothing changed: the last run's index, if the inputs are the same bytes.
  const resume = await resumeCandidate(command);
  let priced: LoadedPrices | undefined;
  let service: Service | undefined;
  // Before anything is sent (and, on a resume from the index, before the folder
  // is touched): a price file that cannot be used stops the run here; the key.
  const prepare = async (): Promise<Service> => {
    priced = await pricesOf(command);
    for (const warning of priced?.warnings ?? []) io.stderr(`warning: ${warning}`);
    return await connect(command, io);
  };
  if (resume?.index !== undefined) service = await prepare();
  const program = io.program ?? "seedance-batch";
  const json = command.logFormat === "json";
  // The live view: a block redrawn on a terminal, a status line now and then
  // off one; nothing of it in JSON mode.
  const view = new LiveView({
    ...(json || io.terminal === undefined ? {} : { terminal: io.terminal }),
    print: io.stderr,
    concurrency: command.concurrency,
    quiet: command.quiet || json,
  });
  const printEvent = progressPrinter(json ? io.stdout : (line) => view.print(line), {
    format: command.logFormat,
    quiet: command.quiet,
    onInterrupt: () => ({
      inFlight: inFlight(view.state),
      command: commandLine(program, argv),
    }),
  });
  const onEvent = (event: RunEvent): void => {
    view.event(event);
    printEvent(event);
  };
  try {
    let result = resume?.index === undefined ? undefined : await resumeUnchanged(resume.index, {
      onEvent,
      ...(io.interrupt ? { signal: io.interrupt } : {}),
    });
    if (result === undefined) {
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
      service ??= await prepare();
      const inputDigests = resume?.inputsOf(validation);
      result = await runBatch(validation, {
        baseUrl: service.baseUrl,
        apiKey: service.apiKey,
        out: outDirOf(command),
        ...(command.models !== undefined ? { modelsFile: command.models } : {}),
        concurrency: command.concurrency,
        pollIntervalSeconds: command.pollIntervalSeconds,
        polling: command.polling,
        ...(command.maxWaitSeconds !== undefined ? { maxWaitSeconds: command.maxWaitSeconds } : {}),
        once: command.once,
        ...(command.passTimeSeconds === undefined
          ? {}
          : { passTimeSeconds: command.passTimeSeconds }),
        maxVideoBytes: command.maxVideoBytes,
        retryFailed: command.retryFailed,
        rerenderChanged: command.rerenderChanged,
        resubmitUncertain: command.resubmitUncertain,
        skipInvalid: command.skipInvalid,
        onEvent,
        onNotice: (line) => view.print(line),
        ...(priced ? { prices: priced.prices } : {}),
        ...(command.maxSpend !== undefined ? { maxSpend: command.maxSpend } : {}),
        ...(io.interrupt ? { signal: io.interrupt } : {}),
        ...(inputDigests === undefined ? {} : { inputDigests }),
      });
    }
    view.finish();
    const t = result.report.totals;
    if (json) {
      io.stdout(
        JSON.stringify({
          time: new Date().toISOString(),
          type: "summary",
          ...t,
          outDir: result.outDir,
        }),
      );
    } else {
      io.stderr(totalsLine(t));
      const steps = nextSteps({
        totals: t,
        changed: t.changed ?? 0,
        reportHtml: result.reportError ? undefined : join(result.outDir, REPORT_HTML),
        program,
        argv,
      });
      for (const line of steps) io.stderr(line);
    }
    if (result.reportError) io.stderr(`error: ${result.reportError.message}`);
    if (result.unauthorized) {
      io.stderr(`error: the service rejected the API key: ${result.unauthorized.message}`);
    }
    return result.exitCode;
  } finally {
    view.finish();
    await service?.close();
  }
}

/**
 * What the run knows of its resume index before validating: the matching
 * index, if the output folder has one made from the same settings and input
 * bytes; and the input digests an index written at the end of the run keys
 * on. The manifest (up to 200 MiB) is hashed here only when there is an index
 * to compare it with; otherwise its digest is the one validation takes of the
 * bytes it reads. Nothing when the files cannot be read or the output folder
 * is not usable: the whole path then says why, in its usual order.
 */
async function resumeCandidate(
  command: RunCommand,
): Promise<
  | { index?: ResumeIndex; inputsOf: (validation: ValidationResult) => InputDigests | undefined }
  | undefined
> {
  let settings;
  try {
    settings = resumeSettingsOf({
      manifest: command.manifest,
      out: outDirOf(command),
      modelsFile: command.models,
      pricesFile: command.prices,
      maxSpend: command.maxSpend,
      shard: command.shard,
      retryFailed: command.retryFailed,
      rerenderChanged: command.rerenderChanged,
      resubmitUncertain: command.resubmitUncertain,
    });
  } catch {
    return undefined;
  }
  if (!(await hasResumeIndex(settings.outDir))) {
    const { models, prices } = await configDigestsOf(settings);
    if (models === undefined || prices === undefined) return undefined;
    return {
      inputsOf: (validation) =>
        validation.sha256 === undefined
          ? undefined
          : { manifest: validation.sha256, models, prices },
    };
  }
  const inputs = await inputDigestsOf(settings);
  if (inputs === undefined) return undefined;
  const index = await matchingResumeIndex(settings, inputs);
  return { ...(index === undefined ? {} : { index }), inputsOf: () => inputs };
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
