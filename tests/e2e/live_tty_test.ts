/**
 * The live view on a real terminal: `run` under tmux (a pseudo-terminal),
 * its screen read with `capture-pane` while the simulator renders slowly
 * enough for the block to be redrawn several times.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTempDir } from "../helpers/cli.ts";
import { findProgram, testWith } from "../helpers/optional_program.ts";
import { envFor, sampleJobs, startService, writeManifest } from "./harness.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));
const tmux = await findProgram("tmux", ["-V"]);

/** Run tmux on this test's own server. */
async function tmuxOn(
  socket: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * Read the screen until `done(screen)` holds, keeping every different screen.
 * Gives up (failing the test) after `guardMs`.
 */
async function watch(
  socket: string,
  done: (screen: string) => boolean,
  screens: string[],
  guardMs = 90_000,
): Promise<string> {
  const giveUp = Date.now() + guardMs;
  while (true) {
    const screen = await tmuxOn(socket, ["capture-pane", "-p", "-t", "run"]);
    if (screens.at(-1) !== screen) screens.push(screen);
    if (done(screen)) return screen;
    if (Date.now() > giveUp) {
      throw new Error(`the screen never showed what was expected; last screen:\n${screen}`);
    }
    // Pacing between reads, not synchronisation: the condition above decides.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The lines of the status block on a screen. */
function blockOf(screen: string): string[] {
  const lines = screen.split("\n");
  const top = lines.findIndex((line) => /^\[[#.]{20}\] /.test(line));
  if (top === -1) return [];
  return lines.slice(top).filter((line) => line.trim() !== "");
}

testWith(
  tmux,
  "run redraws one status block in place on a terminal, event lines scrolling above it, and leaves the summary on the final screen",
  async () => {
    await withTempDir(async (dir) => {
      const service = await startService({ renderMs: { min: 1_500, max: 2_500 } });
      const socket = `seedance-live-${crypto.randomUUID().slice(0, 8)}`;
      try {
        const manifest = await writeManifest(dir, sampleJobs(4));
        const command = `deno run -A '${MOD}' run '${manifest}' --poll-interval 0.2 ` +
          `--concurrency 2; echo "exit $?"; exec cat`;
        await tmuxOn(
          socket,
          ["new-session", "-d", "-s", "run", "-x", "100", "-y", "40", "-c", dir, command],
          { ...envFor(service), NO_COLOR: "1" },
        );
        const screens: string[] = [];
        // The block shows, then shows again with other content: it was redrawn.
        const first = await watch(socket, (screen) => blockOf(screen).length >= 2, screens);
        await watch(
          socket,
          (screen) =>
            blockOf(screen).length >= 2 && blockOf(screen).join() !== blockOf(first).join(),
          screens,
        );
        const last = await watch(socket, (screen) => /^exit \d+$/m.test(screen), screens);

        for (const screen of screens) {
          // Never two blocks on a screen: the old one is erased before the new one is drawn.
          assert.ok(
            (screen.match(/in flight \d\/2 · elapsed/g) ?? []).length <= 1,
            `two blocks on one screen:\n${screen}`,
          );
          for (const line of screen.split("\n")) assert.ok([...line].length <= 100, line);
        }
        const blocks = screens.map(blockOf).filter((block) => block.length >= 2);
        assert.ok(blocks.length >= 2, "the block was seen at least twice");
        for (const block of blocks) {
          assert.match(block[0], /^\[[#.]{20}\] \d\/4 done · \d running · \d pending · /);
          assert.match(block[1], /^in flight \d\/2 · elapsed \d+s · \d+\.\d jobs\/min · ETA /);
        }
        assert.ok(
          blocks.some((block) => block.slice(2).some((line) => /^ {2}clip-\d{3}: /.test(line))),
          "the oldest live tasks are listed",
        );

        // The final screen: every event line once, the summary, no block.
        assert.match(last, /^exit 0$/m);
        assert.equal(blockOf(last).length, 0, `the block was cleared:\n${last}`);
        assert.ok(!/in flight \d\/2/.test(last), last);
        for (let i = 1; i <= 4; i++) {
          const id = `clip-${String(i).padStart(3, "0")}`;
          assert.equal((last.match(new RegExp(`^${id}: done: `, "gm")) ?? []).length, 1, last);
        }
        assert.match(last, /^4 jobs: 4 done, 0 running, 0 pending, 0 uncertain, 0 failed/m);
        assert.ok(last.includes(`report: ${join(dir, "batch.out", "report.html")}`), last);
      } finally {
        await tmuxOn(socket, ["kill-server"]).catch(() => {});
        await service.close();
      }
    });
  },
);
