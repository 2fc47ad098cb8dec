/**
 * Looks at every done video on disk and reports those that are missing or
 * no longer what the journal recorded (rules in `src/done_videos.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { sha256File } from "../hash.ts";
import type { JobState } from "../journal/events.ts";
import {
  type DiskLook,
  type HashPolicy,
  judgeHash,
  judgeLook,
  recordedVideos,
  type VideoFinding,
  withVideoFindings,
} from "../done_videos.ts";

/** Options of {@linkcode verifyDoneVideos}. */
export interface VerifyOptions {
  /** When file contents are hashed. @default "changed" */
  hash?: HashPolicy;
  /** Files looked at in parallel. @default 16 */
  parallel?: number;
}

/**
 * Check each done video of the states against the disk.
 *
 * @param outDir The output folder the recorded paths are relative to.
 * @param states The journal's states by job id.
 * @param options Hash policy and parallelism.
 * @returns The videos found missing or altered, in no particular order.
 */
export async function verifyDoneVideos(
  outDir: string,
  states: ReadonlyMap<string, JobState>,
  options: VerifyOptions = {},
): Promise<VideoFinding[]> {
  const videos = recordedVideos(states);
  const policy = options.hash ?? "changed";
  const findings: VideoFinding[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < videos.length) {
      const video = videos[next++];
      const path = join(outDir, video.output);
      const verdict = judgeLook(video, await look(path), policy);
      if (verdict === "ok") continue;
      if (verdict !== "hash") {
        findings.push(verdict);
        continue;
      }
      const sha256 = await hashFile(path);
      const judged = sha256 === undefined
        ? judgeLook(video, { kind: "missing" }, policy)
        : judgeHash(video, sha256);
      if (judged !== "ok" && judged !== "hash") findings.push(judged);
    }
  };
  const workers = Array.from({ length: Math.max(1, options.parallel ?? 16) }, worker);
  await Promise.all(workers);
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
): Promise<Map<string, JobState>> {
  return withVideoFindings(states, await verifyDoneVideos(outDir, states));
}

/** What the disk shows at `path`, without following a symlink. */
async function look(path: string): Promise<DiskLook> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile) return { kind: "not_a_file" };
    return { kind: "file", size: info.size, mtimeMs: info.mtime?.getTime() ?? null };
  } catch {
    // Unreadable counts as missing: the run fetches it again.
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
