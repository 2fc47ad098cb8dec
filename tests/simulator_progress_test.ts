import assert from "node:assert/strict";
import { boxesIn } from "../src/mp4.ts";
import { type Task, taskPhase } from "../src/simulator/tasks.ts";
import { paddedVideo, videoForTask } from "../src/simulator/video.ts";
import type { ProgressMode } from "../src/simulator/server.ts";
import {
  ManualClock,
  retrieve,
  sha256,
  submit,
  VALID,
  withSimulator,
} from "./fixtures/simulator/helpers.ts";

const TASK: Task = {
  id: "task_x",
  model: "doubao-seedance-2-0-fast",
  seconds: 5,
  size: "16:9",
  resolution: "720p",
  keyLabel: "key-1",
  createdAt: 0,
  renderMs: 1000,
  outcome: "success",
  mismatched: false,
};

Deno.test("taskPhase() reports progress linearly, in steps of 25 or not at all, per mode", () => {
  const at = [0, 199, 200, 260, 499, 500, 740, 999, 1000];
  const progress = (mode?: ProgressMode): number[] =>
    at.map((now) => taskPhase(TASK, now, mode).progress);
  assert.deepEqual(progress(), [0, 0, 20, 26, 49, 50, 74, 99, 100]);
  assert.deepEqual(progress("linear"), progress());
  assert.deepEqual(progress("coarse"), [0, 0, 0, 25, 25, 50, 50, 75, 100]);
  assert.deepEqual(progress("none"), [0, 0, 0, 0, 0, 0, 0, 0, 100]);
  for (const mode of ["linear", "coarse", "none"] as const) {
    assert.deepEqual(at.map((now) => taskPhase(TASK, now, mode).phase), [
      "submitted",
      "submitted",
      "in_progress",
      "in_progress",
      "in_progress",
      "in_progress",
      "in_progress",
      "in_progress",
      "success",
    ]);
  }
});

Deno.test("startSimulator() answers GETs with coarse or no progress when told to", async () => {
  for (
    const [mode, expected] of [
      ["coarse", [0, 25, 75, 100]],
      ["none", [0, 0, 0, 100]],
      [undefined, [0, 30, 90, 100]],
    ] as const
  ) {
    const clock = new ManualClock();
    await withSimulator({ clock, renderMs: 10_000, progress: mode }, async (base) => {
      const id = (await (await submit(base, VALID)).json()).id;
      const seen: number[] = [];
      for (const step of [1_000, 2_000, 6_000, 1_000]) {
        clock.advance(step);
        seen.push((await (await retrieve(base, id)).json()).progress);
      }
      assert.deepEqual(seen, expected, `progress ${mode ?? "default"}`);
    });
  }
});

Deno.test("startSimulator() records each task's timeline when asked, and nothing otherwise", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, renderMs: 10_000, recordTimeline: true }, async (base, sim) => {
    const created = clock.now();
    const id = (await (await submit(base, VALID)).json()).id;
    clock.advance(4_000);
    await (await retrieve(base, id)).body?.cancel();
    clock.advance(7_000);
    const done = await (await retrieve(base, id)).json();
    clock.advance(500);
    await (await retrieve(base, id)).body?.cancel();
    clock.advance(250);
    const video = await fetch(done.video_url);
    await video.body?.cancel();
    assert.deepEqual(sim.stats().timeline[id], {
      createdAt: created,
      terminalAt: created + 10_000,
      renderMs: 10_000,
      polls: 3,
      pollsBeforeTerminal: 1,
      firstPollAt: created + 4_000,
      lastPollAt: created + 11_500,
      maxPollGapMs: 7_000,
      terminalSeenAt: created + 11_000,
      downloadAt: created + 11_750,
    });
  });
  await withSimulator({ renderMs: 0 }, async (base, sim) => {
    const id = (await (await submit(base, VALID)).json()).id;
    await (await retrieve(base, id)).body?.cancel();
    assert.deepEqual(Object.keys(sim.stats().timeline), []);
    assert.equal(sim.stats().pollsByTask[id], 1);
  });
});

Deno.test("startSimulator() serves a video padded to videoBytes: a valid MP4 of exactly that size, ranges included", async () => {
  const size = 3 * 1024 * 1024 + 17;
  await withSimulator({ renderMs: 0, videoBytes: size }, async (base) => {
    const id = (await (await submit(base, VALID)).json()).id;
    const url = (await (await retrieve(base, id)).json()).video_url;
    const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
    assert.equal(whole.length, size);
    const clip = videoForTask({ id, seconds: 5, size: "16:9", resolution: "720p" });
    assert.deepEqual(whole.subarray(0, clip.length), clip);
    const boxes = boxesIn(whole);
    assert.equal(boxes[0].type, "ftyp");
    assert.deepEqual(boxes.at(-1), { type: "free", start: clip.length + 8, end: size });

    const ranged = await fetch(url, { headers: { range: `bytes=${clip.length}-${size - 1}` } });
    assert.equal(ranged.status, 206);
    const tail = new Uint8Array(await ranged.arrayBuffer());
    assert.equal(await sha256(tail), await sha256(whole.subarray(clip.length)));
  });
});

Deno.test("paddedVideo() writes a 64-bit box size past 4 GiB and reads the same bytes at any offset", () => {
  const file = new Uint8Array([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70]);
  const huge = paddedVideo(file, 5 * 2 ** 30);
  const header = huge.read(8, 24);
  const view = new DataView(header.buffer);
  assert.equal(view.getUint32(0), 1);
  assert.equal(new TextDecoder().decode(header.subarray(4, 8)), "free");
  assert.equal(view.getBigUint64(8), BigInt(5 * 2 ** 30 - 8));
  const small = paddedVideo(file, 3_000_000);
  const chunked: number[] = [];
  for (let at = 0; at < small.size;) {
    const chunk = small.read(at, small.size);
    assert.ok(chunk.length > 0);
    if (at <= 2_500_000 && 2_500_000 < at + chunk.length) chunked.push(chunk[2_500_000 - at]);
    at += chunk.length;
  }
  assert.deepEqual([...small.read(2_500_000, 2_500_001)], chunked);
  assert.equal(paddedVideo(file, 10).size, file.length);
});
