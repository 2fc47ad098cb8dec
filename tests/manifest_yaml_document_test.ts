import assert from "node:assert/strict";
import { assertRefused, parseText } from "./helpers/manifest_text.ts";

Deno.test("parseManifest() reports unknown top-level YAML keys with a suggestion", () => {
  const raw = parseText("yaml", "default:\n  seconds: 5\njobs:\n  - prompt: x\n");
  assert.deepEqual(raw.problems.map((p) => [p.line, p.field, p.code]), [[
    1,
    "default",
    "unknown_key",
  ]]);
  assert.match(raw.problems[0].message, /did you mean "defaults"/);
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
