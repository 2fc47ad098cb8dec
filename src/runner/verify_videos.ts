/**
 * Looks at every done video on disk and reports those that are missing or
 * no longer what the journal recorded (rules in `src/done_videos.ts`).
 *
 * @module
 */
import { join, sep } from "node:path";
import { sha256File } from "../hash.ts";
import type { JobState } from "../journal/events.ts";
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
}

/**
 * Files looked at between two turns of the event loop: a check of a million
 * videos still lets a signal or a timer in every few milliseconds.
 */
const LOOKS_PER_TURN = 8192;

/**
 * Check each done video of the states against the disk.
 *
 * The sizes and times are read with one synchronous `lstat` per file in a
 * plain loop: at 100,000 files that is about four times faster than the same
 * calls made asynchronously, however many at once (each asynchronous call
 * pays a trip through the thread pool and a promise; the call itself is a
 * few microseconds from the page cache). Files whose hash must be compared
 * are read afterwards, asynchronously, one at a time. See bench/RESULTS.md.
 *
 * @param outDir The output folder the recorded paths are relative to.
 * @param states The journal's states by job id.
 * @param options Hash policy.
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
  const findings: VideoFinding[] = [];
  const toHash: RecordedVideo[] = [];
  const prefix = outDir.endsWith(sep) ? outDir : outDir + sep;
  let looked = 0;
  for (const state of states) {
    if (state.phase !== "done") continue;
    const video = recordedVideo(state);
    const verdict = judgeLook(video, look(prefix + video.output), policy);
    if (verdict === "hash") toHash.push(video);
    else if (verdict !== "ok") findings.push(verdict);
    if (++looked % LOOKS_PER_TURN === 0) await nextTurn();
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

/** What the disk shows at `path`, without following a symlink. */
function look(path: string): DiskLook {
  try {
    const info = Deno.lstatSync(path);
    if (!info.isFile) return { kind: "not_a_file" };
    return { kind: "file", size: info.size, mtimeMs: info.mtime?.getTime() ?? null };
  } catch {
    // Unreadable counts as missing: the run fetches it again.
    return { kind: "missing" };
  }
}

/** Let timers, signals and I/O run before going on. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Stream a file through SHA-256; undefined when it cannot be read. */
async function hashFile(path: string): Promise<string | undefined> {
  try {
    return await sha256File(path);
  } catch {
    return undefined;
  }
}
