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

/** What `simulateCommand` may be given besides the command (for tests). */
export interface SimulateOptions {
  /** Stop when this aborts, as on a signal. @default only SIGINT/SIGTERM */
  signal?: AbortSignal;
}

/**
 * Run `simulate`: print `http://HOST:PORT`, serve until SIGINT or SIGTERM,
 * then shut down.
 *
 * @param command The parsed command (`--port`, `--host`, `--key`).
 * @param io Output and environment.
 * @param options A stop signal for tests.
 * @returns 0 once stopped.
 */
export async function simulateCommand(
  command: SimulateCommand,
  io: CliIO,
  options: SimulateOptions = {},
): Promise<ExitCode> {
  const simulator = startSimulator({ port: command.port, host: command.host, key: command.key });
  io.stdout(simulator.url);
  io.stderr(
    `simulator: serving POST ${simulator.url}/v1/videos and GET ${simulator.url}/v1/videos/{id}; ` +
      `accepting ${
        command.key === undefined ? "any bearer key" : "only the key given by --key"
      }; ` +
      `counters at ${simulator.url}/_simulator/stats; stop with Ctrl-C`,
  );
  const signal = await stopSignal(options.signal);
  io.stderr(`simulator: stopping on ${signal}`);
  await simulator.shutdown();
  return ExitCode.Ok;
}

/** Resolve with the name of the first stop signal, then remove the listeners. */
function stopSignal(abort?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const listeners = signals.map((name) => [name, () => stop(name)] as const);
    const stop = (name: string): void => {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      abort?.removeEventListener("abort", onAbort);
      resolve(name);
    };
    const onAbort = (): void => stop("abort");
    for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
    if (abort?.aborted) onAbort();
    else abort?.addEventListener("abort", onAbort, { once: true });
  });
}
