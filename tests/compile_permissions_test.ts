/**
 * The compiled binary gets exactly the permissions of the `compile` task, and
 * `deno compile` cannot fetch its runtime on every machine, so the same flags
 * are proven here with `deno run`: a whole simulated run under them, and
 * under a narrower set that reaches only the manifest's folder and loopback.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { withTempDir } from "./helpers/temp_dir.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The permission flags of deno.json's `compile` task. */
async function compileFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const task: string = config.tasks.compile;
  return task.split(/\s+/).filter((word) => /^--(allow|deny)-/.test(word) || word === "-A");
}

/** Copy the example manifests (and their images) into `dir`. */
async function copyExamples(dir: string): Promise<string> {
  const from = join(ROOT, "manifests");
  const copy = async (source: string, target: string): Promise<void> => {
    await Deno.mkdir(target, { recursive: true });
    for await (const entry of Deno.readDir(source)) {
      if (entry.name.endsWith(".out")) continue;
      if (entry.isDirectory) await copy(join(source, entry.name), join(target, entry.name));
      else if (entry.isFile) {
        await Deno.copyFile(join(source, entry.name), join(target, entry.name));
      }
    }
  };
  await copy(from, dir);
  return join(dir, "example.yaml");
}

async function runWith(flags: string[], manifest: string): Promise<{ code: number; err: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      ...flags,
      join(ROOT, "mod.ts"),
      "run",
      manifest,
      "--simulate",
      "--poll-interval",
      "0.05",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, err: new TextDecoder().decode(output.stderr) };
}

Deno.test("the compile task grants no blanket permission: no -A, only the two environment variables", async () => {
  const flags = await compileFlags();
  assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"), flags.join(" "));
  assert.ok(flags.includes("--allow-env=COMETAPI_KEY,COMETAPI_BASE_URL"), flags.join(" "));
  assert.ok(!flags.includes("--allow-run") && !flags.includes("--allow-ffi"), flags.join(" "));
});

Deno.test("a whole simulated run works with exactly the compile task's permission flags", async () => {
  const flags = await compileFlags();
  await withTempDir(async (dir) => {
    const manifest = await copyExamples(dir);
    const { code, err } = await runWith(flags, manifest);
    assert.equal(code, 0, err);
    const report = JSON.parse(await Deno.readTextFile(join(dir, "example.out", "report.json")));
    assert.equal(report.totals.done, report.totals.jobs);
  });
});

Deno.test("a whole simulated run needs no permission beyond its folder, loopback and the two variables", async () => {
  await withTempDir(async (dir) => {
    const manifest = await copyExamples(dir);
    const { code, err } = await runWith([
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-env=COMETAPI_KEY,COMETAPI_BASE_URL",
    ], manifest);
    assert.equal(code, 0, err);
    assert.doesNotMatch(err, /PermissionDenied|NotCapable|Requires .* access/);
  });
});
