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
  await aborted(io.interrupt);
  io.stderr("simulator: stopping");
  await simulator.shutdown();
  return ExitCode.Ok;
}

/** Resolve once the signal aborts; never without one. */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    else signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}
