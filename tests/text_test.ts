import assert from "node:assert/strict";
import { formatBytes, isRecord, plural } from "../src/text.ts";

Deno.test("`formatBytes()` uses binary units, with one decimal unless the count is whole", async (t) => {
  const cases: Array<[number, string]> = [
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [5267, "5.1 KiB"],
    [35_328, "34.5 KiB"],
    [12_345_678, "11.8 MiB"],
    [30 * 1024 * 1024, "30 MiB"],
    [30 * 1024 * 1024 + 1, "30.0 MiB"],
    [3 * 1024 ** 4, "3 TiB"],
    [2048 * 1024 ** 4, "2048 TiB"],
  ];
  for (const [bytes, text] of cases) {
    await t.step(`${bytes}`, () => assert.equal(formatBytes(bytes), text));
  }
});

Deno.test("`plural()` adds an s to every count but 1", () => {
  assert.deepEqual([0, 1, 2].map((count) => plural(count, "job")), ["0 jobs", "1 job", "2 jobs"]);
});

Deno.test("`isRecord()` accepts plain objects only", () => {
  assert.equal(isRecord({ a: 1 }), true);
  assert.equal(isRecord({}), true);
  for (const value of [null, undefined, [], "text", 1, true]) assert.equal(isRecord(value), false);
});
