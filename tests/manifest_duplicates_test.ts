import assert from "node:assert/strict";
import { FORMATS, type TestJob, validateJobs } from "./fixtures/manifests/helpers.ts";

const base = (model: string): TestJob => ({ prompt: "a quiet harbour at dawn", model });

Deno.test("validateRawManifest() takes output as a plain, unique file name", async (t) => {
  const cases: [string, boolean][] = [
    ["intro.mp4", true],
    ["Szene 1.mp4", true],
    ["a/b.mp4", false],
    ["../x.mp4", false],
    ["..", false],
    [".hidden.mp4", false],
  ];
  for (const format of FORMATS) {
    for (const [output, ok] of cases) {
      await t.step(`${format} ${output}`, async () => {
        const result = await validateJobs(format, [{ ...base("doubao-seedance-2-0"), output }]);
        assert.deepEqual(
          result.errors.map((e) => `${e.field}:${e.code}`),
          ok ? [] : ["output:invalid_output"],
        );
        if (ok) assert.equal(result.jobs[0].output, `videos/${output}`);
      });
    }
    await t.step(`${format} duplicate output`, async () => {
      const result = await validateJobs(format, [
        { ...base("doubao-seedance-2-0"), id: "a", output: "same.mp4" },
        { ...base("doubao-seedance-2-0"), id: "b", output: "SAME.mp4" },
        { ...base("doubao-seedance-2-0"), id: "c" },
      ]);
      const line = (n: number): number => format === "csv" ? n + 1 : n;
      assert.deepEqual(result.errors.map((e) => [e.job, e.code, e.message]), [
        [
          "a",
          "duplicate_output",
          `output videos/same.mp4 is also used by the job at line ${line(2)}`,
        ],
        [
          "b",
          "duplicate_output",
          `output videos/SAME.mp4 is also used by the job at line ${line(1)}`,
        ],
      ]);
      assert.deepEqual(result.jobs.map((job) => job.id), ["c"]);
    });
    await t.step(`${format} an output clashing with another job's id`, async () => {
      const result = await validateJobs(format, [
        { ...base("doubao-seedance-2-0"), id: "a", output: "b.mp4" },
        { ...base("doubao-seedance-2-0"), id: "b" },
      ]);
      assert.deepEqual(result.errors.map((e) => [e.job, e.field, e.code]), [
        ["a", "output", "duplicate_output"],
        ["b", "id", "duplicate_output"],
      ]);
    });
    await t.step(`${format} ids differing only in case, among many plain ids`, async () => {
      const result = await validateJobs(format, [
        { ...base("doubao-seedance-2-0"), id: "scene" },
        { ...base("doubao-seedance-2-0"), id: "other" },
        { ...base("doubao-seedance-2-0"), id: "Scene" },
        { ...base("doubao-seedance-2-0"), id: "SCENE" },
        { ...base("doubao-seedance-2-0"), id: "x", output: "OTHER.mp4" },
      ]);
      const line = (n: number): number => format === "csv" ? n + 1 : n;
      assert.deepEqual(result.errors.map((e) => [e.job, e.field, e.code, e.message]), [
        [
          "scene",
          "id",
          "duplicate_output",
          `output videos/scene.mp4 is also used by the job at lines ${line(3)} and ${line(4)}`,
        ],
        [
          "other",
          "id",
          "duplicate_output",
          `output videos/other.mp4 is also used by the job at line ${line(5)}`,
        ],
        [
          "Scene",
          "id",
          "duplicate_output",
          `output videos/Scene.mp4 is also used by the job at lines ${line(1)} and ${line(4)}`,
        ],
        [
          "SCENE",
          "id",
          "duplicate_output",
          `output videos/SCENE.mp4 is also used by the job at lines ${line(1)} and ${line(3)}`,
        ],
        [
          "x",
          "output",
          "duplicate_output",
          `output videos/OTHER.mp4 is also used by the job at line ${line(2)}`,
        ],
      ]);
      assert.deepEqual(result.jobs, []);
    });
  }
});

Deno.test("validateRawManifest() rejects duplicate ids, naming both lines", async () => {
  for (const format of FORMATS) {
    const result = await validateJobs(format, [
      { id: "intro", ...base("doubao-seedance-2-0") },
      { id: "other", ...base("doubao-seedance-2-0") },
      { id: "intro", prompt: "again", model: "doubao-seedance-2-0" },
    ]);
    const first = format === "csv" ? 2 : 1;
    assert.deepEqual(result.errors.map((e) => [e.job, e.line, e.code, e.message]), [
      ["intro", first, "duplicate_id", `id "intro" is also used by the job at line ${first + 2}`],
      ["intro", first + 2, "duplicate_id", `id "intro" is also used by the job at line ${first}`],
    ]);
    assert.deepEqual(result.jobs.map((job) => job.id), ["other"]);
    assert.deepEqual(result.invalid.map((job) => job.index), [0, 2]);
  }
});

Deno.test("validateRawManifest() rejects two identical jobs without ids", async () => {
  for (const format of FORMATS) {
    const result = await validateJobs(format, [
      base("doubao-seedance-2-0"),
      base("doubao-seedance-2-0"),
    ]);
    assert.deepEqual(result.errors.map((e) => e.code), ["duplicate_id", "duplicate_id"]);
    assert.match(
      result.errors[0].message,
      /identical to the job at line \d+ .*give each an id field/,
    );
  }
});
