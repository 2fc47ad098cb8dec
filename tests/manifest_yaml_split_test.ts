import assert from "node:assert/strict";
import { splitYamlJobs } from "../src/manifest/yaml_split.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

Deno.test("splitYamlJobs() finds where each item of a jobs: list starts and where the list ends", () => {
  const text =
    "defaults:\n  seconds: 5\njobs:\n  - prompt: a\n\n  - prompt: b\n    model: m\nother: 1\n";
  const layout = splitYamlJobs(encode(text));
  assert.deepEqual(layout?.itemLines, [4, 6]);
  assert.deepEqual(
    layout?.itemStarts.map((start) => text.slice(start, text.indexOf("\n", start))),
    ["  - prompt: a", "  - prompt: b"],
  );
  assert.equal(text.slice(layout?.itemsEnd), "other: 1\n");
  assert.deepEqual(layout?.jobsKey, {
    start: text.indexOf("jobs:"),
    line: 3,
    blockEnd: text.indexOf("other:"),
    removedLines: 4,
  });
});

Deno.test("splitYamlJobs() splits a list at the root without a jobs: key", () => {
  const layout = splitYamlJobs(encode("# c\n- prompt: a\n-\n  prompt: b\n"));
  assert.deepEqual(layout?.itemLines, [2, 3]);
  assert.equal(layout?.jobsKey, undefined);
});

Deno.test("splitYamlJobs() leaves layouts it is not sure of to the whole-document parse", async (t) => {
  const cases: [string, string][] = [
    ["a flow list", "jobs: [{prompt: a}]\n"],
    ["a tab before an item", "jobs:\n\t- prompt: a\n"],
    ["a document marker", "---\n- prompt: a\n"],
    ["no jobs key", "defaults:\n  seconds: 5\n"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.equal(splitYamlJobs(encode(text)), undefined));
  }
});
