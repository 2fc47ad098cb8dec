import assert from "node:assert/strict";
import {
  inShard,
  parseShard,
  shardFolderName,
  shardIndexOf,
  shardOf,
  shardOfFolderName,
} from "../src/shard.ts";
import { UsageError } from "../src/errors.ts";
import type { ValidationResult } from "../src/manifest/validate.ts";
import type { Job } from "../src/manifest/job.ts";

Deno.test("parseShard() reads K/N and refuses anything else with a usage error", async (t) => {
  for (
    const [text, index, count] of [["1/1", 1, 1], ["2/4", 2, 4], [" 3 / 1000 ", 3, 1000]] as const
  ) {
    await t.step(`accepts "${text}"`, () => assert.deepEqual(parseShard(text), { index, count }));
  }
  for (const text of ["0/4", "5/4", "1/1001", "1/0", "2", "a/b", "1.5/4", "-1/4", "", "1/4/8"]) {
    await t.step(`refuses "${text}"`, () => {
      assert.throws(() => parseShard(text), (error) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /--shard must be K\/N/);
        assert.ok(error.message.includes(`"${text}"`));
        return true;
      });
    });
  }
});

Deno.test("shardIndexOf() is 1 + the first 8 bytes of SHA-256 of the UTF-8 id, mod N", async () => {
  for (const id of ["clip-001", "ünïcode-ид", ""]) {
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)),
    );
    const head = new DataView(digest.buffer).getBigUint64(0, false);
    for (const n of [1, 2, 7, 1000]) {
      assert.equal(shardIndexOf(id, n), Number(head % BigInt(n)) + 1, `${id} of ${n}`);
    }
  }
});

Deno.test("shardIndexOf() spreads 10,000 ids as evenly as a fair draw for N in 2..16", () => {
  // A hash cannot beat binomial noise: a shard of J jobs out of T is off even
  // by about sqrt(T/N) jobs. Measured here (fixed ids, so fixed numbers): at
  // most 1.3% off for N <= 4 (2,500+ jobs a shard), 10.1% for N = 16 (625),
  // and never beyond 2.7 standard deviations.
  const ids = Array.from({ length: 10_000 }, (_, i) => `job-${i}`);
  for (let n = 2; n <= 16; n++) {
    const counts = new Array(n).fill(0);
    for (const id of ids) counts[shardIndexOf(id, n) - 1]++;
    const even = ids.length / n;
    const sigma = Math.sqrt(ids.length * (1 / n) * (1 - 1 / n));
    for (const count of counts) {
      assert.ok(Math.abs(count - even) <= 3.5 * sigma, `N=${n}: a shard of ${count}, even ${even}`);
      if (n <= 4) assert.ok(Math.abs(count - even) / even < 0.02, `N=${n}: ${count}`);
    }
  }
});

function job(id: string, index: number): Job {
  return { id, index, line: index + 2 } as unknown as Job;
}

function validation(): ValidationResult {
  const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
  return {
    manifest: "/m.yaml",
    jobs: ids.slice(0, 190).map(job),
    invalid: ids.slice(190).map((id, i) => ({
      id,
      index: 190 + i,
      line: 192 + i,
      images: [],
      issues: [],
    })) as unknown as ValidationResult["invalid"],
    errors: [
      { code: "manifest", job: null, index: null, line: 1, field: "defaults", message: "whole" },
      ...ids.slice(190).map((id, i) => ({
        code: "bad",
        job: id,
        index: 190 + i,
        line: 192 + i,
        field: "seconds",
        message: `bad ${id}`,
      })),
    ],
    warnings: [],
    total: 200,
  };
}

Deno.test("shardOf() puts every job in exactly one shard and keeps the whole manifest's problems in each", () => {
  const whole = validation();
  const seen = new Map<string, number>();
  for (let k = 1; k <= 5; k++) {
    const part = shardOf(whole, { index: k, count: 5 });
    assert.equal(part.manifestTotal, 200);
    assert.equal(part.total, part.jobs.length + part.invalid.length);
    assert.ok(part.errors.some((issue) => issue.index === null), "manifest-level error kept");
    for (const issue of part.errors) {
      if (issue.job !== null) assert.ok(inShard(issue.job, part.shard));
    }
    for (const item of [...part.jobs, ...part.invalid]) {
      seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
    }
  }
  assert.equal(seen.size, 200);
  assert.ok([...seen.values()].every((count) => count === 1));
});

Deno.test("shardOf() keeps a job in its shard when other jobs are reordered or removed", () => {
  const whole = validation();
  const before = shardOf(whole, { index: 2, count: 3 }).jobs.map((j) => j.id);
  const shuffled = { ...whole, jobs: [...whole.jobs].reverse().filter((_, i) => i % 4 !== 0) };
  const after = new Set(shardOf(shuffled, { index: 2, count: 3 }).jobs.map((j) => j.id));
  const kept = new Set(shuffled.jobs.map((j) => j.id));
  for (const id of before) assert.equal(after.has(id), kept.has(id), id);
});

Deno.test("shardFolderName() and shardOfFolderName() agree, and other names are no shard", () => {
  assert.equal(shardFolderName({ index: 2, count: 4 }), "shard-2-of-4");
  assert.deepEqual(shardOfFolderName("shard-2-of-4"), { index: 2, count: 4 });
  for (
    const name of ["shard-5-of-4", "shard-0-of-4", "shard-2-of-4x", "videos", "shard-1-of-1001"]
  ) {
    assert.equal(shardOfFolderName(name), undefined, name);
  }
});
