/**
 * The `run` command: validate, lock the output folder, plan from the
 * journal, execute, write the report, and map the outcome to an exit code.
 *
 * @module
 */
import { join } from "node:path";
import { checkBaseUrl, type RunCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ConfigError, type ExitCode } from "../../errors.ts";
import { VERSION } from "../version.ts";
import {
  currentReport,
  loadJobs,
  lockOutDir,
  outDirOf,
  printIssues,
  readStates,
  refuseProblems,
  reportExtras,
  totalsLine,
} from "../workspace.ts";
import { journalPath } from "../../manifest/paths.ts";
import { currentHolder } from "../../journal/lock.ts";
import { openJournal } from "../../journal/writer.ts";
import { JournalReplay } from "../../journal/replay.ts";
import { planRun } from "../../plan.ts";
import { CometClient } from "../../api/client.ts";
import { executeRun } from "../../runner/executor.ts";
import { sweepTemporaryFiles } from "../../runner/sweep.ts";
import { verifyDoneVideos } from "../../runner/verify_videos.ts";
import { lostVideoEvents, statesOfJobs } from "../../done_videos.ts";
import { writeReports } from "../../report/write.ts";
import { runExitCode } from "../../report/outcome.ts";
import { progressPrinter } from "../progress.ts";
import { startSimulator } from "../../simulator/server.ts";
import { FAST_DEMO_OPTIONS } from "../../simulator/options.ts";

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
  const service = await connect(command, io);
  try {
    const outDir = outDirOf(command);
    const lock = await lockOutDir(outDir);
    try {
      // Nobody else writes here while we hold the lock: what an earlier,
      // interrupted run left half-written goes.
      await sweepTemporaryFiles(outDir);
      await Deno.mkdir(join(outDir, "videos"), { recursive: true });
      // One replay: read once, then kept current with every event this run appends.
      const replay = new JournalReplay();
      const states = await readStates(io, outDir, replay);
      const journal = await openJournal(journalPath(outDir));
      const print = command.logFormat === "json" ? io.stdout : io.stderr;
      const onEvent = progressPrinter(print, { format: command.logFormat, quiet: command.quiet });
      let result;
      try {
        const { pid, host } = currentHolder();
        await journal.append({
          type: "run_started",
          at: new Date().toISOString(),
          pid,
          host,
          version: VERSION,
        });
        // A done video that is gone or altered is fetched again from its task.
        const lost = await verifyDoneVideos(outDir, statesOfJobs(validation.jobs, states));
        for (const event of lostVideoEvents(lost, new Date().toISOString())) {
          await journal.append(event);
          replay.apply(event);
          onEvent({ type: "video_lost", job: event.job, task: event.task, error: event.error });
        }
        const actions = planRun(validation.jobs, replay.states, {
          retryFailed: command.retryFailed,
          resubmitUncertain: command.resubmitUncertain,
          newKey: () => crypto.randomUUID(),
        });
        result = await executeRun(actions, {
          client: service.client,
          journal: {
            append: async (event) => {
              await journal.append(event);
              replay.apply(event);
            },
          },
          outDir,
          concurrency: command.concurrency,
          pollIntervalMs: command.pollIntervalSeconds * 1000,
          maxWaitMs: command.maxWaitSeconds === undefined
            ? undefined
            : command.maxWaitSeconds * 1000,
          once: command.once,
          passTimeMs: command.passTimeSeconds === undefined
            ? undefined
            : command.passTimeSeconds * 1000,
          maxVideoBytes: command.maxVideoBytes,
          backoff: backoffFor(command.pollIntervalSeconds * 1000),
          stop: io.interrupt,
          onEvent,
        });
      } finally {
        await journal.close();
      }
      const report = await currentReport(validation, outDir, new Date(), replay.states);
      await writeReports(outDir, report, reportExtras(validation));
      const t = report.totals;
      if (command.logFormat === "json") {
        io.stdout(
          JSON.stringify({ time: new Date().toISOString(), type: "summary", ...t, outDir }),
        );
      } else io.stderr(`${totalsLine(t)}; report: ${outDir}/report.json`);
      if (result.unauthorized) {
        io.stderr(`error: the service rejected the API key: ${result.unauthorized.message}`);
      }
      return runExitCode(t, {
        unauthorized: result.unauthorized !== undefined,
        interrupted: result.interrupted,
      });
    } finally {
      await lock.release();
    }
  } finally {
    await service.close();
  }
}

interface Service {
  client: CometClient;
  close(): Promise<void>;
}

/** The real service, or the built-in simulator with `--simulate`. */
async function connect(command: RunCommand, io: CliIO): Promise<Service> {
  if (command.simulate) {
    const simulator = await startSimulator({ ...FAST_DEMO_OPTIONS, port: 0 });
    const client = new CometClient({ baseUrl: simulator.url, apiKey: "simulator" });
    return {
      client,
      close: () => simulator.shutdown(),
    };
  }
  const apiKey = io.env("COMETAPI_KEY")?.trim();
  if (!apiKey) {
    throw new ConfigError(
      "Cannot run without an API key: set COMETAPI_KEY (or use --simulate to try the built-in simulator)",
      { code: "missing_key" },
    );
  }
  const fromEnv = io.env("COMETAPI_BASE_URL")?.trim() || undefined;
  const baseUrl = command.baseUrl ??
    (fromEnv === undefined ? DEFAULT_BASE_URL : checkBaseUrl(fromEnv, "COMETAPI_BASE_URL"));
  const client = new CometClient({ baseUrl, apiKey });
  return { client, close: () => Promise.resolve() };
}

/**
 * Retry backoff scaled to the poll interval: 1 s to 60 s for the default
 * 10 s interval, proportionally shorter for the fast intervals of the
 * simulator and the tests. `Retry-After` always wins when it is longer.
 */
function backoffFor(pollIntervalMs: number): { baseMs: number; maxMs: number } {
  const baseMs = Math.min(1000, pollIntervalMs);
  return { baseMs, maxMs: Math.max(baseMs, Math.min(60_000, pollIntervalMs * 6)) };
}
