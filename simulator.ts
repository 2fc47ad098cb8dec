/**
 * The simulator of CometAPI's Seedance video endpoints, for trying a batch
 * with no key and for tests: multipart submits checked against the model
 * rules, tasks that render over time in either status dialect, signed video
 * URLs that expire, Range downloads and a seeded fault model.
 *
 * ```ts
 * import { startSimulator } from "./simulator.ts";
 * const simulator = startSimulator({ seed: 7, renderMs: { min: 100, max: 300 } });
 * const answer = await fetch(`${simulator.url}/v1/videos/no-such-task`, {
 *   headers: { Authorization: "Bearer any-key" },
 * });
 * console.log(answer.status); // 400: task_not_exist
 * await answer.body?.cancel();
 * await simulator.shutdown();
 * ```
 *
 * @module
 */
export {
  createSimulator,
  DEFAULT_SIMULATOR_OPTIONS,
  FAST_DEMO_OPTIONS,
  type ReceivedImage,
  type ReceivedSubmission,
  type RenderTime,
  type RunningSimulator,
  type Simulator,
  type SimulatorClock,
  type SimulatorFaults,
  type SimulatorOptions,
  type SimulatorServerOptions,
  type SimulatorStats,
  startSimulator,
  type StatusDialect,
} from "./src/simulator/server.ts";
export type { ProgressMode, SlowFault } from "./src/simulator/options.ts";
export type { RequestKind, TaskTimeline } from "./src/simulator/stats.ts";
