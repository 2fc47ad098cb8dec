/**
 * Sharding: which of N shards a job falls in, from its id alone. Pure.
 *
 * The rule (documented in the README, "Scaling out"): take the SHA-256 of the
 * job id's UTF-8 bytes, read its first 8 bytes as an unsigned big-endian
 * integer, and take it modulo N; shard K (1-based) holds the ids whose
 * remainder is K - 1. It depends only on the id and N, so reordering the
 * manifest or editing other jobs never moves a job, and N hosts or keys can
 * share one manifest without talking to each other, every job in exactly one
 * shard.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "./errors.ts";
import { sha256Hex } from "./hash.ts";
import type { ValidationResult } from "./manifest/validate.ts";

/** 2^32, the weight of the head's upper half. */
const TWO_32 = 2 ** 32;

/** The most shards `--shard K/N` accepts. */
export const MAX_SHARDS = 1000;

/** One shard of N: `index` is 1-based (`--shard 2/4` is index 2, count 4). */
export interface Shard {
  /** Which shard, 1..count. */
  readonly index: number;
  /** How many shards in all, 1..{@linkcode MAX_SHARDS}. */
  readonly count: number;
}

/**
 * Read `--shard K/N`.
 *
 * @param text The value as given, e.g. `2/4`.
 * @returns The shard.
 * @throws {UsageError} Unless it is `K/N` with whole numbers 1 <= K <= N <= 1000.
 */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(index >= 1 && count >= index && count <= MAX_SHARDS)) {
    throw new UsageError(
      `--shard must be K/N with whole numbers 1 <= K <= N <= ${MAX_SHARDS} ` +
        `(e.g. --shard 2/4 for the second of four shards), got "${text}"`,
    );
  }
  return { index, count };
}

/**
 * The shard a job id falls in.
 *
 * @param id The job's id.
 * @param count How many shards.
 * @returns The 1-based shard index: 1 + (first 8 bytes of SHA-256(UTF-8 id)) mod count.
 */
export function shardIndexOf(id: string, count: number): number {
  // The 64-bit head as two 32-bit halves: (hi * 2^32 + lo) mod n, exact in
  // doubles since n <= 1000 (no BigInt: a million ids in about half the time).
  const hex = sha256Hex(id);
  const hi = parseInt(hex.slice(0, 8), 16);
  const lo = parseInt(hex.slice(8, 16), 16);
  return (((hi % count) * (TWO_32 % count) + lo) % count) + 1;
}

/**
 * Whether a job id belongs to a shard.
 *
 * @param id The job's id.
 * @param shard The shard.
 * @returns True when {@linkcode shardIndexOf} gives the shard's index.
 */
export function inShard(id: string, shard: Shard): boolean {
  return shardIndexOf(id, shard.count) === shard.index;
}

/**
 * A validation result narrowed to one shard: its valid and invalid jobs, the
 * issues of those jobs, and `total` counting them. Problems of the manifest
 * as a whole (those with no job, duplicate ids among them) are kept: they
 * were found over the whole manifest and concern every shard.
 *
 * @param validation The whole manifest's validation.
 * @param shard The shard to keep.
 * @returns The narrowed result, with `shard` and `manifestTotal` set.
 */
export function shardOf(validation: ValidationResult, shard: Shard): ShardedValidation {
  const keep = (id: string | null): boolean => id === null || inShard(id, shard);
  const jobs = validation.jobs.filter((job) => inShard(job.id, shard));
  const invalid = validation.invalid.filter((job) => inShard(job.id, shard));
  // An issue of a job carries the job's id (the invalid job's own); one of the manifest, none.
  const keepIssue = (issue: { job: string | null }): boolean => keep(issue.job);
  return {
    ...validation,
    jobs,
    invalid,
    errors: validation.errors.filter(keepIssue),
    warnings: validation.warnings.filter(keepIssue),
    total: jobs.length + invalid.length,
    shard,
    manifestTotal: validation.total,
  };
}

/** A validation result narrowed by {@linkcode shardOf}. */
export interface ShardedValidation extends ValidationResult {
  /** The shard kept. */
  shard: Shard;
  /** How many jobs the whole manifest holds. */
  manifestTotal: number;
}

/**
 * A shard's folder name inside the default output folder.
 *
 * @param shard The shard.
 * @returns E.g. `shard-2-of-4`.
 */
export function shardFolderName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/**
 * A shard's default output folder.
 *
 * @param defaultOut The manifest's default output folder.
 * @param shard The shard.
 * @returns `<defaultOut>/shard-K-of-N`.
 */
export function shardOutDir(defaultOut: string, shard: Shard): string {
  return join(defaultOut, shardFolderName(shard));
}

/**
 * The shard a folder name stands for.
 *
 * @param name A folder's name, e.g. `shard-2-of-4`.
 * @returns The shard, or undefined when the name is not one of a shard.
 */
export function shardOfFolderName(name: string): Shard | undefined {
  const match = /^shard-(\d{1,4})-of-(\d{1,4})$/.exec(name);
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return index >= 1 && count >= index && count <= MAX_SHARDS ? { index, count } : undefined;
}

/**
 * A shard's share of the manifest, for `validate` and `plan`.
 *
 * @param validation A result narrowed by {@linkcode shardOf}.
 * @returns E.g. `shard 2/4: 251 of 1,000 jobs`.
 */
export function shardShareLine(
  validation: Pick<ShardedValidation, "shard" | "total" | "manifestTotal">,
): string {
  const count = (n: number): string => n.toLocaleString("en-US");
  const { index, count: shards } = validation.shard;
  return `shard ${index}/${shards}: ${count(validation.total)} of ` +
    `${count(validation.manifestTotal)} ${validation.manifestTotal === 1 ? "job" : "jobs"}`;
}

/**
 * Whether a validation result was narrowed to a shard.
 *
 * @param validation Any validation result.
 * @returns True for a {@linkcode ShardedValidation}.
 */
export function isSharded(validation: ValidationResult): validation is ShardedValidation {
  return "shard" in validation && (validation as ShardedValidation).shard !== undefined;
}

/**
 * The shard as JSON output shows it.
 *
 * @param validation A result narrowed by {@linkcode shardOf}.
 * @returns `{index, count, jobs, manifest_jobs}`.
 */
export function shardJson(
  validation: Pick<ShardedValidation, "shard" | "total" | "manifestTotal">,
): { index: number; count: number; jobs: number; manifest_jobs: number } {
  return {
    index: validation.shard.index,
    count: validation.shard.count,
    jobs: validation.total,
    manifest_jobs: validation.manifestTotal,
  };
}
