import assert from "node:assert/strict";
import { nearest, unknownFieldMessage } from "../src/manifest/suggest.ts";

Deno.test("nearest() suggests a close name, a longer name holding the word, or nothing", async (t) => {
  const models = ["doubao-seedance-2-0", "doubao-seedance-1-0-pro"];
  const cases: [string, readonly string[], string | undefined][] = [
    ["promt", ["prompt", "model"], "prompt"],
    ["SECONDS", ["seconds"], "seconds"],
    ["seconds", ["seconds"], undefined],
    ["seedance-2-0", models, "doubao-seedance-2-0"],
    ["zzz", ["prompt", "model"], undefined],
  ];
  for (const [word, candidates, expected] of cases) {
    await t.step(word, () => assert.equal(nearest(word, candidates), expected));
  }
});

Deno.test("unknownFieldMessage() names the field and the job field it may have meant", () => {
  assert.equal(unknownFieldMessage("promt"), 'unknown field "promt" (did you mean "prompt"?)');
  assert.match(
    unknownFieldMessage("colour"),
    /^unknown field "colour" \(did you mean "\w+"\? known fields: id, prompt, model, /,
  );
});

Deno.test("unknownFieldMessage() always names the nearest field, preferring a shared prefix", async (t) => {
  for (const [field, nearest] of [["secs", "seconds"], ["img", "image"], ["modle", "model"]]) {
    await t.step(field, () => {
      assert.match(unknownFieldMessage(field), new RegExp(`\\(did you mean "${nearest}"\\?`));
    });
  }
});
