/**
 * Does a rendered video match what its job asked for? The picture a request
 * implies (size and resolution) and the comparison with what the file holds.
 * Pure.
 *
 * @module
 */
import type { VideoFacts } from "./mp4.ts";

/** A picture size in pixels. */
export interface Picture {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** What a job asked for, in the terms a video file can be checked against. */
export interface VideoRequest {
  /** Length in seconds. */
  seconds: number;
  /** Aspect ratio word, e.g. `16:9`. */
  size: string;
  /** Resolution word, e.g. `720p`. */
  resolution: string;
}

/** How far a duration may stray from the request (encoders round to frames and GOPs). */
const DURATION_TOLERANCE_S = 0.5;
/** How far an aspect ratio may stray (rounding to even pixel counts). */
const ASPECT_TOLERANCE = 0.03;

/**
 * The aspect ratio of a size word.
 *
 * @param size E.g. `16:9`.
 * @returns Width over height, or undefined for a word that is not `W:H`.
 */
export function aspectOf(size: string): number | undefined {
  const match = /^(\d+):(\d+)$/.exec(size);
  if (match === null || Number(match[2]) === 0) return undefined;
  return Number(match[1]) / Number(match[2]);
}

/**
 * The picture a size and resolution ask for: the short side is the
 * resolution's lines, the long side follows the ratio, rounded to even pixels.
 *
 * @param size E.g. `9:16`.
 * @param resolution E.g. `720p`.
 * @returns The picture, or undefined for words it cannot read.
 */
export function pictureFor(size: string, resolution: string): Picture | undefined {
  const aspect = aspectOf(size);
  const lines = /^(\d+)p$/.exec(resolution);
  if (aspect === undefined || lines === null) return undefined;
  const short = Number(lines[1]);
  const long = Math.round((short * Math.max(aspect, 1 / aspect)) / 2) * 2;
  return aspect >= 1 ? { width: long, height: short } : { width: short, height: long };
}

/**
 * Compare a video's facts with its request.
 *
 * @param facts What the file holds.
 * @param request What the job asked for.
 * @returns One sentence per mismatch (empty when it matches).
 */
export function videoMismatches(facts: VideoFacts, request: VideoRequest): string[] {
  const problems: string[] = [];
  if (Math.abs(facts.durationSeconds - request.seconds) > DURATION_TOLERANCE_S) {
    problems.push(
      `the video lasts ${round(facts.durationSeconds)} s, ${request.seconds} s were asked for`,
    );
  }
  const asked = aspectOf(request.size);
  if (asked !== undefined && facts.width > 0 && facts.height > 0) {
    const got = facts.width / facts.height;
    if (Math.abs(got - asked) / asked > ASPECT_TOLERANCE) {
      problems.push(
        `the picture is ${facts.width}x${facts.height}, not ${request.size} as asked for`,
      );
    }
  }
  return problems;
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
