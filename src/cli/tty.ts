/**
 * The process's terminal, when standard error is one: raw writes (for the
 * live view's escape sequences) and its width; and how the tool was invoked,
 * for the commands it prints back.
 *
 * @module
 */
import { basename, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { shellQuote } from "./next_steps.ts";
import type { CliIO } from "./io.ts";

/** A terminal the live view may redraw on (see {@linkcode CliIO}'s `terminal`). */
export type Terminal = NonNullable<CliIO["terminal"]>;

/**
 * Standard error as a {@linkcode Terminal}, or undefined when it is not a
 * terminal (a pipe, a file, cron, CI).
 *
 * @returns The terminal, or undefined.
 */
export function stderrTerminal(): Terminal | undefined {
  if (!Deno.stderr.isTerminal()) return undefined;
  const encoder = new TextEncoder();
  return {
    write: (text) => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) {
        try {
          written += Deno.stderr.writeSync(bytes.subarray(written));
        } catch {
          return; // a closed terminal must not crash the run
        }
      }
    },
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * How this process was started, as a command a person can type again:
 * `deno run -A mod.ts` under Deno (the main module relative to the working
 * folder), else the compiled binary's name (`dist/seedance-batch` when it
 * lies under the working folder).
 *
 * @returns The program part of a command line.
 */
export function invokedProgram(): string {
  try {
    return programOf(Deno.execPath(), Deno.cwd());
  } catch {
    return "seedance-batch"; // a working folder gone, or no permission to ask
  }
}

function programOf(exec: string, cwd: string): string {
  const name = basename(exec).replace(/\.exe$/, "");
  if (name === "deno") {
    const main = Deno.mainModule.startsWith("file:")
      ? relative(cwd, fileURLToPath(Deno.mainModule))
      : Deno.mainModule;
    return `deno run -A ${shellQuote(main)}`;
  }
  const local = relative(cwd, exec);
  if (local.startsWith("..")) return shellQuote(name);
  return shellQuote(local.includes("/") ? local : `./${local}`);
}
