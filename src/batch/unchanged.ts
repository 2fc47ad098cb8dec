/**
 * A resume over an output folder where nothing changed, without validating
 * the manifest or replaying the journal: when the folder's resume index
 * (see {@linkcode ../resume_index.ts}) was made from the same settings, the
 * same manifest, `--models` and `--prices` bytes, the same images, the same
 * journal and the same kept old videos, the outcome of the last run stands,
 * and only the disk can have moved. So every recorded video is still looked
 * at, the reports' digest compared, and the run's events emitted as the
 * whole path would; anything out of place (a video missing, altered or
 * newer than its download, a report rewritten, a recovery file) returns
 * undefined and the caller takes the whole path, which finds and mends it.
 *
 * The other half, {@linkcode writeIndexAfterRun}, is what `runBatch()` calls
 * at the end of a run that leaves nothing to do.
 *
 * @module
 */
import { join, resolve, sep } from "node:path";
import type { Clock } from "../runner/clock.ts";
import { realClock } from "../runner/clock.ts";
import type { RunEventSink } from "../runner/events.ts";
import type { JobState } from "../journal/events.ts";
import type { ValidationResult } from "../manifest/validate.ts";
import { journalPath } from "../manifest/paths.ts";
import { hasRecoveryFile } from "../journal/recovery.ts";
import { judgeLook } from "../done_videos.ts";
import { checkLayout, type InputFile, refuseInputsInside } from "../out_dir.ts";
import { type JobAction, planRun } from "../plan.ts";
import type { Job } from "../manifest/job.ts";
import { readPreviousVideos } from "../previous_videos.ts";
import { sweepTemporaryFiles } from "../runner/sweep.ts";
import { lookAtFiles } from "../runner/disk_looks.ts";
import { diskLookAt } from "../runner/verify_videos.ts";
import { currentReportDigest } from "../report/current.ts";
import { runExitCode } from "../report/outcome.ts";
import type { ReportJob, ReportModel } from "../report/summary.ts";
import {
  indexableOutput,
  type IndexedVideo,
  type InputDigests,
  type KeyedImage,
  previousVideosDigest,
  type ResumeIndex,
  type ResumeSettings,
  sameInputs,
  sameSettings,
} from "../resume_index.ts";
import {
  digestOf,
  readResumeIndex,
  sizeAndDigestOf,
  writeResumeIndex,
} from "./resume_index_file.ts";
import { imageRole, inputFilesWith, lockOutDir } from "./folder.ts";
import { MAX_IMAGE_BYTES } from "../image.ts";
import type { Shard } from "../shard.ts";
import { VERSION } from "../version.ts";
import type { RunBatchResult } from "./run.ts";

/** What {@linkcode resumeSettingsOf} reads of a run's options. */
export interface RunSettingsSource {
  /** The manifest's path. */
  manifest: string;
  /** The output folder. */
  out: string;
  /** The `--models` file. */
  modelsFile?: string | undefined;
  /** The `--prices` file. */
  pricesFile?: string | undefined;
  /** `--max-spend`, in millionths. */
  maxSpend?: bigint | undefined;
  /** `--shard K/N`. */
  shard?: Shard | undefined;
  /** `--retry-failed`. */
  retryFailed?: boolean | undefined;
  /** `--rerender-changed`. */
  rerenderChanged?: boolean | undefined;
  /** `--resubmit-uncertain`. */
  resubmitUncertain?: boolean | undefined;
}

/**
 * A run's settings as the resume index keys them (paths made absolute).
 *
 * @param run The run's options.
 * @returns The settings.
 */
export function resumeSettingsOf(run: RunSettingsSource): ResumeSettings {
  return {
    version: VERSION,
    manifest: resolve(run.manifest),
    models: run.modelsFile === undefined ? null : resolve(run.modelsFile),
    prices: run.pricesFile === undefined ? null : resolve(run.pricesFile),
    maxSpend: run.maxSpend === undefined ? null : String(run.maxSpend),
    shard: run.shard === undefined ? null : `${run.shard.index}/${run.shard.count}`,
    retryFailed: run.retryFailed ?? false,
    rerenderChanged: run.rerenderChanged ?? false,
    resubmitUncertain: run.resubmitUncertain ?? false,
    outDir: resolve(run.out),
  };
}

/**
 * The digests of a run's input files, to take before the manifest is
 * validated (and again after the run: an index is written only when they
 * did not change in between).
 *
 * @param settings The run's settings.
 * @returns The digests, or undefined when one of the files cannot be read.
 */
export async function inputDigestsOf(
  settings: ResumeSettings,
): Promise<InputDigests | undefined> {
  const manifest = await digestOf(settings.manifest);
  if (manifest === undefined) return undefined;
  const { models, prices } = await configDigestsOf(settings);
  if (models === undefined || prices === undefined) return undefined;
  return { manifest, models, prices };
}

/**
 * The digests of the `--models` and `--prices` files.
 *
 * @param settings The run's settings.
 * @returns Each digest; null for a file not given, undefined for one that cannot be read.
 */
export async function configDigestsOf(
  settings: ResumeSettings,
): Promise<{ models: string | null | undefined; prices: string | null | undefined }> {
  const optional = async (path: string | null): Promise<string | null | undefined> =>
    path === null ? null : await digestOf(path);
  return { models: await optional(settings.models), prices: await optional(settings.prices) };
}

/**
 * The output folder's resume index, when it was made from these settings,
 * these input files and images with the bytes they have now. Reads files,
 * writes nothing, takes no lock.
 *
 * @param settings The run's settings.
 * @param inputs The input files' digests (from {@linkcode inputDigestsOf}).
 * @returns The index, or undefined when there is none or it does not match.
 */
export async function matchingResumeIndex(
  settings: ResumeSettings,
  inputs: InputDigests,
): Promise<ResumeIndex | undefined> {
  const index = await readResumeIndex(settings.outDir);
  if (index === undefined) return undefined;
  if (!sameSettings(index.key.settings, settings) || !sameInputs(index.key.inputs, inputs)) {
    return undefined;
  }
  for (const image of index.key.images) {
    // A file over the image limit cannot be the one validation read: not read at all.
    if (await digestOf(image.path, MAX_IMAGE_BYTES) !== image.sha256) return undefined;
  }
  return index;
}

/** Options of {@linkcode resumeUnchanged}. */
export interface ResumeUnchangedOptions {
  /** Receives the run's events (`run_started`, `run_finished`), as `runBatch()` emits them. */
  onEvent?: RunEventSink;
  /** Stops the run: it ends as interrupted. */
  signal?: AbortSignal;
  /** Time. @default the real clock */
  clock?: Clock;
  /**
   * Looks at the recorded videos (see {@linkcode videosAsRecorded}).
   * @default {@linkcode videosAsRecorded}
   */
  looks?: (
    outDir: string,
    videos: readonly IndexedVideo[],
    signal?: AbortSignal,
  ) => Promise<VideoLooks>;
}

/**
 * Resume a run whose index matches (see {@linkcode matchingResumeIndex}):
 * lock the folder, check that the journal and the kept old videos are the
 * ones the index was made with, sweep what an interrupted run left, look
 * at every recorded video, and check that the reports are current.
 *
 * @param index The matching index.
 * @param options Where events go, and the stop signal.
 * @returns The run's outcome, as `runBatch()` would give it; undefined when
 *   something moved, and the whole path must run.
 * @throws {ConfigError} (exit 2) For an input kept where the run writes, or
 *   an output folder whose journal or `videos/` is a link.
 * @throws {LockHeldError} (exit 75) When another run holds the output folder.
 */
export async function resumeUnchanged(
  index: ResumeIndex,
  options: ResumeUnchangedOptions = {},
): Promise<RunBatchResult | undefined> {
  const { settings } = index.key;
  const outDir = settings.outDir;
  const clock = options.clock ?? realClock;
  await refuseInputsInside(outDir, inputsOf(index), `run ${settings.manifest}`);
  const lock = await lockOutDir(outDir);
  try {
    await checkLayout(outDir);
    if (await hasRecoveryFile(outDir)) return undefined;
    const journal = await sizeAndDigestOf(journalPath(outDir));
    if (
      journal?.bytes !== index.key.journalBytes || journal.sha256 !== index.key.journalSha256
    ) {
      return undefined;
    }
    // A partial download needs a journaled task first: none was started since.
    await sweepTemporaryFiles(outDir, { videos: false });
    const kept = await readPreviousVideos(outDir);
    if (previousVideosDigest(kept.names) !== index.key.previousVideos) return undefined;
    if (await currentReportDigest(outDir) !== index.reportDigest) return undefined;
    const looks = options.looks ?? videosAsRecorded;
    const seen = await looks(outDir, index.videos, options.signal);
    if (seen === "moved") return undefined;
    options.onEvent?.({
      type: "run_started",
      jobs: index.jobs,
      toSubmit: 0,
      toPoll: 0,
      toDownload: 0,
      skipped: index.jobs,
    });
    // As the whole path's executor says it: a stop that came at any point so far.
    const interrupted = options.signal?.aborted ?? false;
    if (interrupted) options.onEvent?.({ type: "run_stopping", reason: "interrupted" });
    options.onEvent?.({ type: "run_finished" });
    return {
      exitCode: runExitCode(index.totals, { interrupted }),
      report: keptReport(index, outDir, new Date(clock.now())),
      outDir,
      reportsKept: true,
      interrupted,
    };
  } finally {
    await lock.release();
  }
}

/**
 * What a look at the recorded videos found: all `as_recorded`, one `moved`,
 * or `stopped` by the signal before it was done.
 */
export type VideoLooks = "as_recorded" | "moved" | "stopped";

/**
 * Whether every recorded video is on disk as recorded: a regular file (a
 * link is not followed) of the recorded size, modified no later than its
 * download was recorded (the rules of src/done_videos.ts; a file that would
 * need its hash compared counts as moved).
 *
 * @param outDir The output folder.
 * @param videos The index's videos.
 * @param signal A stop (checked before the looks and once they are made).
 * @returns `as_recorded` when all of them are; `moved` at the first that is
 *   not; `stopped` when the signal came first.
 */
export async function videosAsRecorded(
  outDir: string,
  videos: readonly IndexedVideo[],
  signal?: AbortSignal,
): Promise<VideoLooks> {
  if (signal?.aborted) return "stopped";
  const prefix = outDir.endsWith(sep) ? outDir : outDir + sep;
  // Over two Workers beyond a few thousand files (src/runner/disk_looks.ts).
  const looks = await lookAtFiles(videos.map((video) => video.output), { prefix });
  if (signal?.aborted) return "stopped";
  for (let i = 0; i < videos.length; i++) {
    const verdict = judgeLook(
      { job: "", task: "", sha256: "", ...videos[i] },
      diskLookAt(looks, i),
    );
    if (verdict !== "ok") return "moved";
  }
  return "as_recorded";
}

/** The inputs that must stay out of the output folder, as the whole path lists them. */
function inputsOf(index: ResumeIndex): InputFile[] {
  const { settings } = index.key;
  return inputFilesWith(settings.manifest, {
    modelsFile: settings.models ?? undefined,
    pricesFile: settings.prices ?? undefined,
  }, index.key.images.map((image) => ({ path: image.path, role: image.role })));
}

/**
 * The report the kept files show: totals and estimate from the index, its
 * rows read from report.json when first asked for.
 */
function keptReport(index: ResumeIndex, outDir: string, now: Date): ReportModel {
  let rows: ReportJob[] | undefined;
  const report = {
    manifest: index.manifest,
    generated_at: now.toISOString(),
    totals: index.totals,
  } as ReportModel;
  Object.defineProperty(report, "jobs", {
    enumerable: true,
    get: (): ReportJob[] => {
      rows ??= JSON.parse(Deno.readTextFileSync(join(outDir, "report.json"))).jobs;
      return rows ?? [];
    },
  });
  if (index.estimate !== undefined) report.estimate = index.estimate;
  report.report_digest = index.reportDigest;
  return report;
}

/** What {@linkcode writeIndexAfterRun} needs of the run that just ended. */
export interface IndexSources {
  /** The run's settings. */
  settings: ResumeSettings;
  /** The input files' digests, taken before the manifest was validated. */
  inputs: InputDigests;
  /** The validated manifest. */
  validation: ValidationResult;
  /** The run's plan, as made at its start (one action per valid job). */
  plan: readonly JobAction[];
  /** The jobs an event of the run touched. */
  touched: ReadonlySet<string>;
  /** The states the report shows (videos checked). */
  states: ReadonlyMap<string, JobState>;
  /** The report as stamped (its totals and digest). */
  report: ReportModel;
  /** The names in `videos/previous/`, sorted. */
  previousVideos: readonly string[];
}

/**
 * At the end of a run (under its lock, after its last journal line and its
 * reports): write the resume index when the run leaves nothing to do, that
 * is when a run with the same settings would submit, poll and download
 * nothing and say nothing of an edited job. Only a whole, clean run calls it
 * (not interrupted, no journal, key or report failure, no notice, no
 * invalid job).
 *
 * @param sources What the run knew.
 * @returns A warning when the index could not be written; undefined otherwise.
 */
export async function writeIndexAfterRun(sources: IndexSources): Promise<string | undefined> {
  const { settings, validation, report } = sources;
  const totals = report.totals;
  if (
    totals.pending > 0 || totals.running > 0 || (totals.changed ?? 0) > 0 ||
    report.report_digest === undefined || validation.errors.length > 0 ||
    // Some of the manifest's jobs left out (a library caller's subset): the
    // index would answer for the whole manifest.
    validation.jobs.length + validation.invalid.length !== validation.total ||
    // The manifest validation read is not the one hashed before it: an edit came between.
    validation.sha256 === undefined || validation.sha256 !== sources.inputs.manifest
  ) {
    return undefined;
  }
  // What a run with these settings would do now: a job the run left alone
  // keeps the plan's verdict (neither it nor its state changed); the others
  // are planned again on the states as they are.
  const again: Job[] = [];
  for (const action of sources.plan) {
    if (action.kind === "skip" && action.reason === "changed") return undefined;
    if (action.kind !== "skip" || sources.touched.has(action.job.id)) again.push(action.job);
  }
  const replanned = planRun(again, sources.states, {
    retryFailed: settings.retryFailed,
    rerenderChanged: settings.rerenderChanged,
    resubmitUncertain: settings.resubmitUncertain,
    newKey: () => "",
  });
  if (replanned.some((action) => action.kind !== "skip" || action.reason === "changed")) {
    return undefined;
  }
  // The videos of the manifest's jobs, as the whole path looks at them: a
  // job dropped from it keeps its record, and its video is the user's to delete.
  const videos: IndexedVideo[] = [];
  for (const job of validation.jobs) {
    const state = sources.states.get(job.id);
    if (state?.phase !== "done") continue;
    if (!indexableOutput(state.output)) return undefined;
    videos.push({
      bytes: state.bytes,
      downloadedAtMs: Date.parse(state.downloadedAt),
      output: state.output,
    });
  }
  // The other inputs as they are now: an edit during the run leaves no index.
  const { models, prices } = await configDigestsOf(settings);
  if (models !== sources.inputs.models || prices !== sources.inputs.prices) return undefined;
  const journal = await sizeAndDigestOf(journalPath(settings.outDir));
  if (journal === undefined) return undefined;
  const problem = await writeResumeIndex(settings.outDir, {
    key: {
      settings,
      inputs: sources.inputs,
      images: imagesOf(validation),
      journalBytes: journal.bytes,
      journalSha256: journal.sha256,
      previousVideos: previousVideosDigest(sources.previousVideos),
    },
    jobs: sources.plan.length,
    totals,
    manifest: report.manifest,
    ...(report.estimate === undefined ? {} : { estimate: report.estimate }),
    reportDigest: report.report_digest,
    videos,
  });
  return problem === undefined
    ? undefined
    : `warning: Cannot write the resume index in ${settings.outDir}: ${problem}; ` +
      `the next run validates and replays everything`;
}

/** Each distinct image the valid jobs send, with the first job that sends it. */
function imagesOf(validation: ValidationResult): KeyedImage[] {
  const images = new Map<string, KeyedImage>();
  for (const job of validation.jobs) {
    for (const image of job.images) {
      if (images.has(image.resolved)) continue;
      images.set(image.resolved, {
        path: image.resolved,
        sha256: image.sha256,
        role: imageRole(job.id),
      });
    }
  }
  return [...images.values()];
}
