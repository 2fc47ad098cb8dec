import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { planCommand } from "../src/cli/commands/plan.ts";
import type { CliIO } from "../src/cli/io.ts";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import { defaultOutDir } from "../src/manifest/paths.ts";
import { validateManifest } from "../src/manifest/validate.ts";
import { FIXTURES } from "./fixtures/manifests/helpers.ts";

const EXAMPLES = fileURLToPath(new URL("../manifests/", import.meta.url));

async function plan(
  manifest: string,
  options: { json?: boolean; out?: string } = {},
): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const io: CliIO = { stdout: (line) => out.push(line), stderr: () => {}, env: () => undefined };
  const code = await planCommand(
    { name: "plan", manifest, json: options.json ?? false, out: options.out },
    io,
  );
  return { code, out };
}

const MANIFEST = `- {id: a, prompt: done, model: doubao-seedance-2-0}
- {id: b, prompt: running, model: doubao-seedance-2-0, seconds: 10}
- {id: c, prompt: uncertain, model: doubao-seedance-2-0-fast, resolution: 480p}
- {id: d, prompt: failed, model: doubao-seedance-1-0-pro, resolution: 1080p}
- {id: e, prompt: edited since, model: doubao-seedance-1-0-pro, resolution: 1080p}
- {id: f, prompt: never sent, model: doubao-seedance-1-5-pro}
`;

/** A journal in the format of src/journal/events.ts, for the jobs of MANIFEST. */
function journal(fingerprints: Map<string, string>): string {
  const at = "2025-01-01T00:00:00.000Z";
  const submit = (job: string, fingerprint = fingerprints.get(job) ?? "x"): JournalEvent[] => [
    { type: "submitting", at, job, fingerprint, key: `key-${job}` },
  ];
  const events: JournalEvent[] = [
    { type: "run_started", at, pid: 1, host: "test", version: "0.1.0" },
    ...submit("a"),
    { type: "submitted", at, job: "a", key: "key-a", task: "task-a" },
    { type: "task_succeeded", at, job: "a", task: "task-a" },
    {
      type: "downloaded",
      at,
      job: "a",
      task: "task-a",
      output: "videos/a.mp4",
      bytes: 10,
      sha256: "00",
    },
    ...submit("b"),
    { type: "submitted", at, job: "b", key: "key-b", task: "task-b" },
    ...submit("c"),
    { type: "outcome_unknown", at, job: "c", key: "key-c", message: "connection reset" },
    ...submit("d"),
    {
      type: "rejected",
      at,
      job: "d",
      key: "key-d",
      status: 400,
      error: { code: "invalid_request", message: "bad prompt" },
    },
    ...submit("e", "0".repeat(64)),
    { type: "submitted", at, job: "e", key: "key-e", task: "task-e" },
    ...submit("removed-job"),
  ];
  return events.map((event) => JSON.stringify(event)).join("\n") + "\n";
}

Deno.test("plan shows jobs by model and resolution, seconds and image uploads", async () => {
  const { code, out } = await plan(join(EXAMPLES, "example.yaml"), { out: "/nonexistent/out" });
  assert.equal(code, 0);
  assert.deepEqual(out, [
    `Plan for ${join(EXAMPLES, "example.yaml")}: 6 jobs, 24 seconds of video`,
    "  model                     resolution    jobs   seconds",
    "  doubao-seedance-1-0-pro   480p             1         3",
    "  doubao-seedance-1-5-pro   720p             1         4",
    "  doubao-seedance-2-0       480p             1         5",
    "  doubao-seedance-2-0       720p             1         4",
    "  doubao-seedance-2-0-fast  480p             2         8",
    "Image uploads: 4 (34.5 KiB) from 3 files",
    "Journal: none yet at /nonexistent/out/state.jsonl; every job is pending",
  ]);
});

Deno.test("plan counts done, running, uncertain, failed, pending and changed jobs from the journal", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, MANIFEST);
    const { jobs } = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
    const outDir = defaultOutDir(manifest);
    assert.equal(outDir, join(dir, "batch.out"));
    await Deno.mkdir(outDir);
    await Deno.writeTextFile(
      join(outDir, "state.jsonl"),
      journal(new Map(jobs.map((job) => [job.id, job.fingerprint]))),
    );
    // The done job's video is on disk as recorded (10 bytes, untouched since
    // its download), so plan counts it done, as a run would.
    await Deno.mkdir(join(outDir, "videos"));
    await Deno.writeFile(join(outDir, "videos", "a.mp4"), new Uint8Array(10));
    const before = new Date("2024-12-31T00:00:00Z");
    await Deno.utime(join(outDir, "videos", "a.mp4"), before, before);

    const json = await plan(manifest, { json: true });
    assert.equal(json.code, 0);
    const document = JSON.parse(json.out[0]);
    assert.deepEqual(document.journal, {
      path: join(outDir, "state.jsonl"),
      done: 1,
      running: 1,
      uncertain: 1,
      failed: 1,
      pending: 1,
      changed: 1,
      notInManifest: 1,
    });
    assert.deepEqual([document.ok, document.jobs, document.seconds], [true, 6, 35]);
    assert.deepEqual(document.images, { uploads: 0, bytes: 0, files: 0 });

    const text = await plan(manifest);
    assert.equal(
      text.out.at(-1),
      `Journal ${
        join(outDir, "state.jsonl")
      }: 1 done, 1 running, 1 uncertain, 1 failed, 1 pending, 1 changed, 1 not in the manifest`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plan refuses an invalid manifest with its issues and exit 2", async () => {
  const text = await plan(join(FIXTURES, "invalid.yaml"));
  assert.equal(text.code, 2);
  assert.match(
    text.out[0],
    /invalid\.yaml:2: job "intro" field "seconds": seconds 16 is out of range/,
  );
  assert.match(text.out.at(-1) ?? "", /invalid: 2 of 3 jobs with errors/);
  const json = await plan(join(FIXTURES, "invalid.yaml"), { json: true });
  assert.equal(json.code, 2);
  assert.deepEqual(Object.keys(JSON.parse(json.out[0])), ["ok", "jobs", "errors", "warnings"]);
  const missing = await plan(join(FIXTURES, "missing.yaml"), { json: true });
  assert.equal(missing.code, 2);
  assert.equal(JSON.parse(missing.out[0]).ok, false);
});

Deno.test("defaultOutDir() is the manifest's name without extension plus .out, beside it", () => {
  assert.equal(defaultOutDir("manifests/example.yaml"), "manifests/example.out");
  assert.equal(defaultOutDir("/a/b.c/jobs.csv"), "/a/b.c/jobs.out");
  assert.equal(defaultOutDir("jobs.yml"), "jobs.out");
});

Deno.test("plan counts a done job whose video is gone as running: a run would fetch it again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, MANIFEST);
    const { jobs } = await validateManifest(manifest, { catalog: DEFAULT_CATALOG });
    const outDir = defaultOutDir(manifest);
    await Deno.mkdir(outDir);
    await Deno.writeTextFile(
      join(outDir, "state.jsonl"),
      journal(new Map(jobs.map((job) => [job.id, job.fingerprint]))),
    );
    const document = JSON.parse((await plan(manifest, { json: true })).out[0]);
    assert.equal(document.journal.done, 0);
    assert.equal(document.journal.running, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
