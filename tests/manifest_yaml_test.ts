import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError } from "../src/errors.ts";
import { parseManifest } from "../src/manifest/load.ts";
import { parseYamlDocument } from "../src/manifest/yaml_document.ts";
import { splitYamlJobs } from "../src/manifest/yaml_split.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";
import { parseText } from "./helpers/manifest_text.ts";

Deno.test("parseManifest() gives lines for a YAML list at the root, flow items included", () => {
  const raw = parseText(
    "yaml",
    "# comment\n\n- prompt: a\n  model: m\n- {prompt: b}\n-\n  prompt: c\n- [not, a, job]\n" +
      "- # a comment after the dash\n\n  prompt: d\n-\n  - nested\n",
  );
  assert.deepEqual(raw.jobs.map((job) => job.line), [3, 5, 6, 8, 9, 12]);
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
