/**
 * `deno compile` embeds the module graph and nothing else, so code that the
 * binary runs must never read files relative to its own source at run time.
 */
import assert from "node:assert/strict";
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

Deno.test("the code under src/ never locates files through its own module URL", async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(`${ROOT}src`)) {
    const text = await Deno.readTextFile(file);
    text.split("\n").forEach((line, index) => {
      if (/import\.meta\.(url|dirname|filename|resolve)/.test(line)) {
        offenders.push(`${file.slice(ROOT.length)}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
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
