import assert from "node:assert/strict";
import { join } from "node:path";
import { FolderSyncs, syncFolder } from "../src/fs.ts";
import { downloadVideo } from "../src/runner/download.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

interface ManualSync {
  log: string[];
  sync: (folder: string) => Promise<void>;
  endOne: () => void;
}

/** A folder sync the test ends by hand; logs starts and ends. */
function manualSync(): ManualSync {
  const log: string[] = [];
  const ends: Array<() => void> = [];
  return {
    log,
    sync: (folder: string): Promise<void> => {
      log.push(`start ${folder}`);
      const { promise, resolve } = Promise.withResolvers<void>();
      ends.push(() => {
        log.push(`end ${folder}`);
        resolve();
      });
      return promise;
    },
    /** End the oldest running sync. */
    endOne: (): void => ends.shift()!(),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("FolderSyncs shares one sync among callers that ask while another runs", async () => {
  const manual = manualSync();
  const syncs = new FolderSyncs(manual.sync);
  const done: string[] = [];
  const first = syncs.sync("/v").then(() => done.push("first"));
  await tick();
  assert.deepEqual(manual.log, ["start /v"]);
  // Asked while the first runs: their renames may be after its start, so they
  // wait for a sync of their own, one for all three.
  const later = ["a", "b", "c"].map((name) => syncs.sync("/v").then(() => done.push(name)));
  await tick();
  assert.deepEqual(manual.log, ["start /v"], "no sync starts while one runs");
  manual.endOne();
  await first;
  await tick();
  assert.deepEqual(done, ["first"], "the later callers are not served by the sync that ran");
  assert.deepEqual(manual.log, ["start /v", "end /v", "start /v"]);
  manual.endOne();
  await Promise.all(later);
  assert.deepEqual(done, ["first", "a", "b", "c"]);
  assert.equal(syncs.count, 2);
});

Deno.test("FolderSyncs syncs different folders independently", async () => {
  const manual = manualSync();
  const syncs = new FolderSyncs(manual.sync);
  const both = [syncs.sync("/a"), syncs.sync("/b")];
  await tick();
  assert.deepEqual(manual.log, ["start /a", "start /b"]);
  manual.endOne();
  manual.endOne();
  await Promise.all(both);
  assert.equal(syncs.count, 2);
});

Deno.test("downloadVideo() returns (and so the video is journaled) only after the folder sync of its rename", async () => {
  await withTempDir(async (dir) => {
    const video = new Uint8Array(5000).fill(7);
    video.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70], 0);
    const destination = join(dir, "a.mp4");
    const manual = manualSync();
    let returned = false;
    const download = downloadVideo({
      open: () => Promise.resolve(new Response(video, { headers: { "content-length": "5000" } })),
      destination,
      syncFolder: async (folder) => {
        // The data is synced and renamed before the folder sync starts.
        assert.deepEqual(await Deno.readFile(destination), video);
        await manual.sync(folder);
      },
    }).then((result) => {
      returned = true;
      return result;
    });
    while (manual.log.length === 0) await tick();
    await tick();
    assert.equal(returned, false, "not before the folder's entries are durable");
    manual.endOne();
    const result = await download;
    assert.equal(result.bytes, 5000);
    assert.deepEqual(manual.log, [`start ${dir}`, `end ${dir}`]);
  });
});

Deno.test({
  name: "syncFolder() returns at once when a FIFO stands where the folder was",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const fifo = join(dir, "videos");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(made.success);
      // Opening a FIFO to read waits for a writer: the sync must not open it.
      await syncFolder(fifo);
      await syncFolder(dir);
    });
  },
});
