/**
 * Tests that need a program the project does not install itself (ffprobe,
 * Chromium). Whether the program runs is decided once, when the test module
 * loads, so a missing program makes its tests *ignored* by Deno's runner, with
 * the reason in the test's name, never a pass that checked nothing.
 *
 * `.ci/run` finds the test files that use this module by its name and runs
 * them a second time with a PATH that holds none of these programs.
 *
 * @module
 */

/** What a test module learned about one optional program. */
export interface OptionalProgram {
  /** The name looked up on PATH, as given to `Deno.Command`. */
  readonly name: string;
  /** True when the program started and exited 0 on its probe arguments. */
  readonly available: boolean;
  /** Why it is unavailable (for the ignored test's name); empty when available. */
  readonly reason: string;
}

/**
 * Find out whether `name` can be run, by running it with `probeArgs`.
 *
 * `new Deno.Command(...).output()` throws synchronously when the program is
 * missing, so the spawn itself is inside the `try`.
 *
 * @param name The program, looked up on PATH.
 * @param probeArgs Arguments that make it print its version and exit.
 * @returns Whether it ran, and why not.
 */
export async function findProgram(
  name: string,
  probeArgs: readonly string[] = ["--version"],
): Promise<OptionalProgram> {
  try {
    const result = await new Deno.Command(name, {
      args: [...probeArgs],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (result.success) return { name, available: true, reason: "" };
    return { name, available: false, reason: `${name} exited with code ${result.code}` };
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `${name} is not installed (not on PATH)`
      : `${name} cannot be started (${error instanceof Error ? error.name : String(error)})`;
    return { name, available: false, reason: why };
  }
}

/**
 * Register a test that needs `program`: run when it is available, reported as
 * ignored with the reason in its name when not.
 *
 * @param program From {@linkcode findProgram}, awaited at module load.
 * @param name The test's name.
 * @param fn The test body.
 */
export function testWith(
  program: OptionalProgram,
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({
    name: program.available ? name : `${name} [ignored: ${program.reason}]`,
    ignore: !program.available,
    fn,
  });
}
