import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode, LockHeldError } from "../src/errors.ts";
import { acquireLock } from "../src/journal/lock.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const CHILD = new URL("./fixtures/journal/hold_lock.ts", import.meta.url);
const HOLDER = { pid: 4242, host: "test-host", startedAt: "2025-01-01T00:00:00.000Z" };

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A child process holding the lock on `outDir`, started and waited for. */
async function startHolder(outDir: string): Promise<{
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  rest: ReadableStreamDefaultReader<string>;
}> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-sys", CHILD.pathname, outDir],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const rest = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await rest.read();
    if (done) break;
    output += value;
  }
  assert.equal(output, "locked\n");
  return { child, stdin: child.stdin.getWriter(), rest };
}

/** Reads what is left of the child's output until it ends. */
async function drain(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let output = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) output += r.value;
  return output;
}

Deno.test("`acquireLock()` creates the folder and writes who holds it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "nested", "run.out");
    const lock = await acquireLock(out, HOLDER);
    try {
      assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, ".lock"))), HOLDER);
    } finally {
      await lock.release();
    }
  });
});

Deno.test("`release()` removes the lock file and lets the folder be locked again", async () => {
  await withTempDir(async (dir) => {
    const lock = await acquireLock(dir, HOLDER);
    await lock.release();
    assert.equal(await exists(join(dir, ".lock")), false);
    await lock.release();
    const again = await acquireLock(dir, HOLDER);
    await again.release();
  });
});

Deno.test("`acquireLock()` describes this process when no holder is given", async () => {
  await withTempDir(async (dir) => {
    const lock = await acquireLock(dir);
    try {
      const holder = JSON.parse(await Deno.readTextFile(join(dir, ".lock")));
      assert.equal(holder.pid, Deno.pid);
      assert.equal(holder.host, Deno.hostname());
      assert.equal(typeof holder.startedAt, "string");
    } finally {
      await lock.release();
    }
  });
});

Deno.test("`acquireLock()` throws LockHeldError when the same process holds the folder", async () => {
  await withTempDir(async (dir) => {
    const lock = await acquireLock(dir, HOLDER);
    try {
      await assert.rejects(acquireLock(dir), (error: unknown) => {
        assert.ok(error instanceof LockHeldError);
        assert.deepEqual(error.holder, HOLDER);
        return true;
      });
    } finally {
      await lock.release();
    }
  });
});

Deno.test("`acquireLock()` names the other process holding the lock, then takes over once it is killed", async () => {
  await withTempDir(async (dir) => {
    const { child, stdin, rest } = await startHolder(dir);
    try {
      await assert.rejects(acquireLock(dir, HOLDER), (error: unknown) => {
        assert.ok(error instanceof LockHeldError);
        assert.equal(error.exitCode, ExitCode.LockHeld);
        assert.equal(error.path, join(dir, ".lock"));
        assert.deepEqual(error.holder, {
          pid: child.pid,
          host: "child-host",
          startedAt: "2025-01-02T03:04:05.000Z",
        });
        assert.match(error.message, new RegExp(`pid ${child.pid} on child-host`));
        return true;
      });
    } finally {
      child.kill("SIGKILL");
      assert.equal((await child.status).signal, "SIGKILL");
      await stdin.close().catch(() => {});
      await drain(rest);
    }
    // The killed holder left its file behind; the kernel released its lock.
    assert.equal(await exists(join(dir, ".lock")), true);
    const lock = await acquireLock(dir, HOLDER);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, ".lock"))), HOLDER);
    await lock.release();
    assert.equal(await exists(join(dir, ".lock")), false);
  });
});

Deno.test("`release()` in another process frees the folder and removes the file", async () => {
  await withTempDir(async (dir) => {
    const { child, stdin, rest } = await startHolder(dir);
    await stdin.close();
    assert.equal(await drain(rest), "");
    assert.equal((await child.status).code, 0);
    assert.equal(await exists(join(dir, ".lock")), false);
    const lock = await acquireLock(dir, HOLDER);
    await lock.release();
  });
});

Deno.test("`acquireLock()` throws LockHeldError without a holder when the lock file is unreadable", async () => {
  await withTempDir(async (dir) => {
    // A holder that has locked the file but not written itself into it yet.
    using holder = await Deno.open(join(dir, ".lock"), { write: true, create: true });
    assert.equal(await holder.tryLock(true), true);
    await assert.rejects(acquireLock(dir, HOLDER), (error: unknown) => {
      assert.ok(error instanceof LockHeldError);
      assert.equal(error.holder, undefined);
      assert.equal(
        error.message,
        `Cannot lock ${join(dir, ".lock")}: another run holds this output folder`,
      );
      return true;
    });
  });
});

Deno.test("`acquireLock()` replaces a .lock that is a symbolic link and never writes through it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "keep me");
    await Deno.symlink(outside, join(out, ".lock"));
    const lock = await acquireLock(out, HOLDER);
    try {
      assert.equal(await Deno.readTextFile(outside), "keep me");
      assert((await Deno.lstat(join(out, ".lock"))).isFile);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, ".lock"))), HOLDER);
    } finally {
      await lock.release();
    }
    assert.equal(await Deno.readTextFile(outside), "keep me");
  });
});

Deno.test("`acquireLock()` never creates the target of a dangling .lock link", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const outside = join(dir, "created-outside.txt");
    await Deno.symlink(outside, join(out, ".lock"));
    const lock = await acquireLock(out, HOLDER);
    await lock.release();
    assert.equal(await exists(outside), false);
  });
});
