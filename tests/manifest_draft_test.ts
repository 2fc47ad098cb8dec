import assert from "node:assert/strict";
import { FORMATS, type TestJob, validateJobs, validateText } from "./fixtures/manifests/helpers.ts";

const base = (model: string): TestJob => ({ prompt: "a quiet harbour at dawn", model });

Deno.test("validateRawManifest() applies the defaults: 5 seconds, 16:9, 720p", async () => {
  for (const format of FORMATS) {
    const result = await validateJobs(format, [base("doubao-seedance-2-0")]);
    const [job] = result.jobs;
    assert.deepEqual([job.seconds, job.size, job.resolution], [5, "16:9", "720p"], format);
  }
});

Deno.test("validateRawManifest() gives each job a stable id, safe name and default output", async () => {
  for (const format of FORMATS) {
    const jobs: TestJob[] = [
      { id: "intro", ...base("doubao-seedance-2-0") },
      { id: 7, prompt: "seven", model: "doubao-seedance-2-0" },
      { id: "scene/1", prompt: "slash", model: "doubao-seedance-2-0" },
      { prompt: "derived", model: "doubao-seedance-2-0" },
    ];
    const result = await validateJobs(format, jobs);
    assert.deepEqual(result.errors, []);
    const [intro, seven, slash, derived] = result.jobs;
    assert.deepEqual([intro.id, intro.safeId, intro.output], [
      "intro",
      "intro",
      "videos/intro.mp4",
    ]);
    assert.equal(seven.id, "7");
    assert.match(slash.safeId, /^scene_1-[0-9a-f]{8}$/);
    assert.equal(slash.output, `videos/${slash.safeId}.mp4`);
    assert.match(derived.id, /^job-[0-9a-f]{12}$/);
  }
});

Deno.test("validateRawManifest() derives the same ids whatever the order of the rows", async () => {
  for (const format of FORMATS) {
    const jobs: TestJob[] = [
      { prompt: "one", model: "doubao-seedance-2-0" },
      { prompt: "two", model: "doubao-seedance-2-0", seconds: 6 },
      { prompt: "three", model: "doubao-seedance-1-0-pro" },
    ];
    const forward = await validateJobs(format, jobs);
    const backward = await validateJobs(format, [...jobs].reverse());
    assert.deepEqual(
      forward.jobs.map((job) => [job.id, job.fingerprint]),
      backward.jobs.map((job) => [job.id, job.fingerprint]).reverse(),
    );
    assert.deepEqual(backward.jobs.map((job) => job.index), [0, 1, 2]);
  }
});

Deno.test("validateRawManifest() derives the same id whether a default is written or left out", async () => {
  const a = await validateJobs("csv", [{
    prompt: "x",
    model: "doubao-seedance-2-0",
    seconds: "5",
  }]);
  const b = await validateJobs("yaml", [{ prompt: "x", model: "doubao-seedance-2-0" }]);
  assert.equal(a.jobs[0].id, b.jobs[0].id);
  assert.equal(a.jobs[0].fingerprint, b.jobs[0].fingerprint);
});

Deno.test("validateRawManifest() fingerprints image bytes, not only their paths", async () => {
  const a = await validateJobs("yaml", [{
    ...base("doubao-seedance-2-0"),
    image: "images/ok.png",
  }]);
  const b = await validateJobs(
    "yaml",
    [{ ...base("doubao-seedance-2-0"), image: "images/ok.png" }],
    {
      fakeImages: { "ok.png": { sha256: "f".repeat(64) } },
    },
  );
  assert.equal(a.jobs[0].id, b.jobs[0].id);
  assert.notEqual(a.jobs[0].fingerprint, b.jobs[0].fingerprint);
});

Deno.test("validateRawManifest() applies YAML defaults, which the jobs override", async () => {
  const result = await validateJobs("yaml", [
    { prompt: "uses defaults" },
    { prompt: "overrides", model: "doubao-seedance-1-0-pro", seconds: 2, image: [] },
  ], {
    defaults: {
      model: "doubao-seedance-2-0-fast",
      seconds: 4,
      resolution: "480p",
      image: "images/ok.jpg",
    },
  });
  assert.deepEqual(result.errors, []);
  const [first, second] = result.jobs;
  assert.deepEqual(
    [first.model, first.seconds, first.resolution, first.images.map((i) => i.path)],
    ["doubao-seedance-2-0-fast", 4, "480p", ["images/ok.jpg"]],
  );
  assert.deepEqual(
    [second.model, second.seconds, second.resolution, second.images.length],
    ["doubao-seedance-1-0-pro", 2, "480p", 0],
  );
});

Deno.test("validateRawManifest() reports a job that is not a mapping", async () => {
  const result = await validateText("yaml", "- just text\n- [1, 2]\n- 42\n");
  assert.deepEqual(result.errors.map((e) => [e.line, e.code]), [[1, "type"], [2, "type"], [
    3,
    "type",
  ]]);
  assert.match(
    result.errors[0].message,
    /a job must be a mapping of fields .*got the text "just text"/,
  );
});
