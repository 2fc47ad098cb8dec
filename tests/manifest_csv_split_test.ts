import assert from "node:assert/strict";
import { assertRefused, parseText } from "./helpers/manifest_text.ts";

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
