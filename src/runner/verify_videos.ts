/**
 * Looks at every done video on disk and reports those that are missing or
 * no longer what the journal recorded (rules in `src/done_videos.ts`).
 *
 * @module
 */
import { join, sep } from "node:path";
import { sha256File } from "../hash.ts";
import type { DoneState, JobState } from "../journal/events.ts";
import {
  type DiskLookOptions,
  type DiskLooks,
  LOOK_FILE,
  LOOK_NOT_A_FILE,
  lookAtFiles,
  LOOKS_PER_TURN,
  nextTurn,
} from "./disk_looks.ts";
import {
  type DiskLook,
  type HashPolicy,
  judgeHash,
  judgeLook,
  type RecordedVideo,
  recordedVideo,
  type VideoFinding,
  withVideoFindings,
} from "../done_videos.ts";

/** Options of {@linkcode verifyDoneVideos}. */
export interface VerifyOptions {
  /** When file contents are hashed. @default "changed" */
  hash?: HashPolicy;
  /** How the disk is looked at (threshold for Workers, how many). @default diskLookDefaults */
  looks?: Omit<DiskLookOptions, "prefix">;
}

/**
 * Check each done video of the states against the disk.
 *
 * The sizes and times are read with one synchronous `lstat` per file
 * ({@linkcode lookAtFiles}: in this thread below 20,000 files, else split
 * over two Workers): at 100,000 files a plain loop is about four times
 * faster than the same calls made asynchronously, however many at once
 * (each asynchronous call pays a trip through the thread pool and a
 * promise; the call itself is a few microseconds from the page cache), and
 * two threads nearly halve it again. Files whose hash must be compared are
 * read afterwards, asynchronously, one at a time. See bench/RESULTS.md.
 *
 * @param outDir The output folder the recorded paths are relative to.
 * @param states The journal's states by job id.
 * @param options Hash policy, how to look.
 * @returns The videos found missing or altered, in no particular order.
 */
export function verifyDoneVideos(
  outDir: string,
  states: ReadonlyMap<string, JobState>,
  options: VerifyOptions = {},
): Promise<VideoFinding[]> {
  return verifyVideosOf(outDir, states.values(), options);
}

/**
 * Check the done videos among some states against the disk (the others are
 * passed over): {@linkcode verifyDoneVideos} for states picked one by one,
 * with no map of them made.
 *
 * @param outDir The output folder the recorded paths are relative to.
 * @param states Job states, each looked at once.
 * @param options Hash policy.
 * @returns The videos found missing or altered, in no particular order.
 */
export async function verifyVideosOf(
  outDir: string,
  states: Iterable<JobState>,
  options: VerifyOptions = {},
): Promise<VideoFinding[]> {
  const policy = options.hash ?? "changed";
  // The done states (references, not copies) and their recorded paths.
  const done: DoneState[] = [];
  const outputs: string[] = [];
  for (const state of states) {
    if (state.phase !== "done") continue;
    done.push(state);
    outputs.push(state.output);
  }
  const prefix = outDir.endsWith(sep) ? outDir : outDir + sep;
  const looks = await lookAtFiles(outputs, { ...options.looks, prefix });
  outputs.length = 0;
  const findings: VideoFinding[] = [];
  const toHash: RecordedVideo[] = [];
  for (let i = 0; i < done.length; i++) {
    if (i > 0 && i % LOOKS_PER_TURN === 0) await nextTurn();
    const video = recordedVideo(done[i]);
    const verdict = judgeLook(video, diskLookAt(looks, i), policy);
    if (verdict === "hash") toHash.push(video);
    else if (verdict !== "ok") findings.push(verdict);
  }
  for (const video of toHash) {
    const path = join(outDir, video.output);
    const sha256 = await hashFile(path);
    const judged = sha256 === undefined
      ? judgeLook(video, { kind: "missing" }, policy)
      : judgeHash(video, sha256);
    if (judged !== "ok" && judged !== "hash") findings.push(judged);
  }
  return findings;
}

/**
 * The states with each done video checked against the disk: a job whose
 * video is missing or altered counts as running, with the reason.
 *
 * @param outDir The output folder.
 * @param states The journal's states.
 * @returns The states as status and the reports show them.
 */
export async function verifiedStates(
  outDir: string,
  states: ReadonlyMap<string, JobState>,
): Promise<ReadonlyMap<string, JobState>> {
  return withVideoFindings(states, await verifyDoneVideos(outDir, states));
}

/**
 * One path's look, as the rules of src/done_videos.ts take it.
 *
 * @param looks What {@linkcode lookAtFiles} found.
 * @param i The path's index.
 * @returns Missing, not a file, or a file with its size and time.
 */
export function diskLookAt(looks: DiskLooks, i: number): DiskLook {
  switch (looks.kinds[i]) {
    case LOOK_FILE: {
      const mtimeMs = looks.mtimesMs[i];
      return {
        kind: "file",
        size: looks.sizes[i],
        mtimeMs: Number.isNaN(mtimeMs) ? null : mtimeMs,
      };
    }
    case LOOK_NOT_A_FILE:
      return { kind: "not_a_file" };
    default:
      return { kind: "missing" };
  }
}

/** Stream a file through SHA-256; undefined when it cannot be read. */
async function hashFile(path: string): Promise<string | undefined> {
  try {
    return await sha256File(path);
  } catch {
    return undefined;
  }
}
