/**
 * seedance-batch: turn a YAML or CSV manifest of prompts and images into
 * finished Seedance videos through CometAPI, with a checkpoint journal so that
 * nothing is paid for twice and nothing is lost.
 *
 * The library face exports the same pieces the CLI wires together:
 * validate a manifest, replay the journal, plan, execute, and report.
 *
 * ```ts
 * import { main } from "./mod.ts";
 * // The CLI, in-process: validate the example manifest and get the exit code.
 * const exitCode = await main(["validate", "manifests/example.yaml"]);
 * ```
 *
 * @module
 */
export { main, VERSION } from "./src/cli/main.ts";
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
export { defaultOutDir, journalPath } from "./src/manifest/paths.ts";
export type {
  DownloadedEvent,
  DownloadFailedEvent,
  JobError,
  JobPhase,
  JobState,
  JournalEvent,
  NotCreatedEvent,
  RejectedEvent,
  RunStartedEvent,
  StatusEvent,
  SubmittedEvent,
  SubmittingEvent,
  TaskFailedEvent,
  TaskStatus,
  TaskSucceededEvent,
  UnknownOutcomeEvent,
} from "./src/journal/events.ts";
export { readJournalStates, type ReplayResult, replayText } from "./src/journal/replay.ts";
export { type JournalWriter, openJournal, type OpenJournalOptions } from "./src/journal/writer.ts";
export { acquireLock, type LockHolder, type OutputLock } from "./src/journal/lock.ts";
export { foldRecoveryFiles, RecoveryFile } from "./src/journal/recovery.ts";
export {
  type JobAction,
  type PlanOptions,
  planRun,
  type SkipReason,
  type SubmitReason,
} from "./src/plan.ts";
export {
  CometClient,
  type SubmitImage,
  type SubmitOutcome,
  type SubmitRequest,
} from "./src/api/client.ts";
export type { Task } from "./src/api/wire.ts";
export {
  type EventJournal,
  executeRun,
  type ExecutorOptions,
  type RecoverySink,
  type RunResult,
  type ServiceClient,
  type UnjournaledEvent,
} from "./src/runner/executor.ts";
export type { Clock } from "./src/runner/clock.ts";
export type { RunEvent, RunEventSink } from "./src/runner/events.ts";
export {
  buildReport,
  type InvalidJobRow,
  REPORT_STATUSES,
  type ReportJob,
  type ReportModel,
  type ReportStatus,
  type ReportTotals,
} from "./src/report/summary.ts";
export { writeReports } from "./src/report/write.ts";
export {
  type ReceivedImage,
  type ReceivedSubmission,
  type RenderTime,
  type RunningSimulator,
  type SimulatorClock,
  type SimulatorFaults,
  type SimulatorOptions,
  type SimulatorServerOptions,
  type SimulatorStats,
  startSimulator,
  type StatusDialect,
} from "./src/simulator/server.ts";
export type { SlowFault } from "./src/simulator/options.ts";
export type { RequestKind } from "./src/simulator/stats.ts";

if (import.meta.main) {
  const { runCli } = await import("./src/cli/main.ts");
  await runCli();
}
