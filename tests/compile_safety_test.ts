/**
 * `deno compile` embeds the module graph and nothing else, so code that the
 * binary runs must never read files relative to its own source at run time.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** A Worker module named next to its starter: the one use of `import.meta.url` allowed. */
const WORKER_URL = /new URL\("\.\/(\w+_worker\.ts)", import\.meta\.url\)/;

/** The Worker modules src/ starts, as repo paths, and every other use of its own URL. */
async function ownUrlUses(): Promise<{ workers: string[]; offenders: string[] }> {
  const workers: string[] = [];
  const offenders: string[] = [];
  for (const file of await sourceFiles(`${ROOT}src`)) {
    const text = await Deno.readTextFile(file);
    text.split("\n").forEach((line, index) => {
      if (!/import\.meta\.(url|dirname|filename|resolve)/.test(line)) return;
      const worker = WORKER_URL.exec(line);
      if (worker !== null) {
        workers.push(join(dirname(file.slice(ROOT.length)), worker[1]));
      } else offenders.push(`${file.slice(ROOT.length)}:${index + 1}: ${line.trim()}`);
    });
  }
  return { workers, offenders };
}

Deno.test("the code under src/ never locates files through its own module URL, but for a Worker module", async () => {
  const { workers, offenders } = await ownUrlUses();
  assert.deepEqual(offenders, []);
  assert.ok(workers.includes("src/runner/disk_looks_worker.ts"), workers.join(", "));
});

Deno.test("the compile task embeds every Worker module src/ starts (deno compile leaves Workers out unless --include'd)", async () => {
  const { workers } = await ownUrlUses();
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const words: string[] = config.tasks.compile.split(/\s+/);
  const included = words.flatMap((word, i) =>
    word === "--include" ? [words[i + 1]] : word.startsWith("--include=") ? [word.slice(10)] : []
  );
  for (const worker of workers) {
    assert.ok(included.includes(worker), `${worker} is not --include'd: ${config.tasks.compile}`);
    assert.ok((await Deno.stat(`${ROOT}${worker}`)).isFile, worker);
  }
});

Deno.test("mod.ts's module graph holds only local files, npm packages and node built-ins", async () => {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(info.success, new TextDecoder().decode(info.stderr));
  const graph = JSON.parse(new TextDecoder().decode(info.stdout));
  const specifiers: string[] = graph.modules.map((m: { specifier: string }) => m.specifier);
  const foreign = specifiers.filter((s) => !/^(file:\/\/|npm:|node:)/.test(s));
  assert.deepEqual(foreign, []);
  // The simulator's clip is part of the graph (embedded), not a file read at run time.
  assert.ok(specifiers.some((s) => s.endsWith("/src/simulator/assets/clip_mp4.ts")));
});
