/**
 * The `simulate` command: serve the simulator of CometAPI's Seedance
 * endpoints until SIGINT or SIGTERM. The first stdout line is the base URL.
 *
 * @module
 */
import type { SimulateCommand } from "../args.ts";
import type { CliIO } from "../io.ts";
import { ExitCode } from "../../errors.ts";
import { startSimulator } from "../../simulator/server.ts";
import { plural } from "../../text.ts";

/**
 * Run `simulate`: print `http://HOST:PORT`, serve until `io.interrupt`
 * aborts (the CLI aborts it on the first SIGINT or SIGTERM), then shut down.
 * Without `io.interrupt` it serves until the process ends.
 *
 * @param command The parsed command (`--port`, `--host`, `--key` and the simulator's options).
 * @param io Output, environment and the interrupt signal.
 * @returns 0 once stopped.
 */
export async function simulateCommand(command: SimulateCommand, io: CliIO): Promise<ExitCode> {
  const simulator = startSimulator({
    ...command.simulator,
    port: command.port,
    host: command.host,
    key: command.key,
  });
  io.stdout(simulator.url);
  io.stderr(
    `simulator: serving POST ${simulator.url}/v1/videos and GET ${simulator.url}/v1/videos/{id}; ` +
      `accepting ${
        command.key === undefined ? "any bearer key" : "only the key given by --key"
      }; ` +
      `counters at ${simulator.url}/_simulator/stats; stop with Ctrl-C`,
  );
  const knobs = describeKnobs(command.simulator ?? {});
  if (knobs !== "") io.stderr(`simulator: ${knobs}`);
  await aborted(io.interrupt);
  io.stderr("simulator: stopping");
  await simulator.shutdown();
  return ExitCode.Ok;
}

/**
 * The knobs set from the command line, in words, so a rehearsal shows what it
 * rehearses (empty when none was set).
 *
 * @param options The simulator options the flags gave.
 * @returns E.g. `render time 40-60 s; failure rate 0.05; 429 rate 0.02`.
 */
export function describeKnobs(options: NonNullable<SimulateCommand["simulator"]>): string {
  const parts: string[] = [];
  const seconds = (ms: number): string => `${ms / 1000}`;
  const render = options.renderMs;
  if (render !== undefined) {
    parts.push(
      `render time ${
        typeof render === "number"
          ? seconds(render)
          : `${seconds(render.min)}-${seconds(render.max)}`
      } s`,
    );
  }
  if (options.failureRate !== undefined) parts.push(`failure rate ${options.failureRate}`);
  if (options.errorShare !== undefined) parts.push(`error share ${options.errorShare}`);
  if (options.mismatchRate !== undefined) parts.push(`mismatch rate ${options.mismatchRate}`);
  if (options.dialect !== undefined) parts.push(`${options.dialect} dialect`);
  if (options.urlTtlMs !== undefined) parts.push(`URLs valid ${seconds(options.urlTtlMs)} s`);
  if (options.honourIdempotency) parts.push("idempotency keys honoured");
  if (options.seed !== undefined) parts.push(`seed ${options.seed}`);
  const faults = options.faults ?? {};
  if (faults.submitRateLimited !== undefined) parts.push(`429 rate ${faults.submitRateLimited}`);
  if (faults.retryAfterSeconds !== undefined) {
    parts.push(`Retry-After ${faults.retryAfterSeconds} s`);
  }
  if (faults.submitServerError !== undefined) parts.push(`5xx rate ${faults.submitServerError}`);
  if (faults.submitAnswerLost !== undefined) {
    parts.push(`lost answer rate ${faults.submitAnswerLost}`);
  }
  if (faults.submitReset !== undefined) parts.push(`reset rate ${faults.submitReset}`);
  if (faults.downloadTruncated !== undefined) {
    parts.push(`truncated download rate ${faults.downloadTruncated}`);
  }
  if (faults.slow !== undefined) {
    parts.push(`slow answer rate ${faults.slow.probability} (${seconds(faults.slow.delayMs)} s)`);
  }
  if (faults.maxTasksInFlightPerKey !== undefined) {
    parts.push(`at most ${plural(faults.maxTasksInFlightPerKey, "task")} in flight per key`);
  }
  return parts.join("; ");
}

/** Resolve once the signal aborts; never without one. */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    else signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}
