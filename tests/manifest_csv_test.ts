import assert from "node:assert/strict";
import { parseText } from "./helpers/manifest_text.ts";

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
