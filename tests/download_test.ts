import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { CometClient } from "../src/api/client.ts";
import { DownloadError, downloadVideo, reserveFor } from "../src/runner/download.ts";
import { withServer } from "./helpers/http_server.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { mountTmpfs, probeTmpfs, testWithTmpfs } from "./helpers/mount.ts";

const TMPFS = await probeTmpfs();

/** Deterministic bytes that start like an MP4 (`ftyp` at offset 4). */
function fakeMp4(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  bytes.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d], 0);
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A body that sends `bytes` and then ends (its Content-Length may promise more). */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller): void {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * A video server with Range support. `cut(n)` says how many bytes the n-th
 * response (0-based) really sends before the connection breaks.
 */
function videoHandler(
  video: Uint8Array,
  options: { ranges: boolean; cut?: (n: number) => number | undefined; log: (string | null)[] },
): (request: Request) => Response {
  return (request) => {
    const n = options.log.length;
    const range = request.headers.get("range");
    options.log.push(range);
    const start = options.ranges && range !== null ? Number(/bytes=(\d+)-/.exec(range)?.[1]) : 0;
    const rest = video.subarray(start);
    const sent = rest.subarray(0, options.cut?.(n) ?? rest.byteLength);
    const headers: Record<string, string> = {
      "content-type": "video/mp4",
      "content-length": String(rest.byteLength),
    };
    if (options.ranges) headers["accept-ranges"] = "bytes";
    if (start > 0) {
      headers["content-range"] = `bytes ${start}-${video.byteLength - 1}/${video.byteLength}`;
    }
    return new Response(streamOf(sent), { status: start > 0 ? 206 : 200, headers });
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const client = new CometClient({ baseUrl: "http://127.0.0.1:9", apiKey: "sk-unused-key-123456" });

Deno.test("`downloadVideo()` writes the video under its final name with its hash", async () => {
  const video = fakeMp4(300_000);
  const log: (string | null)[] = [];
  await withTempDir(async (dir) => {
    await withServer(videoHandler(video, { ranges: true, log }), async (url) => {
      const destination = join(dir, "videos", "job-1.mp4");
      const result = await downloadVideo({
        open: (offset, signal) => client.openVideo(`${url}/v.mp4?sig=x`, { offset, signal }),
        destination,
      });
      assert.deepEqual(result, { bytes: video.byteLength, sha256: sha256(video) });
      assert.deepEqual(await Deno.readFile(destination), video);
      assert.deepEqual(await listFiles(join(dir, "videos")), ["job-1.mp4"]);
    });
  });
  assert.deepEqual(log, [null]);
});

Deno.test("`downloadVideo()` replaces a stale .part file from an earlier crash", async () => {
  const video = fakeMp4(10_000);
  await withTempDir(async (dir) => {
    const destination = join(dir, "a.mp4");
    await Deno.writeFile(`${destination}.part`, new Uint8Array(50_000).fill(7));
    await withServer(videoHandler(video, { ranges: true, log: [] }), async (url) => {
      const result = await downloadVideo({
        open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
        destination,
      });
      assert.equal(result.sha256, sha256(video));
      assert.deepEqual(await Deno.readFile(destination), video);
      assert.deepEqual(await listFiles(dir), ["a.mp4"]);
    });
  });
});

Deno.test("`downloadVideo()` resumes a broken transfer with a Range request", async () => {
  const video = fakeMp4(200_000);
  const log: (string | null)[] = [];
  const cuts = [70_000, 50_000];
  await withTempDir(async (dir) => {
    await withServer(
      videoHandler(video, { ranges: true, cut: (n) => cuts[n], log }),
      async (url) => {
        const destination = join(dir, "b.mp4");
        const result = await downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination,
        });
        // A small video comes back in memory too: the bytes written, across the resumes.
        assert.deepEqual(result, {
          bytes: video.byteLength,
          sha256: sha256(video),
          content: video,
        });
        assert.deepEqual(await Deno.readFile(destination), video);
        assert.deepEqual(await listFiles(dir), ["b.mp4"]);
      },
    );
  });
  assert.deepEqual(log, [null, "bytes=70000-", "bytes=120000-"]);
});

Deno.test("`downloadVideo()` restarts from byte 0 when the server has no Range support", async (t) => {
  const video = fakeMp4(100_000);
  await t.step("no Accept-Ranges: the next request asks for the whole file", async () => {
    const log: (string | null)[] = [];
    await withTempDir(async (dir) => {
      const handler = videoHandler(video, {
        ranges: false,
        cut: (n) => n === 0 ? 40_000 : undefined,
        log,
      });
      await withServer(handler, async (url) => {
        const destination = join(dir, "c.mp4");
        const result = await downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination,
        });
        assert.equal(result.sha256, sha256(video));
        assert.equal(result.bytes, video.byteLength);
        assert.deepEqual(await Deno.readFile(destination), video);
      });
    });
    assert.deepEqual(log, [null, null]);
  });
  await t.step("Accept-Ranges but a 200 answer to the Range: start over", async () => {
    const log: (string | null)[] = [];
    await withTempDir(async (dir) => {
      const plain = videoHandler(video, {
        ranges: false,
        cut: (n) => n === 0 ? 40_000 : undefined,
        log,
      });
      const liar = (request: Request): Response => {
        const response = plain(request);
        const headers = new Headers(response.headers);
        headers.set("accept-ranges", "bytes");
        return new Response(response.body, { status: response.status, headers });
      };
      await withServer(liar, async (url) => {
        const destination = join(dir, "d.mp4");
        const result = await downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination,
        });
        assert.equal(result.sha256, sha256(video));
        assert.deepEqual(await Deno.readFile(destination), video);
      });
    });
    assert.deepEqual(log, [null, "bytes=40000-"]);
  });
});

Deno.test("`downloadVideo()` gives up after maxResumes and leaves no .part", async () => {
  const video = fakeMp4(100_000);
  const log: (string | null)[] = [];
  await withTempDir(async (dir) => {
    await withServer(videoHandler(video, { ranges: true, cut: () => 1000, log }), async (url) => {
      const destination = join(dir, "e.mp4");
      await assert.rejects(
        downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination,
          maxResumes: 2,
        }),
        (e: unknown) => {
          assert.ok(e instanceof DownloadError);
          assert.equal(e.code, "download_interrupted");
          assert.match(e.message, /^Cannot download .*e\.mp4: the transfer kept breaking/);
          return true;
        },
      );
      assert.deepEqual(await listFiles(dir), []);
    });
  });
  assert.equal(log.length, 3);
});

Deno.test("`downloadVideo()` fails with url_expired on a 403", async () => {
  await withTempDir(async (dir) => {
    await withServer(() => new Response("expired", { status: 403 }), async (url) => {
      await assert.rejects(
        downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4?sig=old`, { offset, signal }),
          destination: join(dir, "f.mp4"),
        }),
        (e: unknown) => {
          assert.ok(e instanceof DownloadError);
          assert.equal(e.code, "url_expired");
          assert.equal(e.status, 403);
          assert.ok(!e.message.includes("sig=old"));
          return true;
        },
      );
      assert.deepEqual(await listFiles(dir), []);
    });
  });
});

Deno.test("`downloadVideo()` reports other HTTP failures with their status", async () => {
  await withTempDir(async (dir) => {
    await withServer(() => new Response("nope", { status: 404 }), async (url) => {
      await assert.rejects(
        downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination: join(dir, "g.mp4"),
        }),
        (e: unknown) => {
          assert.ok(e instanceof DownloadError);
          assert.equal(e.code, "download_http");
          assert.equal(e.status, 404);
          return true;
        },
      );
    });
  });
});

Deno.test("`downloadVideo()` refuses bytes that are not an MP4 and leaves no file", async (t) => {
  const bodies: [string, Uint8Array<ArrayBuffer>][] = [
    ["an HTML page", new TextEncoder().encode("<!doctype html><html>Access denied</html>")],
    ["four bytes", new Uint8Array([0, 0, 0, 8])],
    ["empty", new Uint8Array(0)],
  ];
  for (const [name, body] of bodies) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await withServer(() => new Response(body, { status: 200 }), async (url) => {
          await assert.rejects(
            downloadVideo({
              open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
              destination: join(dir, "h.mp4"),
            }),
            (e: unknown) => {
              assert.ok(e instanceof DownloadError);
              assert.equal(e.code, "download_not_mp4");
              return true;
            },
          );
          assert.deepEqual(await listFiles(dir), []);
        });
      });
    });
  }
});

Deno.test("`downloadVideo()` treats a stalled transfer as broken and resumes", async () => {
  const video = fakeMp4(50_000);
  const log: (string | null)[] = [];
  const cancelled = Promise.withResolvers<void>();
  await withTempDir(async (dir) => {
    const normal = videoHandler(video, { ranges: true, log: [] });
    await withServer((request) => {
      log.push(request.headers.get("range"));
      if (log.length > 1) return normal(request);
      const stalled = new ReadableStream<Uint8Array>({
        start(controller): void {
          controller.enqueue(video.subarray(0, 20_000));
        },
        cancel(): void {
          cancelled.resolve();
        },
      });
      return new Response(stalled, {
        headers: { "content-length": String(video.byteLength), "accept-ranges": "bytes" },
      });
    }, async (url) => {
      const destination = join(dir, "i.mp4");
      const result = await downloadVideo({
        open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
        destination,
        idleTimeoutMs: 50,
      });
      assert.equal(result.sha256, sha256(video));
      await cancelled.promise;
    });
  });
  assert.deepEqual(log, [null, "bytes=20000-"]);
});

Deno.test("`downloadVideo()` rethrows an abort and leaves no .part", async () => {
  const video = fakeMp4(50_000);
  const controller = new AbortController();
  await withTempDir(async (dir) => {
    await withServer(() => {
      const body = new ReadableStream<Uint8Array>({
        start(stream): void {
          stream.enqueue(video.subarray(0, 10_000));
          controller.abort();
        },
      });
      return new Response(body, { headers: { "content-length": String(video.byteLength) } });
    }, async (url) => {
      await assert.rejects(
        downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination: join(dir, "j.mp4"),
          signal: controller.signal,
        }),
        (e: unknown) => e instanceof DOMException && e.name === "AbortError",
      );
      assert.deepEqual(await listFiles(dir), []);
    });
  });
});

// Memory is not asserted: `deno test --parallel` shares one process between
// test files, so RSS is not this test's alone. Measured by hand, RSS grows by
// ~40 MB whether the file is 50, 200 or 500 MB.
Deno.test("`downloadVideo()` streams a 50 MB generated video to disk", async () => {
  const size = 50 * 1024 * 1024;
  const chunk = 64 * 1024;
  const expected = createHash("sha256");
  let sent = 0;
  const generated = fakeMp4(chunk, 7);
  await withTempDir(async (dir) => {
    await withServer(() => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller): void {
          if (sent >= size) {
            controller.close();
            return;
          }
          // Fresh bytes each time (a varying tail) so the hash covers real content.
          const piece = generated.slice(0, Math.min(chunk, size - sent));
          if (sent > 0) new DataView(piece.buffer).setUint32(0, sent);
          expected.update(piece);
          sent += piece.byteLength;
          controller.enqueue(piece);
        },
      }, { highWaterMark: 0 });
      return new Response(body, { headers: { "content-length": String(size) } });
    }, async (url) => {
      const destination = join(dir, "big.mp4");
      const result = await downloadVideo({
        open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
        destination,
      });
      assert.equal(result.bytes, size);
      assert.equal(result.sha256, expected.digest("hex"));
      assert.equal((await Deno.stat(destination)).size, size);
    });
  });
});

/** An endless MP4-looking body: the `ftyp` head, then `chunk`-byte pieces for as long as it is read. */
function endless(chunk = 64 * 1024): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const head = fakeMp4(chunk);
  const body = new ReadableStream<Uint8Array>({
    pull(controller): void {
      pulled += chunk;
      controller.enqueue(pulled === chunk ? head : new Uint8Array(chunk));
    },
  }, { highWaterMark: 0 });
  return { body, pulled: () => pulled };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof DownloadError, String(error));
    return error.code;
  }
  throw new Error("the download succeeded");
}

Deno.test("reserveFor() keeps 64 MiB free, or a tenth of a smaller file system", () => {
  assert.equal(reserveFor(10 ** 12), 64 * 1024 ** 2);
  assert.equal(reserveFor(16 * 1024 ** 2), Math.floor(16 * 1024 ** 2 / 10));
});

Deno.test("downloadVideo() stops a stream that passes maxBytes and keeps no file", async () => {
  await withTempDir(async (dir) => {
    const destination = join(dir, "videos", "a.mp4");
    const stream = endless();
    const code = await codeOf(downloadVideo({
      open: () => Promise.resolve(new Response(stream.body)),
      destination,
      maxBytes: 1024 * 1024,
    }));
    assert.equal(code, "download_too_large");
    assert.ok(stream.pulled() <= 1024 * 1024 + 3 * 64 * 1024, `read ${stream.pulled()} bytes`);
    assert.deepEqual([...Deno.readDirSync(join(dir, "videos"))], []);
  });
});

Deno.test("downloadVideo() refuses a Content-Length over maxBytes before writing a byte", async () => {
  await withTempDir(async (dir) => {
    const stream = endless();
    const code = await codeOf(downloadVideo({
      open: () =>
        Promise.resolve(
          new Response(stream.body, { headers: { "content-length": String(5 * 1024 ** 3) } }),
        ),
      destination: join(dir, "a.mp4"),
      maxBytes: 2 * 1024 ** 3,
    }));
    assert.equal(code, "download_too_large");
    assert.equal(stream.pulled(), 0);
  });
});

Deno.test("downloadVideo() does not start when the announced size would eat the reserve of free space", async () => {
  await withTempDir(async (dir) => {
    const video = fakeMp4(10_000);
    const asked: string[] = [];
    let opened = 0;
    const code = await codeOf(downloadVideo({
      open: () => {
        opened++;
        return Promise.resolve(
          new Response(streamOf(video), { headers: { "content-length": "10000" } }),
        );
      },
      destination: join(dir, "videos", "a.mp4"),
      diskSpace: (folder) => {
        asked.push(folder);
        return Promise.resolve({ free: 60_000, total: 10 ** 12 });
      },
      reserveBytes: 50_001,
    }));
    assert.equal(code, "disk_space");
    assert.deepEqual(asked, [join(dir, "videos")]);
    assert.equal(opened, 1);
    assert.deepEqual([...Deno.readDirSync(join(dir, "videos"))], []);
    // With the reserve met it downloads.
    const result = await downloadVideo({
      open: () =>
        Promise.resolve(new Response(streamOf(video), { headers: { "content-length": "10000" } })),
      destination: join(dir, "videos", "a.mp4"),
      diskSpace: () => Promise.resolve({ free: 60_000, total: 10 ** 12 }),
      reserveBytes: 50_000,
    });
    assert.equal(result.bytes, 10_000);
  });
});

Deno.test("downloadVideo() gives up on a transfer that crawls under the minimum rate", async () => {
  await withTempDir(async (dir) => {
    let now = 0;
    let requests = 0;
    const code = await codeOf(downloadVideo({
      open: () => {
        requests++;
        const head = fakeMp4(16);
        let sent = 0;
        // Each chunk "takes" one second of the injected clock: 16 bytes/s.
        return Promise.resolve(
          new Response(
            new ReadableStream<Uint8Array>({
              pull(controller): void {
                now += 1000;
                controller.enqueue(sent++ === 0 ? head : new Uint8Array(16));
              },
            }, { highWaterMark: 0 }),
          ),
        );
      },
      destination: join(dir, "a.mp4"),
      now: () => now,
      minRate: { bytesPerSecond: 1024, windowMs: 5000 },
      maxResumes: 2,
    }));
    assert.equal(code, "download_slow");
    assert.equal(requests, 3, "the first try and two resumes");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("downloadVideo() ends at its deadline however slowly bytes keep coming", async () => {
  await withTempDir(async (dir) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await codeOf(downloadVideo({
      open: () => {
        const head = fakeMp4(16);
        let sent = 0;
        return Promise.resolve(
          new Response(
            new ReadableStream<Uint8Array>({
              pull(controller): Promise<void> {
                // A byte every 20 ms: never idle, never done.
                return new Promise((resolve) => {
                  timer = setTimeout(() => {
                    controller.enqueue(sent++ === 0 ? head : new Uint8Array(1));
                    resolve();
                  }, 20);
                });
              },
              cancel(): void {
                clearTimeout(timer);
              },
            }, { highWaterMark: 0 }),
          ),
        );
      },
      destination: join(dir, "a.mp4"),
      deadline: Date.now() + 300,
    }));
    clearTimeout(timer);
    assert.equal(code, "download_deadline");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

testWithTmpfs(
  TMPFS,
  "downloadVideo() reports a full disk mid-stream as a local write error (tmpfs)",
  async () => {
    await withTempDir(async (dir) => {
      const unmount = await mountTmpfs(dir, "size=64k");
      try {
        const stream = endless(16 * 1024);
        const code = await codeOf(downloadVideo({
          open: () => Promise.resolve(new Response(stream.body)),
          destination: join(dir, "a.mp4"),
          // No Content-Length, so no free-space check: the disk fills while writing.
          maxBytes: 10 * 1024 ** 2,
        }));
        assert.equal(code, "download_write");
        assert.deepEqual([...Deno.readDirSync(dir)], [], "the .part is removed");
      } finally {
        await unmount();
      }
    });
  },
);

Deno.test("`downloadVideo()` makes the video's folder again when it went away between videos", async () => {
  const video = fakeMp4(4_000);
  const log: (string | null)[] = [];
  await withTempDir(async (dir) => {
    await withServer(videoHandler(video, { ranges: true, log }), async (url) => {
      const get = (name: string): ReturnType<typeof downloadVideo> =>
        downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4?sig=x`, { offset, signal }),
          destination: join(dir, "videos", "nested", name),
        });
      await get("a.mp4");
      await Deno.remove(join(dir, "videos"), { recursive: true });
      const result = await get("b.mp4");
      assert.equal(result.sha256, sha256(video));
      assert.deepEqual(await listFiles(join(dir, "videos", "nested")), ["b.mp4"]);
      // A folder that is a file is refused as before, with no file left behind.
      await Deno.remove(join(dir, "videos"), { recursive: true });
      await Deno.writeTextFile(join(dir, "videos"), "not a folder");
      await assert.rejects(get("c.mp4"), DownloadError);
    });
  });
});

Deno.test("`downloadVideo()` resumes a large video read into its write buffer, sending again at most one buffer", async () => {
  const video = fakeMp4(20 * 1024 ** 2);
  const log: (string | null)[] = [];
  const cut = 5 * 1024 ** 2 + 12_345;
  await withTempDir(async (dir) => {
    await withServer(
      videoHandler(video, { ranges: true, cut: (n) => (n === 0 ? cut : undefined), log }),
      async (url) => {
        const destination = join(dir, "large.mp4");
        const result = await downloadVideo({
          open: (offset, signal) => client.openVideo(`${url}/v.mp4`, { offset, signal }),
          destination,
        });
        assert.deepEqual(result, { bytes: video.byteLength, sha256: sha256(video) });
        assert.deepEqual(await Deno.readFile(destination), video);
        assert.deepEqual(await listFiles(dir), ["large.mp4"]);
      },
    );
  });
  assert.equal(log.length, 2);
  assert.equal(log[0], null);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(log[1] ?? "")?.[1]);
  assert.ok(resumedAt <= cut && resumedAt >= cut - 1024 ** 2, `resumed at ${resumedAt}`);
});
