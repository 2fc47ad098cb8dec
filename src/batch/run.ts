/**
 * Run a batch: the whole use case the `run` command and library users share.
 * Lock the output folder, check its layout and the recorded outputs, sweep
 * what an interrupted run left, replay the journal, plan, make sure the base
 * URL is the video API, execute (every step journaled), and write the
 * reports. Nothing here prints or exits: events go to `onEvent`, notices to
 * `onNotice`, and the outcome comes back as a value with its exit code.
 *
 * @example
 * ```ts ignore
 * const validation = await validateManifest("manifests/example.yaml");
 * const result = await runBatch(validation, { baseUrl, apiKey, onEvent: console.log });
 * console.log(result.exitCode, result.report.totals);
 * ```
 *
 * @module
 */
import type { PollingMode } from "../runner/policy/poll.ts";
import { evidenceFromStates } from "../runner/policy/render_evidence.ts";
import { verifyVideosOf } from "../runner/verify_videos.ts";
import { currentStatesOf, lostVideoEvents, withVideoFindings } from "../done_videos.ts";
import type { Job } from "../manifest/job.ts";
import { join } from "node:path";
import { type ApiError, ConfigError, ExitCode, ManifestError } from "../errors.ts";
import type { PriceList } from "../prices.ts";
import { checkSpendLimit } from "../spend_guard.ts";
import { withEstimate } from "../report/estimate.ts";
import { CometClient } from "../api/client.ts";
import type { ValidationResult } from "../manifest/validate.ts";
import { defaultOutDir, journalPath } from "../manifest/paths.ts";
import { currentHolder } from "../journal/lock.ts";
import { openJournal } from "../journal/writer.ts";
import { lazyRunJournal } from "../journal/run_journal.ts";
import { compactAfterRun } from "../journal/compact.ts";
import { JournalReplay } from "../journal/replay.ts";
import { type JobAction, planRun } from "../plan.ts";
import type { JobState } from "../journal/events.ts";
import { keepPreviousVideo, type PreviousVideos, readPreviousVideos } from "../previous_videos.ts";
import { executeRun, type UnjournaledEvent } from "../runner/executor.ts";
import { RecoveryFile, reserveBytesFor } from "../journal/recovery.ts";
import { journalFailureLines } from "./recovery_notice.ts";
import { findRenamedJobs, renamedJobNotice } from "../renamed_jobs.ts";
import type { RunEventSink } from "../runner/events.ts";
import { type Clock, realClock } from "../runner/clock.ts";
import { ensureVideoApi } from "../runner/service_check.ts";
import { sweepTemporaryFiles } from "../runner/sweep.ts";
import { ReportWriteError, writeReports } from "../report/write.ts";
import { runExitCode } from "../report/outcome.ts";
import { currentReportDigest, reportDigest, stampDigest } from "../report/current.ts";
import type { ReportModel } from "../report/summary.ts";
import {
  checkLayout,
  findOutputCollisions,
  refuseCollisions,
  refuseInputsInside,
  VIDEOS_FOLDER,
} from "../out_dir.ts";
import { VERSION } from "../version.ts";
import type { InputDigests } from "../resume_index.ts";
import { isSharded } from "../shard.ts";
import { removeResumeIndex } from "./resume_index_file.ts";
import { resumeSettingsOf, writeIndexAfterRun } from "./unchanged.ts";
import {
  buildBatchReport,
  foldRecoveryWithNotice,
  inputFilesOf,
  lockOutDir,
  readJournalWithNotice,
  reportExtrasOf,
} from "./folder.ts";

/** Options of {@linkcode runBatch}. */
export interface RunBatchOptions {
  /** The service's base URL, e.g. `https://api.cometapi.com` (a trailing `/v1` is accepted). */
  baseUrl: string;
  /** The API key; sent to the base URL's host only, never written anywhere. */
  apiKey: string;
  /** The output folder. @default `<manifest folder>/<manifest name>.out` */
  out?: string;
  /** The `--models` file the catalog came from, if any (kept out of the output folder). */
  modelsFile?: string;
  /** Most tasks alive at the service at once. @default 5 */
  concurrency?: number;
  /** Seconds between polls of one task (jittered). @default 10 */
  pollIntervalSeconds?: number;
  /**
   * How polls are timed (`--polling`): `adaptive` polls a task when it is
   * likely done, from the render times the journal holds and the progress
   * the service reports, and at least every poll interval once it is older
   * than the shortest render seen for its kind; `fixed` polls every
   * interval. @default "adaptive"
   */
  polling?: PollingMode;
  /** How long this run waits for one task; unset waits for ever. */
  maxWaitSeconds?: number;
  /**
   * One pass (`--once`): submit what may be submitted, poll once, download
   * what is ready, then end, bounded by `passTimeSeconds`. @default false
   */
  once?: boolean;
  /**
   * How long the run may work in all (`--pass-time`). Without `once` this is
   * the cron mode: the run works as a continuous one (submitting as slots
   * free, polling, downloading), stops starting submissions a margin before
   * its time is up, and leaves the tasks still rendering for the next run.
   */
  passTimeSeconds?: number;
  /** The largest video accepted, in bytes (`--max-video-size`). @default 2 GiB */
  maxVideoBytes?: number;
  /** Give jobs that failed a new attempt (jobs edited since submitted included). @default false */
  retryFailed?: boolean;
  /**
   * Render the new version of jobs edited since they were submitted, and
   * nothing else that failed; each one's old video is kept under
   * `videos/previous/`. @default false
   */
  rerenderChanged?: boolean;
  /** Resubmit each uncertain job once, with the key of its unknown submission. @default false */
  resubmitUncertain?: boolean;
  /** Run the valid jobs of a manifest with invalid ones. @default false */
  skipInvalid?: boolean;
  /** Receives every event of the run, as the CLI renders them. */
  onEvent?: RunEventSink;
  /**
   * Receives notices a person should read: a corrupt journal line, an output
   * clash, recovered events, and what a journal failure left where.
   */
  onNotice?: (line: string) => void;
  /** Stops the run gracefully: no new submission, state saved. */
  signal?: AbortSignal;
  /** Time. @default the real clock */
  clock?: Clock;
  /** The user's price list: the reports carry the spend estimate (`--prices`). */
  prices?: PriceList;
  /**
   * The most this run may spend, in millionths of the price list's currency
   * (`--max-spend`; needs `prices`): checked before anything is sent.
   */
  maxSpend?: bigint;
  /**
   * The digests of the manifest, `--models` and `--prices` files taken before
   * the manifest was validated (`inputDigestsOf()` in src/batch/unchanged.ts).
   * When given, a run that leaves nothing to do writes the output folder's
   * resume index, with which the next run over the same inputs skips
   * validation and replay (`resumeUnchanged()`); without them it writes none.
   * Give them only with the validation of that whole manifest (or of its
   * shard, from `shardOf()`), made with the catalog of `modelsFile` (the
   * built-in one without it), as the CLI makes it: the index answers for
   * every job in it, as a run of the CLI would see them (a
   * validation whose `jobs` and `invalid` do not add up to its `total` leaves
   * no index).
   */
  inputDigests?: InputDigests;
}

/** What a run came to. */
export interface RunBatchResult {
  /** The contract's exit code for this outcome (0, 1, 3, 4 or 130). */
  exitCode: ExitCode;
  /** The report, as written to the output folder (`generated_at` aside, see `reportsKept`). */
  report: ReportModel;
  /** The output folder's absolute path. */
  outDir: string;
  /**
   * True when the report files already showed all of `report` (their
   * `report_digest` is its digest) and were left as they were, with the time
   * they were written; false when they were written.
   */
  reportsKept: boolean;
  /** Set when a report file could not be written (the jobs' outcome stands). */
  reportError?: ReportWriteError;
  /** Set when the service rejected the key during the run. */
  unauthorized?: ApiError;
  /** True when `signal` stopped the run. */
  interrupted: boolean;
  /**
   * Set when the journal could not be written: the run stopped submitting at
   * once; `unjournaled` lists every event the journal lacks (and where each
   * is kept), for the next run to take back without paying again.
   */
  journalFailure?: { error: unknown; unjournaled: UnjournaledEvent[] };
}

/**
 * Run the valid jobs of a validated manifest to completion (or to the end of
 * the pass), resuming from the output folder's journal.
 *
 * @param validation From `validateManifest()`.
 * @param options The service, the output folder and the run's settings.
 * @returns The outcome, the report and the exit code.
 * @throws {ManifestError} (exit 2) When the manifest has invalid jobs and
 *   `skipInvalid` is not set, or a problem of the manifest as a whole.
 * @throws {ConfigError} (exit 2) For an unusable output folder, an input kept
 *   where the run writes, an output name that holds another job's video, or a
 *   base URL that is not the video API; nothing is sent then.
 * @throws {LockHeldError} (exit 75) When another run holds the output folder.
 */
export async function runBatch(
  validation: ValidationResult,
  options: RunBatchOptions,
): Promise<RunBatchResult> {
  refuseInvalid(validation, options.skipInvalid ?? false);
  const manifest = validation.manifest;
  const outDir = options.out ?? defaultOutDir(manifest);
  // Counted: a run that had something to say leaves no resume index.
  let notices = 0;
  const notice = (line: string): void => {
    notices++;
    options.onNotice?.(line);
  };
  const clock = options.clock ?? realClock;
  const pollIntervalMs = (options.pollIntervalSeconds ?? 10) * 1000;
  // Before the lock file is made: no input may lie where the run writes.
  await refuseInputsInside(
    outDir,
    inputFilesOf(
      manifest,
      { modelsFile: options.modelsFile, pricesFile: options.prices?.file },
      validation,
    ),
    `run ${manifest}`,
  );
  const client = new CometClient({ baseUrl: options.baseUrl, apiKey: options.apiKey });
  const lock = await lockOutDir(outDir);
  try {
    await checkLayout(outDir);
    // A run that takes the whole path writes a new index if it leaves nothing to do.
    await removeResumeIndex(outDir);
    // Events an earlier run could not journal go in before anything is read.
    await foldRecoveryWithNotice(outDir, notice);
    // One replay: read once, then kept current with every event this run appends.
    const replay = new JournalReplay();
    const states = await readJournalWithNotice(outDir, notice, replay);
    refuseCollisions(await findOutputCollisions(outDir, validation.jobs, states), {
      manifest,
      journal: journalPath(outDir),
      print: notice,
    });
    for (const renamed of findRenamedJobs(validation.jobs, states)) {
      notice(renamedJobNotice(renamed, manifest));
    }
    // Nobody else writes here while we hold the lock: what an earlier,
    // interrupted run left half-written goes.
    await sweepTemporaryFiles(outDir);
    await Deno.mkdir(join(outDir, VIDEOS_FOLDER), { recursive: true });
    // A done video that is gone or altered is fetched again from its task.
    const lost = await verifyVideosOf(outDir, currentStatesOf(validation.jobs, states));
    // The jobs whose state this run changes: the report looks at their videos again.
    const touched = new Set<string>();
    const actions = planRun(validation.jobs, withVideoFindings(states, lost), {
      retryFailed: options.retryFailed ?? false,
      rerenderChanged: options.rerenderChanged ?? false,
      resubmitUncertain: options.resubmitUncertain ?? false,
      newKey: () => crypto.randomUUID(),
    });
    if (options.maxSpend !== undefined) {
      // Before the service check, the journal or any request: a refusal sends nothing.
      if (options.prices === undefined) {
        throw new ConfigError("Cannot hold a run to maxSpend without prices", {
          code: "max_spend",
        });
      }
      checkSpendLimit(actions, {
        prices: options.prices,
        limit: options.maxSpend,
        print: notice,
        manifest,
      });
    }
    const backoff = backoffFor(pollIntervalMs);
    if (actions.some((action) => action.kind !== "skip")) {
      await ensureVideoApi(client, {
        budgetMs: serviceCheckBudget(pollIntervalMs),
        backoff,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
    // `run_started` (with the time the run started) goes in just before the
    // run's first event: a pass that changes nothing leaves the journal as it was.
    const { pid, host } = currentHolder();
    const startedAt = new Date(clock.now()).toISOString();
    const journal = lazyRunJournal(
      await openJournal(journalPath(outDir)),
      () => ({ type: "run_started", at: startedAt, pid, host, version: VERSION }),
    );
    // Where events go if the journal fails: reserved now, while there is room.
    let recovery: RecoveryFile;
    try {
      recovery = await RecoveryFile.reserve(outDir, {
        bytes: reserveBytesFor(options.concurrency ?? 5),
      });
    } catch (error) {
      await journal.close();
      throw error;
    }
    let result;
    try {
      for (const event of lostVideoEvents(lost, new Date(clock.now()).toISOString())) {
        await journal.append(event);
        replay.apply(event);
        touched.add(event.job);
        options.onEvent?.({
          type: "video_lost",
          job: event.job,
          task: event.task,
          error: event.error,
        });
      }
      await announceChanged(actions, states, outDir, options.onEvent);
      result = await executeRun(actions, {
        client,
        journal: {
          append: async (event) => {
            await journal.append(event);
            replay.apply(event);
            if ("job" in event) touched.add(event.job);
          },
        },
        outDir,
        concurrency: options.concurrency ?? 5,
        pollIntervalMs,
        polling: options.polling ?? "adaptive",
        renderEvidence: evidenceFromStates(validation.jobs, states),
        ...(options.maxWaitSeconds === undefined
          ? {}
          : { maxWaitMs: options.maxWaitSeconds * 1000 }),
        // --once is the contract's single pass; a run bounded by its pass
        // time alone (the cron mode) keeps working until its time is nearly up.
        once: options.once ?? false,
        ...(options.passTimeSeconds === undefined
          ? {}
          : { passTimeMs: options.passTimeSeconds * 1000 }),
        ...(options.maxVideoBytes === undefined ? {} : { maxVideoBytes: options.maxVideoBytes }),
        backoff,
        clock,
        recovery,
        ...(options.signal ? { stop: options.signal } : {}),
        onEvent: (event) => {
          // The report shows what the run knows, journaled or not.
          if (event.type === "unjournaled") {
            replay.apply(event.event);
            if ("job" in event.event) touched.add(event.event.job);
          }
          options.onEvent?.(event);
        },
      });
    } finally {
      await journal.close();
      await recovery.close();
    }
    if (result.journalFailure !== undefined) {
      // Said before anything else is written: the reports may not fit either.
      const lines = journalFailureLines(result.journalFailure, result.unjournaled ?? [], outDir);
      for (const line of lines) notice(line);
    }
    const quiet = notices === 0;
    if (result.journalFailure === undefined && !result.interrupted) {
      // Under the lock, after the run's last event: a long history becomes one line a job
      // (not when stopped: whoever stopped it wants it to end now; the next run does it).
      const said = await compactAfterRun(journalPath(outDir), replay, journal.appended);
      if (said !== undefined) notice(said);
    }
    const reportStates = withVideoFindings(
      replay.states,
      await verifyVideosOf(outDir, uncheckedStates(validation.jobs, replay.states, touched)),
    );
    const kept = await readPreviousVideos(outDir);
    const built = withPreviousVideos(
      buildBatchReport(validation, reportStates, new Date(clock.now())),
      validation,
      kept,
    );
    const estimated = options.prices
      ? withEstimate(built, {
        jobs: validation.jobs,
        states: replay.states,
        prices: options.prices,
      })
      : built;
    const report = stampDigest(
      estimated,
      reportDigest({
        report: estimated,
        jobs: validation.jobs,
        invalid: validation.invalid,
        states: reportStates,
        previousVideos: kept.names,
        prices: options.prices,
        outDir,
      }),
    );
    // Every job's fate is in the journal already: a report that cannot be
    // written is returned beside the outcome, which it does not change.
    // Reports that already show all this are left as they are.
    let reportError: ReportWriteError | undefined;
    const reportsKept = await currentReportDigest(outDir) === report.report_digest;
    if (!reportsKept) {
      try {
        await writeReports(outDir, report, reportExtrasOf(validation));
      } catch (error) {
        if (!(error instanceof ReportWriteError)) throw error;
        reportError = error;
      }
    }
    if (
      options.inputDigests !== undefined && quiet && reportError === undefined &&
      result.journalFailure === undefined && !result.interrupted &&
      result.unauthorized === undefined
    ) {
      const warning = await writeIndexAfterRun({
        settings: resumeSettingsOf({
          manifest,
          out: outDir,
          modelsFile: options.modelsFile,
          pricesFile: options.prices?.file,
          maxSpend: options.maxSpend,
          shard: isSharded(validation) ? validation.shard : undefined,
          retryFailed: options.retryFailed,
          rerenderChanged: options.rerenderChanged,
          resubmitUncertain: options.resubmitUncertain,
        }),
        inputs: options.inputDigests,
        validation,
        plan: actions,
        touched,
        states: reportStates,
        report,
        previousVideos: kept.names,
      });
      if (warning !== undefined) notice(warning);
    }
    const exitCode = runExitCode(report.totals, {
      unauthorized: result.unauthorized !== undefined,
      interrupted: result.interrupted,
    });
    return {
      // A journal that failed leaves work for the next run (folding what was
      // kept, then the jobs not submitted): 3, unless a stronger reason holds.
      exitCode: result.journalFailure !== undefined && exitCode !== ExitCode.Unauthorized &&
          exitCode !== ExitCode.Interrupted
        ? ExitCode.Pending
        : exitCode,
      report,
      outDir,
      reportsKept,
      ...(reportError ? { reportError } : {}),
      ...(result.unauthorized ? { unauthorized: result.unauthorized } : {}),
      ...(result.journalFailure !== undefined
        ? {
          journalFailure: { error: result.journalFailure, unjournaled: result.unjournaled ?? [] },
        }
        : {}),
      interrupted: result.interrupted,
    };
  } finally {
    await lock.release();
  }
}

/**
 * Refuse a manifest a run cannot use: a problem of the manifest as a whole
 * always; invalid jobs unless they may be left out.
 */
function refuseInvalid(validation: ValidationResult, skipInvalid: boolean): void {
  const wholeManifest = validation.errors.some((issue) => issue.index === null);
  if (!wholeManifest && (skipInvalid || validation.errors.length === 0)) return;
  throw new ManifestError(
    `Cannot run ${validation.manifest}: ${validation.errors.length} problem(s) found, ` +
      `nothing was sent` + (wholeManifest ? "" : " (skipInvalid runs the valid jobs only)"),
    { file: validation.manifest },
  );
}

/**
 * How long a run tries to reach the service before its first request: six
 * poll intervals, between 1 s and a minute (a minute at the default 10 s).
 */
function serviceCheckBudget(pollIntervalMs: number): number {
  return Math.min(60_000, Math.max(1_000, pollIntervalMs * 6));
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

/**
 * The done states whose video the report must look at again at the end of
 * a run: every one but those {@linkcode currentStatesOf} gave at the start
 * that no event of this run touched (most of them, on a resume): the videos
 * this run downloaded, and those of jobs edited or no longer in the manifest.
 */
function* uncheckedStates(
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
  touched: ReadonlySet<string>,
): Generator<JobState> {
  let done = 0;
  for (const state of states.values()) if (state.phase === "done") done++;
  let seen = 0;
  for (const job of jobs) {
    const state = states.get(job.id);
    if (state?.phase !== "done") continue;
    seen++;
    if (state.fingerprint !== job.fingerprint || touched.has(job.id)) yield state;
  }
  if (seen === done) return;
  // Done jobs the manifest no longer has.
  const ids = new Set(jobs.map((job) => job.id));
  for (const state of states.values()) {
    if (state.phase === "done" && !ids.has(state.job)) yield state;
  }
}

/**
 * Say which jobs were edited since they were submitted: a `job_changed` event
 * each. A changed job this run re-renders first gets its old video kept
 * under `videos/previous/` (never overwritten by the new one).
 */
async function announceChanged(
  actions: readonly JobAction[],
  states: ReadonlyMap<string, JobState>,
  outDir: string,
  onEvent: RunEventSink | undefined,
): Promise<void> {
  for (const action of actions) {
    const changed = action.kind === "submit"
      ? action.reason === "changed"
      : action.kind === "skip" && action.reason === "changed";
    if (!changed) continue;
    const state = states.get(action.job.id);
    const task = state?.task === undefined ? {} : { task: state.task };
    if (action.kind !== "submit") {
      onEvent?.({ type: "job_changed", job: action.job.id, ...task, rerender: false });
      continue;
    }
    const previous = state?.phase === "done"
      ? await keepPreviousVideo(outDir, state.output, state.sha256)
      : undefined;
    onEvent?.({
      type: "job_changed",
      job: action.job.id,
      ...task,
      rerender: true,
      ...(previous === undefined ? {} : { previous }),
    });
  }
}

/**
 * The report with each job's kept old videos (`previous_videos`, paths
 * relative to the output folder) on the jobs that have any; the report as it
 * was when none are kept (the usual case).
 */
function withPreviousVideos(
  report: ReportModel,
  validation: ValidationResult,
  kept: PreviousVideos,
): ReportModel {
  if (kept.count === 0) return report;
  const outputs = new Map(validation.jobs.map((job) => [job.id, job.output]));
  const jobs = report.jobs.map((row) => {
    const output = row.output ?? outputs.get(row.id);
    const previous = output === undefined ? [] : kept.of(output);
    return previous.length === 0 ? row : { ...row, previous_videos: previous };
  });
  return { ...report, jobs };
}
