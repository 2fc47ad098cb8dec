/**
 * seedance-batch: turn a YAML or CSV manifest of prompts and images into
 * finished Seedance videos through CometAPI, with a checkpoint journal so that
 * nothing is paid for twice and nothing is lost.
 *
 * ```ts
 * import { main } from "./mod.ts";
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
export type { Job, JobImage } from "./src/manifest/job.ts";

if (import.meta.main) {
  const { runCli } = await import("./src/cli/main.ts");
  await runCli();
}
