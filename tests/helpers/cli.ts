/**
 * Runs the CLI in-process with captured output and a chosen environment.
 *
 * @module
 */
import { main } from "../../src/cli/main.ts";

/** What one CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

/**
 * Run `main(argv)` with captured output.
 *
 * @param argv The arguments.
 * @param options Environment variables and an interrupt signal.
 * @returns Exit code and printed lines.
 */
export async function runCli(
  argv: string[],
  options: {
    env?: Record<string, string>;
    interrupt?: AbortSignal;
    /** Sees each standard-error line as it is printed. */
    onStderr?: (line: string) => void;
  } = {},
): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => {
      stderr.push(line);
      options.onStderr?.(line);
    },
    env: (name) => options.env?.[name],
    interrupt: options.interrupt,
  });
  return { code, stdout, stderr };
}

/**
 * A temporary folder removed after `body` finishes.
 *
 * @param body Work with the folder.
 * @returns What body returned.
 */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "seedance-test-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Every line of a JSONL file, parsed.
 *
 * @param path The file.
 * @returns The objects.
 */
export async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}
