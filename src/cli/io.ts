/**
 * What a command may touch of the outside world, injected so tests can
 * capture output and set the environment.
 *
 * @module
 */

/** Output streams and environment of one CLI invocation. */
export interface CliIO {
  /** Write one line to standard output. */
  stdout(line: string): void;
  /** Write one line to standard error. */
  stderr(line: string): void;
  /** Read an environment variable. */
  env(name: string): string | undefined;
  /** Aborts on the first SIGINT/SIGTERM (a graceful stop); absent in tests that need none. */
  interrupt?: AbortSignal;
  /**
   * Standard error when it is a terminal: `run` redraws its live status
   * block there. Absent off a terminal and in tests, which see plain lines.
   */
  terminal?: {
    /** Write text as it is (escape sequences included), in one write. */
    write(text: string): void;
    /** Its width in columns, when known. */
    columns(): number | undefined;
  };
  /**
   * How the tool was invoked (`seedance-batch`, `deno run -A mod.ts`), for
   * the commands it prints back. @default "seedance-batch"
   */
  program?: string;
}

/** The real process streams and environment. */
export function processIO(interrupt?: AbortSignal): CliIO {
  const encoder = new TextEncoder();
  return {
    stdout: (line) => writeAll(Deno.stdout, encoder.encode(line + "\n")),
    stderr: (line) => writeAll(Deno.stderr, encoder.encode(line + "\n")),
    env: (name) => Deno.env.get(name),
    interrupt,
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) {
    try {
      written += stream.writeSync(bytes.subarray(written));
    } catch {
      return; // a closed pipe (e.g. `| head`) must not crash the run
    }
  }
}
