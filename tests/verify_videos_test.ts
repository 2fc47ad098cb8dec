/**
 * `verifyVideosOf()` finds the same missing and altered videos whether the
 * disk is looked at in the calling thread or over Workers.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { JobState } from "../src/journal/events.ts";
import type { HashPolicy, VideoFinding } from "../src/done_videos.ts";
import { verifyVideosOf } from "../src/runner/verify_videos.ts";
import { withTempDir } from "./helpers/cli.ts";

const DOWNLOADED_AT = new Date("2026-01-02T03:04:05.000Z");
const BEFORE = new Date(DOWNLOADED_AT.getTime() - 60_000);
const AFTER = new Date(DOWNLOADED_AT.getTime() + 60_000);

/** A done state recording `bytes` at `output`. */
function doneState(job: string, output: string, bytes: Uint8Array): JobState {
  return {
    job,
    phase: "done",
    attempts: 1,
    task: `task-${job}`,
    createdAt: DOWNLOADED_AT.toISOString(),
    output,
    bytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    downloadedAt: DOWNLOADED_AT.toISOString(),
  };
}

/** Write a video, then what happened to it since, and return its done state. */
async function video(
  dir: string,
  job: string,
  name: string,
  spoil?: (file: string, bytes: Uint8Array) => Promise<void>,
): Promise<JobState> {
  const bytes = new TextEncoder().encode(`the video of ${job} `.repeat(3 + job.length));
  const output = `videos/${name}`;
  const file = join(dir, output);
  await Deno.writeFile(file, bytes);
  await Deno.utime(file, BEFORE, BEFORE);
  await spoil?.(file, bytes);
  return doneState(job, output, bytes);
}

/** Done videos in every condition the check tells apart, and a job not done. */
async function outFolder(dir: string): Promise<JobState[]> {
  await Deno.mkdir(join(dir, "videos"));
  const states = [
    await video(dir, "kept", "kept.mp4"),
    await video(dir, "kept-accents", "vidéo-été 日本.mp4"),
    await video(dir, "removed", "removed.mp4", (file) => Deno.remove(file)),
    await video(dir, "truncated", "truncated.mp4", (file) => Deno.truncate(file, 10)),
    await video(dir, "edited", "edited.mp4", async (file, bytes) => {
      await Deno.writeFile(file, bytes.map((byte, i) => i === 0 ? byte ^ 1 : byte));
      await Deno.utime(file, AFTER, AFTER);
    }),
    await video(dir, "edited-quietly", "edited-quietly.mp4", async (file, bytes) => {
      // Same size, time put back: only `always` can tell.
      await Deno.writeFile(file, bytes.map((byte, i) => i === 0 ? byte ^ 1 : byte));
      await Deno.utime(file, BEFORE, BEFORE);
    }),
    await video(dir, "touched", "touched.mp4", (file) => Deno.utime(file, AFTER, AFTER)),
    await video(dir, "symlinked", "symlinked.mp4", async (file) => {
      await Deno.rename(file, file + ".real");
      await Deno.symlink(file + ".real", file);
    }),
    await video(dir, "a-folder", "a-folder.mp4", async (file) => {
      await Deno.remove(file);
      await Deno.mkdir(file);
    }),
  ];
  states.push({ job: "pending", phase: "pending", attempts: 0 } as unknown as JobState);
  return states;
}

function sorted(findings: VideoFinding[]): VideoFinding[] {
  return [...findings].sort((a, b) => a.job.localeCompare(b.job));
}

const EXPECTED: Record<HashPolicy, string[]> = {
  never: ["a-folder", "removed", "symlinked", "truncated"],
  changed: ["a-folder", "edited", "removed", "symlinked", "truncated"],
  always: ["a-folder", "edited", "edited-quietly", "removed", "symlinked", "truncated"],
};

for (const policy of ["never", "changed", "always"] as const) {
  Deno.test(`verifyVideosOf() finds the same videos over Workers as in the calling thread (hash ${policy})`, async () => {
    await withTempDir(async (dir) => {
      const states = await outFolder(dir);
      const thread = await verifyVideosOf(dir, states, {
        hash: policy,
        looks: { threshold: Infinity },
      });
      const workers = await verifyVideosOf(dir, states, {
        hash: policy,
        looks: { threshold: 0, workers: 2, chunk: 2 },
      });
      assert.deepEqual(sorted(thread).map((found) => found.job), EXPECTED[policy]);
      assert.deepEqual(sorted(workers), sorted(thread));
      const messages = Object.fromEntries(thread.map((found) => [found.job, found.error.message]));
      assert.equal(messages["removed"], "video missing on disk: videos/removed.mp4");
      assert.equal(messages["symlinked"], "video not a file: videos/symlinked.mp4");
      assert.equal(messages["a-folder"], "video not a file: videos/a-folder.mp4");
      assert.match(messages["truncated"], /has 10 bytes, \d+ recorded$/);
    });
  });
}
