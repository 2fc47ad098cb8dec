/**
 * A small tmpfs for tests that need a full disk. Mounting needs root (CI runs
 * as root); whether it works here is decided once, when the test module
 * loads, so where it does not the tests are *ignored* with the reason in
 * their name (as `optional_program.ts` does for programs), never passed
 * without checking anything.
 *
 * @module
 */

/** Whether a tmpfs can be mounted here, and why not. */
export interface TmpfsSupport {
  /** True when a probe mount and unmount succeeded. */
  readonly available: boolean;
  /** Why not (for the ignored test's name); empty when available. */
  readonly reason: string;
}

/** The page size tmpfs accounts space in. */
export const PAGE = 4096;

async function run(args: string[]): Promise<{ ok: boolean; error: string }> {
  try {
    const result = await new Deno.Command(args[0], {
      args: args.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { ok: result.success, error: new TextDecoder().decode(result.stderr).trim() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Find out whether a tmpfs can be mounted, by mounting and unmounting one.
 *
 * @returns Whether it works, and why not.
 */
export async function probeTmpfs(): Promise<TmpfsSupport> {
  if (Deno.build.os !== "linux") return { available: false, reason: "tmpfs needs Linux" };
  const dir = await Deno.makeTempDir({ prefix: "seedance_tmpfs_probe_" });
  try {
    const mounted = await run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    if (!mounted.ok) {
      return { available: false, reason: `cannot mount a tmpfs (${mounted.error || "mount"})` };
    }
    await run(["umount", dir]);
    return { available: true, reason: "" };
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

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
    const mounted = await run(["mount", "-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir]);
    if (!mounted.ok) throw new Error(`cannot mount a tmpfs on ${dir}: ${mounted.error}`);
    let unmounted: { ok: boolean; error: string } | undefined;
    try {
      await body(dir);
    } finally {
      unmounted = await run(["umount", dir]);
    }
    if (!unmounted.ok) throw new Error(`cannot unmount ${dir}: ${unmounted.error}`);
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
