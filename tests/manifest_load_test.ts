import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError } from "../src/errors.ts";
import {
  loadManifest,
  manifestFormat,
  parseManifest,
  parseYamlDocument,
  splitYamlJobs,
} from "../src/manifest/load.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function parseText(format: "yaml" | "csv", text: string): ReturnType<typeof parseManifest> {
  return parseManifest(encode(text), { file: `m.${format}`, format });
}

/** Assert that `fn` throws a ManifestError with this code (and line, when given). */
async function assertRefused(
  fn: () => unknown,
  code: string,
  message: RegExp,
  line?: number,
): Promise<void> {
  await assert.rejects(async () => await fn(), (error: unknown) => {
    assert.ok(error instanceof ManifestError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    if (line !== undefined) assert.equal(error.line, line);
    return true;
  });
}

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

Deno.test("parseManifest() gives lines for a YAML list at the root, flow items included", () => {
  const raw = parseText(
    "yaml",
    "# comment\n\n- prompt: a\n  model: m\n- {prompt: b}\n-\n  prompt: c\n- [not, a, job]\n" +
      "- # a comment after the dash\n\n  prompt: d\n-\n  - nested\n",
  );
  assert.deepEqual(raw.jobs.map((job) => job.line), [3, 5, 6, 8, 9, 12]);
});

Deno.test("parseManifest() gives each CSV record its starting line, multi-line quoted records included", async (t) => {
  const body = [
    "id,prompt,model",
    "a,plain,m",
    "",
    'b,"quoted, with comma",m',
    'c,"spans',
    "three",
    'lines",m',
    'd,"say ""hi""",m',
    ",,", // a row of empty cells: skipped
    "e,last,m",
  ];
  const expected = [["a", 2], ["b", 4], ["c", 5], ["d", 8], ["e", 10]];
  const variants: [string, string][] = [
    ["LF", body.join("\n") + "\n"],
    ["CRLF", body.join("\r\n") + "\r\n"],
    ["BOM and CRLF", "\uFEFF" + body.join("\r\n")],
    ["no final newline", body.join("\n")],
  ];
  for (const [name, text] of variants) {
    await t.step(name, () => {
      const raw = parseText("csv", text);
      assert.deepEqual(raw.problems, []);
      assert.deepEqual(
        raw.jobs.map((job) => [(job.value as Record<string, string>).id, job.line]),
        expected,
      );
      const c = raw.jobs[2].value as Record<string, string>;
      assert.equal(
        c.prompt,
        name.includes("CRLF") ? "spans\r\nthree\r\nlines" : "spans\nthree\nlines",
      );
      assert.equal((raw.jobs[3].value as Record<string, string>).prompt, 'say "hi"');
    });
  }
});

Deno.test("parseManifest() leaves empty CSV cells out so defaults apply, and keeps non-ASCII text", () => {
  const raw = parseText("csv", "prompt,model,seconds,size\nÜber den Wolken 日本,m,,\n");
  assert.deepEqual(raw.jobs[0].value, { prompt: "Über den Wolken 日本", model: "m" });
});

Deno.test("parseManifest() reports CSV header problems once, at the header's line", () => {
  const raw = parseText("csv", "\nprompt,model,second,model\nx,m,5,m\n");
  assert.deepEqual(raw.problems.map((p) => [p.line, p.field, p.code]), [
    [2, "second", "unknown_field"],
    [2, "model", "duplicate_column"],
  ]);
  assert.match(raw.problems[0].message, /did you mean "seconds"/);
});

Deno.test("parseManifest() reports a CSV row with more cells than the header", () => {
  const raw = parseText("csv", "prompt,model\nx,m,surplus\ny,m,\n");
  assert.deepEqual(raw.jobs[0].problems.map((p) => p.code), ["extra_cells"]);
  assert.deepEqual(raw.jobs[1].problems, []);
});

Deno.test("parseManifest() reports unknown top-level YAML keys with a suggestion", () => {
  const raw = parseText("yaml", "default:\n  seconds: 5\njobs:\n  - prompt: x\n");
  assert.deepEqual(raw.problems.map((p) => [p.line, p.field, p.code]), [[
    1,
    "default",
    "unknown_key",
  ]]);
  assert.match(raw.problems[0].message, /did you mean "defaults"/);
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

Deno.test("parseManifest() refuses a YAML alias bomb before anything walks it", async () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i += 1) {
    const previous = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(",")}]`);
  }
  const text = `defaults: {}\nbomb:\n  ${levels.join("\n  ")}\njobs:\n  - prompt: *j\n`;
  await assertRefused(() => parseText("yaml", text), "manifest_alias_bomb", /alias bomb/);
});

Deno.test("parseManifest() accepts modest alias use, such as a shared image list", () => {
  const text =
    "defaults: {}\njobs:\n  - prompt: a\n    image: &imgs [x.png, y.png]\n  - prompt: b\n    image: *imgs\n";
  const raw = parseText("yaml", text);
  assert.deepEqual((raw.jobs[1].value as { image: string[] }).image, ["x.png", "y.png"]);
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
        /not a file/,
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
        /201 MB, more than the 200 MB limit/,
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

/** What parsing gave: the raw manifest, or the refusal's code, line and message. */
function outcome(parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return { code: error.code, line: error.line, message: error.message };
  }
}

Deno.test("parseManifest() reads YAML job items one by one exactly as the whole document reads", async (t) => {
  const lines = await Deno.readTextFile(join(FIXTURES, "lines.yaml"));
  // [name, text, whether the line scan splits it into items]
  const cases: [string, string, boolean][] = [
    ["the lines fixture", lines, true],
    [
      "a root list with comments, flow items and bare dashes",
      "# comment\n\n- prompt: a\n  model: m\n- {prompt: b}\n-\n  prompt: c\n- [not, a, job]\n" +
      "- # a comment after the dash\n\n  prompt: d\n-\n  - nested\n",
      true,
    ],
    [
      "defaults and an unknown key after the jobs",
      "jobs:\n  - prompt: a\n    model: m\n\n  # between\n  - prompt: b\ndefaults:\n  seconds: 5\n" +
      "other: 1\n",
      true,
    ],
    [
      "a list at the key's own indentation",
      "defaults:\n  seconds: 4\njobs:\n- prompt: a\n- prompt: b\n# c\nextra: x\n",
      true,
    ],
    [
      "BOM and CRLF",
      "\uFEFFdefaults:\r\n  model: m\r\njobs:   # the list\r\n  - prompt: a\r\n  - prompt: |\r\n" +
      "      two\r\n      lines\r\n",
      true,
    ],
    [
      "block scalars keeping trailing blank lines",
      "jobs:\n  - prompt: |+\n      a\n\n  - prompt: >-\n      b\n      c\n\n",
      true,
    ],
    ["a quoted text running past the next dash", 'jobs:\n  - prompt: "a\n  - b"\n', true],
    [
      "an alias to another item's anchor",
      "defaults: {}\njobs:\n  - prompt: a\n    image: &imgs [x.png, y.png]\n  - prompt: b\n" +
      "    image: *imgs\n",
      true,
    ],
    [
      "an alias to a collection inside one item",
      "jobs:\n  - prompt: x\n    image: &i [a.png]\n    input_reference: *i\n",
      true,
    ],
    ["a scalar alias and a star in a prompt", "- prompt: &p a *bold* cat\n  id: *p\n", true],
    ["a syntax error in an item", "jobs:\n  - prompt: a\n  - model: [b\n", true],
    ["a duplicate key in an item", "- prompt: a\n  prompt: b\n", true],
    ["a syntax error after the jobs", "jobs:\n  - prompt: a\nother: [\n", true],
    [
      "a quoted default running into the jobs key",
      'defaults:\n  prompt: "abc\njobs:\n  - x"\n',
      true,
    ],
    ["a flow list", "jobs: [{prompt: a}, {prompt: b}]\n", false],
    ["a mapping under jobs", "jobs:\n  prompt: a\n", false],
    ["an empty jobs key", "defaults:\n  seconds: 5\njobs:\n", false],
    ["a tab before an item", "jobs:\n\t- prompt: a\n", false],
    ["a document marker", "---\njobs:\n  - prompt: a\n", false],
    ["two jobs keys", "jobs:\n  - prompt: a\njobs:\n  - prompt: b\n", false],
    ["a quoted jobs key", '"jobs":\n  - prompt: a\n', false],
    ["an indented root list", "  - prompt: a\n  - prompt: b\n", false],
    ["a root list followed by a key", "- prompt: a\nkey: b\n", false],
  ];
  for (const [name, text, split] of cases) {
    await t.step(name, () => {
      const bytes = new TextEncoder().encode(text);
      assert.equal(splitYamlJobs(bytes) !== undefined, split);
      assert.deepEqual(
        outcome(() => parseManifest(bytes, { file: "m.yaml", format: "yaml" })),
        outcome(() => parseYamlDocument(text, "m.yaml")),
      );
    });
  }
});

Deno.test("parseManifest() reads the CSV its own splitter is unsure of with csv-parse", async (t) => {
  const jobsOf = (text: string): [unknown, number][] =>
    parseText("csv", text).jobs.map((job) => [job.value, job.line]);
  await t.step("records ending in a lone CR", () => {
    assert.deepEqual(jobsOf("prompt,model\ra,m\r\rb,m\r"), [
      [{ prompt: "a", model: "m" }, 2],
      [{ prompt: "b", model: "m" }, 4],
    ]);
  });
  await t.step("a lone CR in an LF file (csv-parse ends the record there)", () => {
    assert.deepEqual(jobsOf("prompt,model\na\rb,m\n"), [
      [{ prompt: "a" }, 2],
      [{ prompt: "b", model: "m" }, 3],
    ]);
  });
  await t.step("a trailing comma and a quoted empty cell", () => {
    assert.deepEqual(jobsOf('prompt,model,\na,m,\n"",""\nb,"m"'), [
      [{ prompt: "a", model: "m" }, 2],
      [{ prompt: "b", model: "m" }, 4],
    ]);
  });
  await t.step("a quote inside an unquoted cell", () =>
    assertRefused(
      () => parseText("csv", 'prompt,model\na "b" c,m\n'),
      "manifest_syntax",
      /^Cannot parse m\.csv/,
    ));
  await t.step("text after a closing quote", () =>
    assertRefused(
      () => parseText("csv", 'prompt,model\n"a" b,m\n'),
      "manifest_syntax",
      /^Cannot parse m\.csv/,
    ));
});
