/**
 * Tests that need a small file system of their own (a full disk, a
 * read-only folder) mount a tmpfs. Whether this process may mount is
 * decided once, when the test module loads, so where it may not (not root,
 * no mount program, a container without the capability) the tests are
 * *ignored* with the reason in their name, never passed having checked
 * nothing.
 *
 * @module
 */

/** Whether tmpfs mounts work here, and why not. */
export interface MountAbility {
  /** True when a tmpfs could be mounted and unmounted. */
  readonly available: boolean;
  /** Why not (for the ignored test's name); empty when available. */
  readonly reason: string;
}

async function mountCommand(args: string[]): Promise<{ ok: boolean; message: string }> {
  try {
    const result = await new Deno.Command(args[0], {
      args: args.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { ok: result.success, message: new TextDecoder().decode(result.stderr).trim() };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Find out whether this process can mount a tmpfs (mount and unmount one).
 *
 * @returns Whether it can, and why not.
 */
export async function probeTmpfs(): Promise<MountAbility> {
  if (Deno.build.os !== "linux") return { available: false, reason: "tmpfs needs Linux" };
  const dir = await Deno.makeTempDir({ prefix: "tmpfs-probe-" });
  try {
    const mounted = await mountCommand(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir]);
    if (!mounted.ok) {
      return { available: false, reason: `cannot mount a tmpfs (${mounted.message || "denied"})` };
    }
    await mountCommand(["umount", dir]);
    return { available: true, reason: "" };
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

/**
 * Mount a tmpfs on `dir` (which must exist).
 *
 * @param dir The mount point.
 * @param options Mount options, e.g. `size=64k`.
 * @returns A function that unmounts it (call it in `finally`).
 */
export async function mountTmpfs(dir: string, options: string): Promise<() => Promise<void>> {
  const mounted = await mountCommand(["mount", "-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (!mounted.ok) throw new Error(`Cannot mount a tmpfs on ${dir}: ${mounted.message}`);
  return async () => {
    const unmounted = await mountCommand(["umount", dir]);
    if (!unmounted.ok) throw new Error(`Cannot unmount ${dir}: ${unmounted.message}`);
  };
}

/**
 * Make a mounted tmpfs read-only (or writable again).
 *
 * @param dir The mount point.
 * @param readOnly Read-only when true.
 */
export async function remountTmpfs(dir: string, readOnly: boolean): Promise<void> {
  const result = await mountCommand(["mount", "-o", `remount,${readOnly ? "ro" : "rw"}`, dir]);
  if (!result.ok) throw new Error(`Cannot remount ${dir}: ${result.message}`);
}

/**
 * Register a test that needs tmpfs mounts: run when they work, ignored with
 * the reason in its name when not.
 *
 * @param ability From {@linkcode probeTmpfs}, awaited at module load.
 * @param name The test's name.
 * @param fn The test body.
 */
export function testWithTmpfs(ability: MountAbility, name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: ability.available ? name : `${name} [ignored: ${ability.reason}]`,
    ignore: !ability.available,
    fn,
  });
}

/** The page size tmpfs accounts space in. */
export const PAGE = 4096;

/**
 * Run `body` with a tmpfs of `bytes` mounted on a fresh folder, unmounted
 * and removed afterwards whatever happens.
 *
 * @param bytes The file system's size.
 * @param body Works in the mounted folder.
 */
export async function withTmpfs(
  bytes: number,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "seedance_tmpfs_" });
  try {
    const unmount = await mountTmpfs(dir, `size=${bytes}`);
    let failure: unknown;
    try {
      await body(dir);
    } catch (error) {
      failure = error;
    }
    await unmount();
    if (failure !== undefined) throw failure;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Fill the file system holding `path` (a file that does not exist yet) so
 * that exactly `pages` pages are left free.
 *
 * @param path The filler file to create.
 * @param pages How many pages to leave free.
 */
export async function fillLeaving(path: string, pages: number): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true });
  const chunk = new Uint8Array(PAGE).fill(0x5a);
  let size = 0;
  try {
    for (;;) size += await file.write(chunk);
  } catch (error) {
    if (!(error instanceof Error && /No space left/i.test(error.message))) throw error;
  }
  await file.truncate(Math.max(0, Math.floor(size / PAGE) - pages) * PAGE);
}
