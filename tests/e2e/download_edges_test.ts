/**
 * Issue 8 items 3, 5 and 9 through the CLI: a full or read-only disk keeps a
 * paid job running (exit 3) and the next plain run downloads it with no POST;
 * a video host that streams for ever is cut at --max-video-size and the job
 * fails only after a fresh URL; a host that crawls cannot hold the run (and
 * its lock) past --max-wait or the pass.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock } from "../../src/journal/lock.ts";
import { readJsonLines, runCli, withTempDir } from "../helpers/cli.ts";
import { mountTmpfs, probeTmpfs, remountTmpfs, testWithTmpfs } from "../helpers/mount.ts";
import { withServer } from "../helpers/http_server.ts";
import {
  listFiles,
  readReport,
  runAgainst,
  sampleJobs,
  startService,
  type TestService,
  writeManifest,
} from "./harness.ts";

const TMPFS = await probeTmpfs();

/** One 1.x job (no images), so a test's disk needs room for one video only. */
const ONE_JOB = sampleJobs(3).slice(2);

/** What the journal says of the job after a run. */
async function journalTypes(outDir: string): Promise<string[]> {
  const events = await readJsonLines(join(outDir, "state.jsonl"));
  return events.map((e) => e.type as string).filter((type) => type !== "run_started");
}

async function withService(
  body: (service: TestService) => Promise<void>,
  options: Parameters<typeof startService>[0] = {},
): Promise<void> {
  const service = await startService(options);
  try {
    await body(service);
  } finally {
    await service.close();
  }
}

testWithTmpfs(
  TMPFS,
  "run keeps a paid job running when the disk is full, and the next plain run downloads it without a POST",
  async () => {
    await withTempDir(async (dir) => {
      await withService(async (service) => {
        const manifest = await writeManifest(dir, ONE_JOB);
        const outDir = join(dir, "batch.out");
        const videos = join(outDir, "videos");
        await Deno.mkdir(videos, { recursive: true });
        const unmount = await mountTmpfs(videos, "size=16k");
        let mounted = true;
        try {
          // Leave one page free: less than the video.
          await Deno.writeFile(join(videos, "filler.bin"), new Uint8Array(12 * 1024));
          const full = await runAgainst(manifest, service);
          assert.equal(full.code, 3, full.stderr.join("\n"));
          assert.ok(
            full.stderr.some((line) =>
              /clip-003: video not saved: .*not enough free disk space/.test(line)
            ),
            full.stderr.join("\n"),
          );
          const report = await readReport(outDir);
          assert.equal(report.jobs[0].status, "running");
          assert.match(
            String((report.jobs[0].error as { message: string }).message),
            /free disk space/,
          );
          assert.ok(!(await journalTypes(outDir)).includes("download_failed"));
          assert.ok((await journalTypes(outDir)).includes("download_held"));
          assert.deepEqual(await listFiles(videos), ["filler.bin"]);
          await unmount();
          mounted = false;

          // Room again (the folder is on the big disk now): a plain rerun downloads it.
          const posts = service.stats().requests.submit;
          const rerun = await runAgainst(manifest, service);
          assert.equal(rerun.code, 0, rerun.stderr.join("\n"));
          assert.equal(service.stats().requests.submit, posts, "no new POST");
          assert.equal((await readReport(outDir)).jobs[0].status, "done");
        } finally {
          if (mounted) await unmount();
        }
      });
    });
  },
);

testWithTmpfs(
  TMPFS,
  "run keeps a paid job running when videos/ is read-only, and the next plain run downloads it without a POST",
  async () => {
    await withTempDir(async (dir) => {
      await withService(async (service) => {
        const manifest = await writeManifest(dir, ONE_JOB);
        const outDir = join(dir, "batch.out");
        const videos = join(outDir, "videos");
        await Deno.mkdir(videos, { recursive: true });
        // Big enough for the reserve of free space; tmpfs takes memory only as it fills.
        const unmount = await mountTmpfs(videos, "size=256m");
        try {
          await remountTmpfs(videos, true);
          const readOnly = await runAgainst(manifest, service);
          assert.equal(readOnly.code, 3, readOnly.stderr.join("\n"));
          assert.ok(
            readOnly.stderr.some((line) => /clip-003: video not saved: .*[Rr]ead-only/.test(line)),
            readOnly.stderr.join("\n"),
          );
          const status = await runAgainstStatus(manifest);
          assert.match(
            status.find((line) => line.startsWith("clip-003"))!,
            /running .*[Rr]ead-only/,
          );
          assert.ok(!(await journalTypes(outDir)).includes("download_failed"));

          await remountTmpfs(videos, false);
          const posts = service.stats().requests.submit;
          const rerun = await runAgainst(manifest, service);
          assert.equal(rerun.code, 0, rerun.stderr.join("\n"));
          assert.equal(service.stats().requests.submit, posts, "no new POST");
          assert.deepEqual(await listFiles(videos), ["clip-003.mp4"]);
        } finally {
          await unmount();
        }
      });
    });
  },
);

/** `status` lines of a manifest. */
async function runAgainstStatus(manifest: string): Promise<string[]> {
  return (await runCli(["status", manifest])).stdout;
}

/** The first 16 bytes of an MP4 (`ftyp` box header). */
const MP4_HEAD = new Uint8Array([
  0,
  0,
  0,
  0x10,
  0x66,
  0x74,
  0x79,
  0x70,
  0x69,
  0x73,
  0x6f,
  0x6d,
  0,
  0,
  0,
  0,
]);

/** A video host whose answer is chosen per request. */
function videoHost(
  mode: () => "endless" | "crawl" | "small",
  hits: string[],
): (request: Request) => Response {
  return (request: Request): Response => {
    hits.push(new URL(request.url).pathname);
    const current = mode();
    if (current === "small") {
      const video = new Uint8Array(4096);
      video.set(MP4_HEAD);
      return new Response(video, { headers: { "content-type": "video/mp4" } });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller): Promise<void> | void {
        if (current === "endless") {
          controller.enqueue(sent++ === 0 ? MP4_HEAD : new Uint8Array(64 * 1024));
          return;
        }
        // One byte every 200 ms, for ever.
        return new Promise((resolve) => {
          timer = setTimeout(() => {
            controller.enqueue(sent++ === 0 ? MP4_HEAD : new Uint8Array(1));
            resolve();
          }, sent === 0 ? 0 : 200);
        });
      },
      cancel(): void {
        clearTimeout(timer);
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers: { "content-type": "video/mp4" } });
  };
}

Deno.test("run cuts a video that streams for ever at --max-video-size, fails it after one fresh URL, and --retry-failed fetches it without a POST", async () => {
  await withTempDir(async (dir) => {
    let mode: "endless" | "small" = "endless";
    const hits: string[] = [];
    await withServer(videoHost(() => mode, hits), async (host) => {
      await withService(async (service) => {
        const manifest = await writeManifest(dir, ONE_JOB);
        const outDir = join(dir, "batch.out");
        const first = await runAgainst(manifest, service, ["--max-video-size", "1MiB"]);
        assert.equal(first.code, 1, first.stderr.join("\n"));
        const row = (await readReport(outDir)).jobs[0];
        assert.equal(row.status, "failed");
        assert.equal((row.error as { code: string }).code, "video_too_large");
        assert.equal(hits.length, 2, "the first URL and one fresh one");
        assert.deepEqual(await listFiles(join(outDir, "videos")), []);

        mode = "small";
        const posts = service.stats().requests.submit;
        const retry = await runAgainst(manifest, service, ["--retry-failed"]);
        assert.equal(retry.code, 0, retry.stderr.join("\n"));
        assert.equal(service.stats().requests.submit, posts, "no new POST");
        assert.deepEqual(await listFiles(join(outDir, "videos")), ["clip-003.mp4"]);
      }, { fileBaseUrl: host });
    });
  });
});

/** Run `body` and fail (rather than hang) if it has not settled after `ms`. */
async function guarded<T>(ms: number, body: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([body, guard]);
  } finally {
    clearTimeout(timer);
  }
}

for (const flags of [["--max-wait", "1"], ["--once", "--pass-time", "1"]]) {
  Deno.test(`run ${flags.join(" ")} ends with exit 3 and frees its lock while a video host crawls`, async () => {
    await withTempDir(async (dir) => {
      const hits: string[] = [];
      await withServer(videoHost(() => "crawl", hits), async (host) => {
        await withService(async (service) => {
          const manifest = await writeManifest(dir, ONE_JOB);
          const outDir = join(dir, "batch.out");
          // --once submits in one pass and polls once per pass: passes go on
          // until one starts the download (the render takes 20..120 ms).
          const passes = flags.includes("--once") ? 200 : 1;
          let result;
          for (let pass = 0; pass < passes && hits.length === 0; pass++) {
            result = await guarded(60_000, runAgainst(manifest, service, flags));
            assert.equal(result.code, 3, result.stderr.join("\n"));
          }
          assert.ok(hits.length >= 1, "the download was started");
          assert.ok(
            result!.stderr.some((line) => /clip-003: download left for the next run/.test(line)),
            result!.stderr.join("\n"),
          );
          const row = (await readReport(outDir)).jobs[0];
          assert.equal(row.status, "running");
          assert.ok(!(await journalTypes(outDir)).includes("download_failed"));
          assert.deepEqual(await listFiles(join(outDir, "videos")), []);
          // The lock is free: another run may take the folder at once.
          const lock = await acquireLock(outDir);
          await lock.release();
          assert.equal(service.stats().requests.submit, 1);
        }, { fileBaseUrl: host });
      });
    });
  });
}
