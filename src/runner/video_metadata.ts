/**
 * What a downloaded video really is, read from its MP4 boxes right after the
 * download, and how it differs from what its job asked for. A file whose
 * boxes cannot be read is still the service's video: its facts are unknown,
 * with a note, and the job is done all the same.
 *
 * @module
 */
import { messageOf } from "../errors.ts";
import type { VideoMetadata } from "../journal/events.ts";
import { readVideoFacts, videoFactsIn } from "../mp4.ts";
import { videoMismatches, type VideoRequest } from "../video_check.ts";

/** A video's facts and how they compare with the request, or why they are unknown. */
export interface VideoSeen {
  /** What the boxes say, when they could be read. */
  video?: VideoMetadata;
  /** One sentence per difference from the request (empty when it matches); absent when unknown. */
  mismatch?: string[];
  /** Why the facts are unknown, when they are. */
  note?: string;
}

/**
 * Read a downloaded video's facts (only its `moov` box) and compare them
 * with its request. Never throws.
 *
 * @param path The video file.
 * @param request What its job asked for.
 * @param content The file's bytes when the caller has them (read instead of the file).
 * @returns The facts and differences, or a note saying why they are unknown.
 */
export async function readVideoMetadata(
  path: string,
  request: VideoRequest,
  content?: Uint8Array,
): Promise<VideoSeen> {
  let note = "its MP4 boxes do not say its duration and picture";
  try {
    const facts = content === undefined ? await readVideoFacts(path) : videoFactsIn(content);
    if (facts !== undefined) {
      return {
        video: {
          duration: Math.round(facts.durationSeconds * 1000) / 1000,
          width: facts.width,
          height: facts.height,
          codec: facts.codec,
        },
        mismatch: videoMismatches(facts, request),
      };
    }
  } catch (error) {
    note = `its MP4 boxes could not be read (${messageOf(error)})`;
  }
  return { note };
}
