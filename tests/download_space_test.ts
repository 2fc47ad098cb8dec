import assert from "node:assert/strict";
import { join } from "node:path";
import { type DiskSpace, SpaceGauge } from "../src/runner/space.ts";
import { downloadVideo } from "../src/runner/download.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { mountTmpfs, probeTmpfs, testWithTmpfs } from "./helpers/mount.ts";

const TMPFS = await probeTmpfs();
const MiB = 1024 ** 2;

/** A file system whose free space the test sets; counts the measures. */
interface FakeDisk {
  free: number;
  measured: number;
  diskSpace: () => Promise<DiskSpace>;
}

function fakeDisk(free: number, total = 1000 * MiB): FakeDisk {
  const disk: FakeDisk = {
    free,
    measured: 0,
    diskSpace: (): Promise<DiskSpace> => {
      disk.measured++;
      return Promise.resolve({ free: disk.free, total });
    },
  };
  return disk;
}

/** Bytes that start like an MP4. */
function fakeMp4(size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(7);
  bytes.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70], 0);
  return bytes;
}

Deno.test("SpaceGauge measures once for many small videos far from the reserve", async () => {
  const disk = fakeDisk(500 * MiB);
  const gauge = new SpaceGauge({ diskSpace: disk.diskSpace, reserveBytes: 64 * MiB, now: () => 0 });
  for (let i = 0; i < 100; i++) assert.equal(await gauge.admit("/videos", 5000), undefined);
  assert.equal(disk.measured, 1);
  assert.equal(gauge.measures, 1);
});

Deno.test("SpaceGauge measures again once the bytes admitted reach a step, and sees a disk others filled", async () => {
  const disk = fakeDisk(500 * MiB);
  const gauge = new SpaceGauge({
    diskSpace: disk.diskSpace,
    reserveBytes: 64 * MiB,
    recheckBytes: 10 * MiB,
    now: () => 0,
  });
  for (let i = 0; i < 9; i++) assert.equal(await gauge.admit("/videos", MiB), undefined);
  assert.equal(disk.measured, 1);
  // Another program fills the disk meanwhile: the next step's measure sees it.
  disk.free = 65 * MiB;
  const refused = await gauge.admit("/videos", 2 * MiB);
  assert.equal(disk.measured, 2);
  assert.deepEqual(refused, { free: 65 * MiB, reserve: 64 * MiB });
});

Deno.test("SpaceGauge measures before every video once the estimate comes near the reserve", async () => {
  const disk = fakeDisk(84 * MiB);
  const gauge = new SpaceGauge({
    diskSpace: disk.diskSpace,
    reserveBytes: 64 * MiB,
    recheckBytes: 16 * MiB,
    now: () => 0,
  });
  // 84 − 64 = 20 MiB of room: the first two videos leave at least 16 MiB of it.
  assert.equal(await gauge.admit("/videos", 2 * MiB), undefined);
  assert.equal(await gauge.admit("/videos", 2 * MiB), undefined);
  assert.equal(disk.measured, 1);
  // A third would leave 14 MiB above the reserve by the estimate: measured first.
  disk.free = 79 * MiB; // others wrote 1 MiB too
  assert.equal(await gauge.admit("/videos", 2 * MiB), undefined);
  assert.equal(disk.measured, 2);
  // From now on every video is measured first.
  disk.free = 66 * MiB;
  assert.equal(await gauge.admit("/videos", 2 * MiB), undefined);
  assert.equal(disk.measured, 3);
  disk.free = 65 * MiB;
  assert.deepEqual(await gauge.admit("/videos", 2 * MiB), { free: 65 * MiB, reserve: 64 * MiB });
  assert.equal(disk.measured, 4);
});

Deno.test("SpaceGauge measures again after a while even far from the reserve", async () => {
  const disk = fakeDisk(500 * MiB);
  let now = 0;
  const gauge = new SpaceGauge({
    diskSpace: disk.diskSpace,
    reserveBytes: 64 * MiB,
    recheckMs: 5000,
    now: () => now,
  });
  await gauge.admit("/videos", 5000);
  now = 4999;
  await gauge.admit("/videos", 5000);
  assert.equal(disk.measured, 1);
  now = 5000;
  await gauge.admit("/videos", 5000);
  assert.equal(disk.measured, 2);
});

Deno.test("downloadVideo() with a run's gauge measures the free space once for many videos", async () => {
  await withTempDir(async (dir) => {
    const disk = fakeDisk(500 * MiB);
    const space = new SpaceGauge({ diskSpace: disk.diskSpace, reserveBytes: 64 * MiB });
    const video = fakeMp4(5000);
    for (let i = 0; i < 5; i++) {
      const result = await downloadVideo({
        open: () =>
          Promise.resolve(
            new Response(video.slice(), { headers: { "content-length": String(video.length) } }),
          ),
        destination: join(dir, `v${i}.mp4`),
        space,
      });
      assert.equal(result.bytes, 5000);
    }
    assert.equal(disk.measured, 1);
  });
});

Deno.test("downloadVideo() with a run's gauge measures before each video near the reserve and refuses in time", async () => {
  await withTempDir(async (dir) => {
    const disk = fakeDisk(64 * MiB + 12_000);
    const space = new SpaceGauge({ diskSpace: disk.diskSpace, reserveBytes: 64 * MiB });
    const video = fakeMp4(5000);
    const download = (name: string) =>
      downloadVideo({
        open: () =>
          Promise.resolve(
            new Response(video.slice(), { headers: { "content-length": String(video.length) } }),
          ),
        destination: join(dir, name),
        space,
      });
    assert.equal((await download("a.mp4")).bytes, 5000);
    disk.free -= 5000;
    assert.equal((await download("b.mp4")).bytes, 5000);
    disk.free -= 5000;
    assert.equal(disk.measured, 2);
    const refused = await download("c.mp4").catch((error) => error);
    assert.equal(refused.code, "disk_space");
    assert.equal(disk.measured, 3);
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["a.mp4", "b.mp4"]);
  });
});

testWithTmpfs(
  TMPFS,
  "SpaceGauge sees a small disk filled by another program before the next video (tmpfs)",
  async () => {
    await withTempDir(async (dir) => {
      const unmount = await mountTmpfs(dir, "size=4m");
      try {
        // The real statfs; the default reserve is a tenth of 4 MiB.
        const space = new SpaceGauge();
        const video = fakeMp4(100_000);
        const download = (name: string) =>
          downloadVideo({
            open: () =>
              Promise.resolve(
                new Response(video.slice(), {
                  headers: { "content-length": String(video.length) },
                }),
              ),
            destination: join(dir, name),
            space,
          });
        assert.equal((await download("a.mp4")).bytes, video.length);
        // Another program takes nearly all the rest.
        await Deno.writeFile(join(dir, "other.bin"), new Uint8Array(3 * MiB + 512 * 1024));
        const refused = await download("b.mp4").catch((error) => error);
        assert.equal(refused.code, "disk_space");
        assert.match(refused.message, /not enough free disk space/);
        assert.equal(
          space.measures,
          2,
          "measured again: the disk is within the margin of its reserve",
        );
      } finally {
        await unmount();
      }
    });
  },
);
