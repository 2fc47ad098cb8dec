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
export { type Issue, validateManifest, type ValidationResult } from "./src/manifest/validate.ts";
export { defaultOutDir, journalPath } from "./src/manifest/paths.ts";
export type { JobState, JournalEvent } from "./src/journal/events.ts";
export { readJournalStates, replayText } from "./src/journal/replay.ts";
export { openJournal } from "./src/journal/writer.ts";
export { acquireLock } from "./src/journal/lock.ts";
export { type JobAction, planRun } from "./src/plan.ts";
export { CometClient, type SubmitRequest } from "./src/api/client.ts";
export { executeRun, type ExecutorOptions, type RunResult } from "./src/runner/executor.ts";
export type { RunEvent } from "./src/runner/events.ts";
export { buildReport, type ReportModel } from "./src/report/summary.ts";
export { writeReports } from "./src/report/write.ts";
export { startSimulator } from "./src/simulator/server.ts";

if (import.meta.main) {
  const { runCli } = await import("./src/cli/main.ts");
  await runCli();
}
