import assert from "node:assert/strict";
import { progressPrinter } from "../src/cli/progress.ts";

const STOP = { type: "run_stopping", reason: "interrupted" } as const;

Deno.test("the Ctrl-C line says how many tasks keep rendering (and billing) and the command that collects them", async (t) => {
  const cases: Array<[number, string]> = [
    [
      1,
      "stopping: no new submissions; saving state. 1 task in flight keeps rendering (and " +
      "billing) at the service; this command collects it: seedance-batch run b.yaml",
    ],
    [
      4,
      "stopping: no new submissions; saving state. 4 tasks in flight keep rendering (and " +
      "billing) at the service; this command collects them: seedance-batch run b.yaml",
    ],
    [
      0,
      "stopping: no new submissions; saving state; nothing is in flight. " +
      "To continue: seedance-batch run b.yaml",
    ],
  ];
  for (const [inFlight, line] of cases) {
    await t.step(`${inFlight} in flight`, () => {
      const lines: string[] = [];
      const print = progressPrinter((l) => lines.push(l), {
        format: "text",
        quiet: true,
        onInterrupt: () => ({ inFlight, command: "seedance-batch run b.yaml" }),
      });
      print(STOP);
      assert.deepEqual(lines, [line]);
    });
  }
});

Deno.test("the Ctrl-C line escapes control characters of the command, and JSON lines keep the event as it is", () => {
  const lines: string[] = [];
  const onInterrupt = () => ({ inFlight: 2, command: "seedance-batch run 'a\x1bb.yaml'" });
  progressPrinter((l) => lines.push(l), { format: "text", quiet: false, onInterrupt })(STOP);
  assert.ok(lines[0].endsWith("seedance-batch run 'a\\x1bb.yaml'"), lines[0]);
  const json: string[] = [];
  progressPrinter((l) => json.push(l), {
    format: "json",
    quiet: false,
    onInterrupt,
    now: () => new Date(0),
  })(STOP);
  assert.deepEqual(json, [
    JSON.stringify({
      time: "1970-01-01T00:00:00.000Z",
      type: "run_stopping",
      reason: "interrupted",
    }),
  ]);
});

Deno.test("a download's line gives its size in KiB or MiB", () => {
  const lines: string[] = [];
  const print = progressPrinter((l) => lines.push(l), { format: "text", quiet: false });
  for (const bytes of [5334, 12_345_678]) {
    print({ type: "download_finished", job: "a", output: "videos/a.mp4", bytes, sha256: "x" });
  }
  assert.deepEqual(lines, ["a: done: videos/a.mp4 (5.2 KiB)", "a: done: videos/a.mp4 (11.8 MiB)"]);
});

Deno.test("a download's line says how its video differs from the request, or why that is unknown", () => {
  const lines: string[] = [];
  const print = progressPrinter((l) => lines.push(l), { format: "text", quiet: false });
  const done = {
    type: "download_finished",
    job: "a",
    output: "videos/a.mp4",
    bytes: 5334,
  } as const;
  const video = { duration: 2, width: 1280, height: 720, codec: "avc1" };
  print({ ...done, sha256: "x", video, mismatch: [] });
  print({
    ...done,
    sha256: "x",
    video,
    mismatch: ["the video lasts 2 s, 5 s were asked for", "the picture is 720x1280, not 16:9"],
  });
  print({ ...done, sha256: "x", note: "its MP4 boxes do not say its duration and picture" });
  assert.deepEqual(lines, [
    "a: done: videos/a.mp4 (5.2 KiB)",
    "a: done: videos/a.mp4 (5.2 KiB); does not match: the video lasts 2 s, 5 s were asked " +
    "for; the picture is 720x1280, not 16:9",
    "a: done: videos/a.mp4 (5.2 KiB); its MP4 boxes do not say its duration and picture",
  ]);
});

Deno.test("a changed job gets a line, kept under --quiet, naming --rerender-changed or where its old video is kept", () => {
  const lines: string[] = [];
  const print = progressPrinter((l) => lines.push(l), { format: "text", quiet: true });
  print({ type: "job_changed", job: "a", task: "T1", rerender: false });
  print({
    type: "job_changed",
    job: "b",
    task: "T2",
    rerender: true,
    previous: "videos/previous/b.0123abcd.mp4",
  });
  assert.deepEqual(lines, [
    "a: CHANGED: edited since task T1 was made; its old result is not used. " +
    "Run with --rerender-changed to render the new version",
    "b: edited since submitted; rendering the new version " +
    "(the old video is kept as videos/previous/b.0123abcd.mp4)",
  ]);
});
