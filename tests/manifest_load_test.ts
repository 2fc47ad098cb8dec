import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError } from "../src/errors.ts";
import { loadManifest, manifestFormat, parseManifest } from "../src/manifest/load.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { assertRefused, parseText } from "./helpers/manifest_text.ts";

Deno.test("loadManifest() gives each YAML job the line where its item starts", async () => {
  const raw = await loadManifest(join(FIXTURES, "lines.yaml"));
  assert.deepEqual(
    raw.jobs.map((job) => [(job.value as { id: string }).id, job.line]),
    [
      ["first", 7],
      ["second", 12],
      ["third", 18],
      ["fourth", 21],
      ["fifth", 22],
      ["sixth", 29],
      ["seventh", 32],
    ],
  );
  assert.equal(raw.defaults?.line, 2);
});

Deno.test("parseManifest() refuses files that are not a manifest", async (t) => {
  const cases: [string, "yaml" | "csv", string, string, RegExp, number?][] = [
    ["empty YAML", "yaml", "", "manifest_empty", /it is empty/],
    ["blank YAML", "yaml", "  \n\n", "manifest_empty", /it is empty/],
    ["comments only", "yaml", "# nothing\n", "manifest_empty", /no jobs/],
    ["empty CSV", "csv", "", "manifest_empty", /it is empty/],
    ["header only", "csv", "prompt,model\n", "manifest_empty", /header but no jobs/, 1],
    [
      "YAML syntax",
      "yaml",
      "- prompt: a\n  model: [b\n",
      "manifest_syntax",
      /^Cannot parse m\.yaml at line 3/,
      3,
    ],
    [
      "duplicate key",
      "yaml",
      "- prompt: a\n  prompt: b\n",
      "manifest_syntax",
      /duplicated mapping key/,
      2,
    ],
    [
      "two documents",
      "yaml",
      "- prompt: a\n---\n- prompt: b\n",
      "manifest_syntax",
      /single document/,
    ],
    [
      "scalar root",
      "yaml",
      "just some text\n",
      "manifest_structure",
      /a list of jobs, or a mapping/,
    ],
    ["one job", "yaml", "prompt: a\nmodel: b\n", "manifest_structure", /holds one job, not a list/],
    ["no jobs key", "yaml", "defaults:\n  seconds: 5\n", "manifest_structure", /no "jobs:" list/],
    ["empty jobs", "yaml", "jobs:\n", "manifest_empty", /no "jobs:" list/, 1],
    ["jobs not a list", "yaml", "jobs:\n  prompt: a\n", "manifest_structure", /must be a list/],
    ["CSV quote", "csv", 'prompt,model\n"open,m\n', "manifest_syntax", /^Cannot parse m\.csv/],
    ["NUL bytes", "yaml", "- prompt: a\u0000\n", "manifest_binary", /binary data/],
    ["UTF-16", "csv", "\uFFFEp\u0000", "manifest_binary", /UTF-16|binary/],
  ];
  for (const [name, format, text, code, message, line] of cases) {
    await t.step(name, () => assertRefused(() => parseText(format, text), code, message, line));
  }
  await t.step("invalid UTF-8", () =>
    assertRefused(
      () =>
        parseManifest(new Uint8Array([0x2d, 0x20, 0xc3, 0x28, 0xff]), {
          file: "m.yaml",
          format: "yaml",
        }),
      "manifest_binary",
      /not UTF-8/,
    ));
});

Deno.test("loadManifest() refuses missing, unreadable, misnamed and oversized files", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step(
      "missing",
      () =>
        assertRefused(
          () => loadManifest(join(dir, "nope.yaml")),
          "manifest_unreadable",
          /no such file/,
        ),
    );
    await t.step("a folder", async () => {
      await Deno.mkdir(join(dir, "folder.yaml"));
      await assertRefused(
        () => loadManifest(join(dir, "folder.yaml")),
        "manifest_unreadable",
        /it is a folder, not a manifest file/,
      );
    });
    await t.step(
      "unknown extension",
      () =>
        assertRefused(
          () => loadManifest(join(dir, "jobs.txt")),
          "manifest_extension",
          /"\.txt" is unknown; use \.yaml, \.yml or \.csv/,
        ),
    );
    await t.step(
      "no extension",
      () =>
        assertRefused(() => loadManifest(join(dir, "jobs")), "manifest_extension", /no extension/),
    );
    await t.step("over 200 MB (sparse)", async () => {
      const path = join(dir, "huge.csv");
      const file = await Deno.open(path, { create: true, write: true });
      await file.truncate(201 * 1024 * 1024);
      file.close();
      await assertRefused(
        () => loadManifest(path),
        "manifest_too_large",
        /201 MiB, more than the 200 MiB limit/,
      );
    });
    await t.step("50 MB of binary junk", async () => {
      // Seeded xorshift bytes: reproducible junk.
      const junk = new Uint8Array(50 * 1024 * 1024);
      let state = 0x9e3779b9;
      for (let i = 0; i < junk.length; i += 1) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        junk[i] = state & 0xff;
      }
      const path = join(dir, "junk.yaml");
      await Deno.writeFile(path, junk);
      await assertRefused(() => loadManifest(path), "manifest_binary", /binary data/);
    });
    await t.step("50 MB of non-UTF-8 bytes without NUL", async () => {
      const path = join(dir, "latin.csv");
      await Deno.writeFile(path, new Uint8Array(50 * 1024 * 1024).fill(0xe9));
      await assertRefused(() => loadManifest(path), "manifest_binary", /not UTF-8/);
    });
    await t.step(".yml and upper-case extensions", async () => {
      await Deno.writeTextFile(join(dir, "a.yml"), "- prompt: x\n");
      await Deno.writeTextFile(join(dir, "b.CSV"), "prompt\nx\n");
      assert.equal((await loadManifest(join(dir, "a.yml"))).format, "yaml");
      assert.equal((await loadManifest(join(dir, "b.CSV"))).format, "csv");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("manifestFormat() chooses by extension", () => {
  assert.equal(manifestFormat("a.yaml"), "yaml");
  assert.equal(manifestFormat("dir.v2/a.YML"), "yaml");
  assert.equal(manifestFormat("a.csv"), "csv");
  assert.throws(() => manifestFormat("a.json"), ManifestError);
});
