import assert from "node:assert/strict";
import { reportDigest, type ReportSources } from "../src/report/current.ts";
import type { Job } from "../src/manifest/job.ts";
import type { JobState } from "../src/journal/events.ts";
import { REPORT_FIXTURE } from "./fixtures/report_model.ts";

function job(id: string, index: number): Job {
  return {
    index,
    line: index + 2,
    id,
    safeId: id,
    prompt: `prompt ${id}`,
    model: "doubao-seedance-1-0-pro",
    seconds: 5,
    size: "16:9",
    resolution: "720p",
    images: [],
    output: `videos/${id}.mp4`,
    fingerprint: id.padEnd(64, "0"),
  };
}

const DONE: JobState = {
  phase: "done",
  job: "a",
  attempts: 1,
  submittedAt: "2026-01-01T00:00:00.000Z",
  task: "task-1",
  output: "videos/a.mp4",
  bytes: 10,
  sha256: "0".repeat(64),
  downloadedAt: "2026-01-01T00:01:00.000Z",
} as JobState;

function sources(change: Partial<ReportSources> = {}): ReportSources {
  return {
    report: REPORT_FIXTURE,
    jobs: [job("a", 0), job("b", 1)],
    invalid: [],
    states: new Map([["a", DONE]]),
    previousVideos: [],
    outDir: "/tmp/out",
    ...change,
  };
}

Deno.test("reportDigest() is the same for the same sources, whatever the report's time", () => {
  const base = reportDigest(sources());
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(reportDigest(sources()), base);
  assert.equal(
    reportDigest(sources({ report: { ...REPORT_FIXTURE, generated_at: "2030-01-01T00:00:00Z" } })),
    base,
  );
});

Deno.test("reportDigest() changes with any state, job, invalid job, kept video, price or folder", () => {
  const base = reportDigest(sources());
  const changed: Array<[string, Partial<ReportSources>]> = [
    ["a state", { states: new Map([["a", { ...DONE, bytes: 11 } as JobState]]) }],
    ["a state added", { states: new Map([["a", DONE], ["b", DONE]]) }],
    ["a job's content", { jobs: [job("a", 0), { ...job("b", 1), fingerprint: "f".repeat(64) }] }],
    ["a job's line", { jobs: [job("a", 0), { ...job("b", 1), line: 9 }] }],
    ["a job's image", {
      jobs: [job("a", 0), {
        ...job("b", 1),
        images: [{ path: "x.png", resolved: "/x.png" }] as Job["images"],
      }],
    }],
    ["an invalid job", {
      invalid: [{
        index: 2,
        line: 5,
        id: "c",
        images: [],
        issues: [{ field: "model", message: "bad" }],
      }],
    }],
    ["a kept video", { previousVideos: ["a.0123abcd.mp4"] }],
    ["the prices", { prices: { file: "p.yaml", currency: "USD", models: new Map() } }],
    ["the output folder", { outDir: "/tmp/elsewhere" }],
    ["the totals", {
      report: { ...REPORT_FIXTURE, totals: { ...REPORT_FIXTURE.totals, jobs: 99 } },
    }],
  ];
  for (const [what, change] of changed) assert.notEqual(reportDigest(sources(change)), base, what);
});
