import assert from "node:assert/strict";
import { CLIP_MP4 } from "../src/simulator/assets/clip_mp4.ts";
import type { RunningSimulator, SimulatorServerOptions } from "../src/simulator/server.ts";
import { interpretRange, videoForTask, type VideoSpec } from "../src/simulator/video.ts";
import {
  ManualClock,
  retrieve,
  sha256,
  submit,
  VALID,
  withSimulator as withRenderingSimulator,
} from "./fixtures/simulator/helpers.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";
import { boxesIn, parseMoov } from "../src/mp4.ts";
import { videoMismatches } from "../src/video_check.ts";

const FFPROBE = await findProgram("ffprobe", ["-version"]);

/** A simulator that renders at once unless `options` says otherwise. */
function withSimulator(
  options: SimulatorServerOptions,
  body: (base: string, simulator: RunningSimulator) => Promise<void>,
): Promise<void> {
  return withRenderingSimulator({ renderMs: 0, ...options }, body);
}

/** What the video of a task created from VALID is made from. */
function specOf(id: string): VideoSpec {
  return { id, seconds: Number(VALID.seconds), size: VALID.size!, resolution: VALID.resolution! };
}

/** Create a task and return its id and current signed URL. */
async function finishedTask(base: string): Promise<{ id: string; url: string }> {
  const id = (await (await submit(base, VALID)).json()).id;
  const state = await (await retrieve(base, id)).json();
  return { id, url: state.video_url };
}

function topLevelBoxes(file: Uint8Array): string[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const boxes: string[] = [];
  for (let at = 0; at < file.length;) {
    const size = view.getUint32(at);
    assert.ok(size >= 8, `box at ${at} has size ${size}`);
    boxes.push(new TextDecoder().decode(file.subarray(at + 4, at + 8)));
    at += size;
    assert.ok(at <= file.length, "a box runs past the end of the file");
  }
  return boxes;
}

Deno.test("CLIP_MP4 holds exactly the bytes of assets/clip.mp4", async () => {
  const file = await Deno.readFile(new URL("../src/simulator/assets/clip.mp4", import.meta.url));
  assert.equal(CLIP_MP4.length, file.length);
  assert.deepEqual(CLIP_MP4, file);
});

Deno.test("videoForTask() keeps ftyp first and the samples in place, appends one free box, and differs per task", () => {
  const a = videoForTask(specOf("task_a"));
  const b = videoForTask(specOf("task_b"));
  assert.deepEqual(topLevelBoxes(CLIP_MP4), ["ftyp", "moov", "free", "mdat"]);
  assert.deepEqual(topLevelBoxes(a), ["ftyp", "moov", "free", "mdat", "free"]);
  const mdat = CLIP_MP4.length - 4409; // the clip's mdat box: the samples, untouched
  assert.deepEqual(a.subarray(mdat, CLIP_MP4.length), CLIP_MP4.subarray(mdat));
  assert.notDeepEqual(a, b);
  assert.match(new TextDecoder().decode(a.subarray(CLIP_MP4.length)), /task_a/);
});

/** Child boxes of an MP4 box body: [type, body] pairs. */
function mp4Boxes(bytes: Uint8Array): Array<[string, Uint8Array]> {
  const boxes: Array<[string, Uint8Array]> = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const size = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    if (size < 8 || offset + size > bytes.length) break;
    boxes.push([type, bytes.subarray(offset + 8, offset + size)]);
    offset += size;
  }
  return boxes;
}

function childBox(body: Uint8Array, path: string[]): Uint8Array | undefined {
  let current: Uint8Array | undefined = body;
  for (const type of path) {
    current = mp4Boxes(current!).find(([name]) => name === type)?.[1];
    if (current === undefined) return undefined;
  }
  return current;
}

Deno.test("a served video is an MP4 with one H.264 track as long as asked for (read from its boxes)", async () => {
  await withSimulator({}, async (base) => {
    const { url } = await finishedTask(base);
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    assert.equal(mp4Boxes(bytes)[0][0], "ftyp");
    const mvhd = childBox(bytes, ["moov", "mvhd"])!;
    const view = new DataView(mvhd.buffer, mvhd.byteOffset, mvhd.byteLength);
    const [timescale, duration] = mvhd[0] === 1
      ? [view.getUint32(20), Number(view.getBigUint64(24))]
      : [view.getUint32(12), view.getUint32(16)];
    assert.equal(Math.round((duration / timescale) * 10) / 10, Number(VALID.seconds));
    const stsd = childBox(bytes, ["moov", "trak", "mdia", "minf", "stbl", "stsd"])!;
    // stsd: version/flags (4), entry count (4), then the first sample entry box.
    assert.equal(new TextDecoder().decode(stsd.subarray(12, 16)), "avc1");
  });
});

testWith(
  FFPROBE,
  "a served video is a playable MP4 (ffprobe reads one H.264 stream as long as asked for)",
  async () => {
    await withSimulator({}, async (base) => {
      const { url } = await finishedTask(base);
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const path = await Deno.makeTempFile({ suffix: ".mp4" });
      try {
        await Deno.writeFile(path, bytes);
        const probe = await new Deno.Command("ffprobe", {
          args: [
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration",
            "-of",
            "json",
            path,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(probe.code, 0, new TextDecoder().decode(probe.stderr));
        const info = JSON.parse(new TextDecoder().decode(probe.stdout));
        assert.equal(info.streams[0].codec_name, "h264");
        assert.equal(Number(info.format.duration), Number(VALID.seconds));
      } finally {
        await Deno.remove(path);
      }
    });
  },
);

Deno.test("interpretRange() reads one byte range and refuses what cannot be satisfied", async (t) => {
  const cases: Array<[string | null, ReturnType<typeof interpretRange>]> = [
    [null, "full"],
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=100-", { start: 100, end: 999 }],
    ["bytes=-10", { start: 990, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
    ["bytes=900-5000", { start: 900, end: 999 }],
    ["bytes=999-999", { start: 999, end: 999 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=5-3", "full"],
    ["bytes=0-1,5-6", "full"],
    ["items=0-1", "full"],
  ];
  for (const [header, expected] of cases) {
    await t.step(`${header}`, () => assert.deepEqual(interpretRange(header, 1000), expected));
  }
});

Deno.test("a signed URL serves the file with Content-Length, Accept-Ranges and the recorded SHA-256", async () => {
  await withSimulator({}, async (base, simulator) => {
    const { id, url } = await finishedTask(base);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "video/mp4");
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(Number(response.headers.get("content-length")), bytes.length);
    assert.deepEqual(bytes, videoForTask(specOf(id)));
    assert.equal(simulator.stats().servedSha256[id], await sha256(bytes));

    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), bytes.length);
    assert.equal(simulator.stats().downloadsWithAuthorization, 0);
  });
});

Deno.test("a signed URL honours Range with 206 and answers 416 past the end", async (t) => {
  await withSimulator({}, async (base) => {
    const { id, url } = await finishedTask(base);
    const whole = videoForTask(specOf(id));
    const size = whole.length;
    const cases = [
      { range: "bytes=0-99", start: 0, end: 99 },
      { range: "bytes=5000-", start: 5000, end: size - 1 },
      { range: "bytes=-16", start: size - 16, end: size - 1 },
    ];
    for (const c of cases) {
      await t.step(c.range, async () => {
        const response = await fetch(url, { headers: { range: c.range } });
        assert.equal(response.status, 206);
        assert.equal(response.headers.get("content-range"), `bytes ${c.start}-${c.end}/${size}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        assert.equal(Number(response.headers.get("content-length")), c.end - c.start + 1);
        assert.deepEqual(bytes, whole.subarray(c.start, c.end + 1));
      });
    }
    await t.step("bytes=SIZE- is unsatisfiable", async () => {
      const response = await fetch(url, { headers: { range: `bytes=${size}-` } });
      assert.equal(response.status, 416);
      assert.equal(response.headers.get("content-range"), `bytes */${size}`);
      await response.body?.cancel();
    });
  });
});

Deno.test("a signed URL expires after urlTtlMs (403) and a fresh GET of the task renews it", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, urlTtlMs: 60_000 }, async (base) => {
    const { id, url } = await finishedTask(base);
    clock.advance(60_000);
    const stillValid = await fetch(url);
    assert.equal(stillValid.status, 200);
    await stillValid.arrayBuffer();
    clock.advance(1);
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /AccessDenied/);

    const fresh = (await (await retrieve(base, id)).json()).video_url;
    assert.notEqual(fresh, url);
    const renewed = await fetch(fresh);
    assert.equal(renewed.status, 200);
    await renewed.arrayBuffer();
  });
});

Deno.test("a signed URL with a bad signature, a changed expiry or another task's name is refused (403)", async (t) => {
  await withSimulator({}, async (base) => {
    const first = await finishedTask(base);
    const second = await finishedTask(base);
    const tampered = {
      "bad signature": first.url.replace(/sig=(.)/, (_, c) => `sig=${c === "0" ? "1" : "0"}`),
      "no signature": first.url.replace(/&sig=.*$/, ""),
      "later expiry": first.url.replace(/expires=(\d+)/, (_, ms) => `expires=${Number(ms) + 1}`),
      "other task": first.url.replace(first.id, second.id),
    };
    for (const [name, url] of Object.entries(tampered)) {
      await t.step(name, async () => {
        const response = await fetch(url);
        assert.equal(response.status, 403);
        await response.body?.cancel();
      });
    }
  });
});

Deno.test("the file route counts downloads that carry an Authorization header", async () => {
  await withSimulator({}, async (base, simulator) => {
    const { url } = await finishedTask(base);
    await (await fetch(url)).arrayBuffer();
    await (await fetch(url, { headers: { authorization: "Bearer sk-leaked" } })).arrayBuffer();
    assert.equal(simulator.stats().downloads, 2);
    assert.equal(simulator.stats().downloadsWithAuthorization, 1);
    assert.equal(JSON.stringify(simulator.stats()).includes("sk-leaked"), false);
  });
});

Deno.test("separateFileHost serves video URLs from another origin", async () => {
  await withSimulator({ separateFileHost: true }, async (base, simulator) => {
    assert.notEqual(simulator.fileUrl, simulator.url);
    const { url } = await finishedTask(base);
    assert.ok(url.startsWith(`${simulator.fileUrl}/files/`));
    const response = await fetch(url);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });
});

Deno.test("GET /v1/videos/{id}/content streams the video with the bearer key", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, renderMs: 1000 }, async (base, simulator) => {
    const id = (await (await submit(base, VALID)).json()).id;
    const auth = { authorization: "Bearer sk-test-key" };
    const early = await fetch(`${base}/v1/videos/${id}/content`, { headers: auth });
    assert.equal(early.status, 404);
    assert.equal((await early.json()).error.code, "video_not_ready");
    clock.advance(1000);
    const anonymous = await fetch(`${base}/v1/videos/${id}/content`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const response = await fetch(`${base}/v1/videos/${id}/content`, { headers: auth });
    assert.equal(response.status, 200);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), videoForTask(specOf(id)));
    assert.equal(simulator.stats().downloadsWithAuthorization, 0);
  });
});

Deno.test("the simulator's videos say what was asked for, or, with mismatchRate, something else", async () => {
  const asked = { seconds: 6, size: "9:16", resolution: "480p" };
  for (const [mismatchRate, expected] of [[0, []], [1, 2]] as const) {
    await withSimulator({ mismatchRate }, async (base) => {
      const id = (await (await submit(base, {
        ...VALID,
        seconds: String(asked.seconds),
        size: asked.size,
        resolution: asked.resolution,
      })).json()).id;
      const url = (await (await retrieve(base, id)).json()).video_url;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const moov = boxesIn(bytes).find((box) => box.type === "moov")!;
      const facts = parseMoov(bytes.subarray(moov.start - 8, moov.end))!;
      const problems = videoMismatches(facts, asked);
      if (mismatchRate === 0) {
        assert.deepEqual(facts, { durationSeconds: 6, width: 480, height: 854, codec: "avc1" });
        assert.deepEqual(problems, expected);
      } else {
        assert.equal(problems.length, expected);
      }
    });
  }
});
