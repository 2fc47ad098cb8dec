/**
 * seedance-batch: turn a YAML or CSV manifest of prompts and images into
 * finished Seedance videos through CometAPI, with a checkpoint journal so that
 * nothing is paid for twice and nothing is lost.
 *
 * The library does what the CLI does, one function per use case: validate a
 * manifest ({@linkcode validateManifest}), see what a run would do and cost
 * ({@linkcode planBatch}), run it ({@linkcode runBatch}) and ask where it
 * stands ({@linkcode batchStatus}). The simulator of the service
 * is its own entry point, `./simulator.ts`.
 *
 * ```ts
 * import { batchStatus, validateManifest } from "./mod.ts";
 * const validation = await validateManifest("manifests/example.yaml");
 * const { report, exitCode } = await batchStatus(validation, { out: "/nonexistent/out" });
 * console.log(report.totals.pending === validation.jobs.length, exitCode); // true 3
 * ```
 *
 * @module
 */
export { main } from "./src/cli/main.ts";
export { VERSION } from "./src/version.ts";
export type { CliIO } from "./src/cli/io.ts";
export {
  ApiError,
  BatchError,
  ConfigError,
  ExitCode,
  InterruptedError,
  LockHeldError,
  ManifestError,
  UsageError,
} from "./src/errors.ts";
export { ReportWriteError } from "./src/report/write.ts";
export { type Catalog, DEFAULT_CATALOG, mergeCatalog, type ModelRule } from "./src/catalog.ts";
export { loadCatalog } from "./src/catalog_file.ts";
export type { Job, JobImage } from "./src/manifest/job.ts";
export type { ImageContentType, ImageFacts, ImageProbe, ImageProblem } from "./src/image.ts";
export {
  type InvalidJob,
  type Issue,
  validateManifest,
  type ValidateOptions,
  type ValidationResult,
} from "./src/manifest/validate.ts";
export { defaultOutDir } from "./src/manifest/paths.ts";
export { runBatch, type RunBatchOptions, type RunBatchResult } from "./src/batch/run.ts";
export {
  inputDigestsOf,
  matchingResumeIndex,
  resumeSettingsOf,
  resumeUnchanged,
  type ResumeUnchangedOptions,
  type RunSettingsSource,
  type VideoLooks,
  videosAsRecorded,
} from "./src/batch/unchanged.ts";
export type {
  IndexedVideo,
  InputDigests,
  KeyedImage,
  ResumeIndex,
  ResumeKey,
  ResumeSettings,
} from "./src/resume_index.ts";
export { type BatchStatus, batchStatus, type BatchStatusOptions } from "./src/batch/status.ts";
export { type BatchPlan, planBatch, type PlanBatchOptions } from "./src/batch/plan.ts";
export type { JournalCounts, ModelCount, PlanSummary } from "./src/plan_summary.ts";
export {
  type Estimate,
  SPEND_CATEGORIES,
  type SpendCategory,
  type SpendLine,
  type SpendRow,
  type UnpricedGroup,
} from "./src/estimate.ts";
export { mergeBatchReports, type MergeOptions, shardFoldersIn } from "./src/batch/merge.ts";
export {
  inShard,
  MAX_SHARDS,
  parseShard,
  type Shard,
  type ShardedValidation,
  shardIndexOf,
  shardOf,
  shardOutDir,
} from "./src/shard.ts";
export {
  type LoadedPrices,
  loadPrices,
  type ModelPrice,
  parseAmount,
  type PriceList,
} from "./src/prices.ts";
export type { EstimateJson, SpendLineJson, SpendRowJson } from "./src/estimate.ts";
export type { RunEvent, RunEventSink } from "./src/runner/events.ts";
export type { Clock } from "./src/runner/clock.ts";
export type {
  DownloadedEvent,
  DownloadFailedEvent,
  DownloadHeldEvent,
  JournalEvent,
  NotCreatedEvent,
  RejectedEvent,
  RunStartedEvent,
  StatusEvent,
  SubmittedEvent,
  SubmittingEvent,
  TaskFailedEvent,
  TaskSucceededEvent,
  UnknownOutcomeEvent,
  VideoLostEvent,
  VideoMetadata,
} from "./src/journal/events.ts";
export type { JobError } from "./src/domain/job_error.ts";
export type { TaskStatus } from "./src/domain/task_status.ts";
export type { UnjournaledEvent } from "./src/runner/executor.ts";
export type { PollingMode } from "./src/runner/policy/poll.ts";
export {
  type InvalidJobRow,
  REPORT_STATUSES,
  type ReportJob,
  type ReportModel,
  type ReportStatus,
  type ReportTotals,
} from "./src/report/summary.ts";

if (import.meta.main) {
  const { runCli } = await import("./src/cli/main.ts");
  await runCli();
}
