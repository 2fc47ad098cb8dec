/**
 * `countManifest()` (what the `validate` command runs) keeps only the counts,
 * the errors and the warnings; these tests hold it to `validateManifest()`
 * on the same files: the same findings in the same order, the same counts,
 * and with a filter the same as `shardOf()` of the whole result.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError } from "../src/errors.ts";
import { countManifest, validateManifest } from "../src/manifest/validate.ts";
import { JobKeys } from "../src/manifest/duplicates.ts";
import { inShard, shardOf } from "../src/shard.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const MODEL = "doubao-seedance-2-0";

/** Manifests by file name, each with something for the counting to get right. */
const MANIFESTS: Record<string, string> = {
  "clashes.csv": [
    "id,prompt,model,seconds,size,resolution,image,output",
    `intro,A harbour,${MODEL},5,16:9,720p,,`,
    // Jobs naming images are checked after the others: their clashes still count.
    `,Derived id,${MODEL},,,,images/ok.png,`,
    `bad-seconds,x,${MODEL},99,,,,`,
    `small,x,${MODEL},,,,images/small.png,`,
    `intro,Same id again,${MODEL},,,,,`,
    `,Derived id,${MODEL},,,,images/ok.png,`,
    `out-a,x,${MODEL},,,,,shared.mp4`,
    `out-b,y,${MODEL},,,,,SHARED.mp4`,
    `scene,x,${MODEL},,,,,`,
    `Scene,x,${MODEL},,,,,`,
    `plain,x,${MODEL},,,,,`,
    `other,x,${MODEL},,,,,Plain.mp4`,
    `small,again,${MODEL},,,,images/small.png,`,
    `a/b,x,${MODEL},,,,,`,
    `no-prompt,,${MODEL},,,,,`,
    `warned,x,${MODEL},,,,images/small.png,`,
    "",
  ].join("\n"),
  "header.csv": ["id,prompt,model,colour", `a,x,${MODEL},red`, `b,y,${MODEL},`, ""].join("\n"),
  "variants.csv": [
    "id,prompt,model,variants,image",
    `a,x,${MODEL},3,images/ok.png`,
    `a-v2,y,${MODEL},,`,
    `c,z,${MODEL},0,`,
    "",
  ].join("\n"),
  "many.csv": [
    "id,prompt,model",
    ...Array.from({ length: 3000 }, (_, i) => `id-${i % 1000 === 7 ? 7 : i},prompt ${i},${MODEL}`),
    "",
  ].join("\n"),
  "jobs.yaml": [
    "defaults:",
    `  model: ${MODEL}`,
    "  seconds: 5",
    "jobs:",
    "  - id: one",
    "    prompt: first",
    "  - just text",
    "  - prompt: derived",
    "  - prompt: derived",
    "  - id: two",
    "    prompt: second",
    "    image: images/small.png",
    "  - id: One",
    "    prompt: upper",
    "  - id: matrixed",
    "    prompt: a {size} shot",
    "    matrix:",
    '      size: ["16:9", "9:16"]',
    "      seconds: [4, 99]",
    "",
  ].join("\n"),
  "bad_defaults.yaml": [
    "defaults:",
    "  seconds: lots",
    "jobs:",
    `  - {id: a, prompt: x, model: ${MODEL}}`,
    `  - {id: a, prompt: y, model: ${MODEL}}`,
    `  - {id: b, prompt: y, model: ${MODEL}, image: images/small.png}`,
    "",
  ].join("\n"),
};

/** Write the manifests beside copies of the fixture images, then run `body` on the folder. */
async function withManifests(body: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "images"));
    for (const image of ["ok.png", "small.png"]) {
      await Deno.copyFile(join(FIXTURES, "images", image), join(dir, "images", image));
    }
    for (const [name, text] of Object.entries(MANIFESTS)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await body(dir);
  });
}

Deno.test("countManifest() finds exactly what validateManifest() finds, and counts its jobs", async (t) => {
  await withManifests(async (dir) => {
    for (const name of Object.keys(MANIFESTS)) {
      await t.step(name, async () => {
        const path = join(dir, name);
        const whole = await validateManifest(path);
        const counted = await countManifest(path);
        assert.deepEqual(counted, {
          manifest: whole.manifest,
          valid: whole.jobs.length,
          invalid: whole.invalid.length,
          errors: whole.errors,
          warnings: whole.warnings,
          total: whole.total,
          manifestTotal: whole.total,
          entries: whole.entries,
        });
        assert.ok(whole.total > 0);
      });
    }
  });
  await t.step("the manifests hold what is compared", async () => {
    await withManifests(async (dir) => {
      const clashes = await countManifest(join(dir, "clashes.csv"));
      const codes = new Set(clashes.errors.map((issue) => issue.code));
      for (const code of ["duplicate_id", "duplicate_output", "out_of_range", "required"]) {
        assert.ok(codes.has(code), code);
      }
      assert.ok(clashes.warnings.length > 0);
      assert.ok(clashes.valid > 0 && clashes.invalid > 0);
      const defaults = await countManifest(join(dir, "bad_defaults.yaml"));
      assert.equal(defaults.valid, 0);
      assert.equal(defaults.invalid, 3);
    });
  });
});

Deno.test("countManifest() with a filter counts what shardOf() keeps, duplicates found over every job", async (t) => {
  await withManifests(async (dir) => {
    for (const name of Object.keys(MANIFESTS)) {
      for (
        const shard of [{ index: 1, count: 2 }, { index: 2, count: 2 }, { index: 3, count: 3 }]
      ) {
        await t.step(`${name} shard ${shard.index}/${shard.count}`, async () => {
          const path = join(dir, name);
          const sharded = shardOf(await validateManifest(path), shard);
          const counted = await countManifest(path, { only: (id) => inShard(id, shard) });
          assert.deepEqual(counted, {
            manifest: sharded.manifest,
            valid: sharded.jobs.length,
            invalid: sharded.invalid.length,
            errors: sharded.errors,
            warnings: sharded.warnings,
            total: sharded.total,
            manifestTotal: sharded.manifestTotal,
            entries: sharded.entries,
          });
        });
      }
    }
  });
});

Deno.test("countManifest() and validateManifest() find every repeated id among 20,000, wide and long ids included", async () => {
  await withTempDir(async (dir) => {
    // Ids of one byte a character first, then wider ones (é, 港, an emoji), long ones, and
    // repeats far apart: the ids' store grows, widens and rehashes on the way.
    const idOf = (i: number): string => {
      const base = i % 97 === 0 ? `again-${i % 5}` : `id-${i}`;
      if (i > 12_000) return `${base}-港-🎬`;
      if (i > 8_000) return `${base}-é`;
      if (i % 1000 === 1) return `${base}-${"x".repeat(300)}`;
      return base;
    };
    const rows = Array.from({ length: 20_000 }, (_, i) => `${idOf(i)},prompt ${i},${MODEL}`);
    const path = join(dir, "m.csv");
    await Deno.writeTextFile(path, ["id,prompt,model", ...rows, ""].join("\n"));
    const lines = new Map<string, number[]>();
    rows.forEach((_, i) => lines.set(idOf(i), [...(lines.get(idOf(i)) ?? []), i + 2]));
    const expected = [...lines].filter(([, at]) => at.length > 1)
      .flatMap(([id, at]) => at.map((line) => ({ id, line })))
      .sort((a, b) => a.line - b.line);
    assert.ok(expected.length > 20);
    for (const result of [await countManifest(path), await validateManifest(path)]) {
      assert.deepEqual(result.errors.map((e) => ({ id: e.job, line: e.line })), expected);
      assert.ok(result.errors.every((e) => e.code === "duplicate_id"));
    }
    const [first] = expected;
    const others = lines.get(first.id)!.slice(1);
    assert.equal(
      (await countManifest(path)).errors[0].message,
      `id "${first.id}" is also used by the job at lines ${others.slice(0, -1).join(", ")} and ${
        others.at(-1)
      }`,
    );
  });
});

Deno.test("validateManifest() of a CSV refuses a syntax error after jobs naming images, leaving no image read running", async () => {
  await withManifests(async (dir) => {
    const path = join(dir, "broken.csv");
    const rows = Array.from({ length: 50 }, (_, i) => `j${i},x,${MODEL},images/ok.png`);
    await Deno.writeTextFile(path, ["id,prompt,model,image", ...rows, 'late,"open'].join("\n"));
    for (const run of [validateManifest, countManifest]) {
      await assert.rejects(() => run(path), (error) => {
        assert.ok(error instanceof ManifestError);
        assert.match(error.message, /^Cannot parse .*broken\.csv/);
        return true;
      });
    }
  });
});

Deno.test("validateManifest() of a CSV passes on what reading an image threw", async () => {
  await withManifests(async (dir) => {
    const path = join(dir, "clashes.csv");
    const failing = (): Promise<never> => Promise.reject(new Error("disk on fire"));
    for (const run of [validateManifest, countManifest]) {
      await assert.rejects(() => run(path, { readImage: failing }), /disk on fire/);
    }
  });
});

Deno.test("JobKeys groups the same repeated ids whether or not room was reserved, and in any order of arrival", async (t) => {
  const ids = Array.from({ length: 5000 }, (_, i) => i % 7 === 0 ? `dup-${i % 3}` : `é-${i}`);
  const expected = [0, 1, 2].map((r) => ids.flatMap((id, i) => id === `dup-${r}` ? [i] : []));
  const order = ids.map((_, i) => i).reverse();
  for (
    const [name, reserve, indexes] of [
      ["in order", undefined, ids.map((_, i) => i)],
      ["reserved after 100", 100, ids.map((_, i) => i)],
      ["reserved too little", 50, ids.map((_, i) => i)],
      ["backwards, reserved", 10_000, order],
    ] as const
  ) {
    await t.step(name, () => {
      const keys = new JobKeys();
      indexes.forEach((at, n) => {
        if (n === 100 && reserve !== undefined) keys.reserve(reserve);
        const id = ids[at];
        keys.add({ index: at, line: at + 2, id, safeId: id, values: {}, readable: true, given: 1 });
      });
      assert.equal(keys.count, ids.length);
      const groups = keys.repeatedIds().sort((a, b) => a[0] - b[0]);
      assert.deepEqual(groups, expected.sort((a, b) => a[0] - b[0]));
      for (const at of [0, 1, 4999, 700]) {
        assert.equal(keys.idAt(at), ids[at]);
        assert.equal(keys.lineAt(at), at + 2);
      }
    });
  }
});
