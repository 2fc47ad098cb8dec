import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./helpers/temp_dir.ts";

const DOWNLOAD = new URL("../src/runner/download.ts", import.meta.url).href;
const MiB = 1024 ** 2;

/**
 * A child process downloads `size` bytes from an in-memory stream of fresh
 * 64 KiB chunks and prints its peak RSS (VmHWM, KiB). A child of its own:
 * `deno test --parallel` shares one process between test files.
 */
async function peakKbOfDownload(dir: string, size: number): Promise<number> {
  const code = `
    import { downloadVideo } from "${DOWNLOAD}";
    const size = ${size};
    const chunk = 64 * 1024;
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= size) return controller.close();
        const piece = new Uint8Array(Math.min(chunk, size - sent));
        if (sent === 0) piece.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);
        sent += piece.byteLength;
        controller.enqueue(piece);
      },
    }, { highWaterMark: 0 });
    const result = await downloadVideo({
      open: () => Promise.resolve(new Response(body, { headers: { "content-length": String(size) } })),
      destination: ${JSON.stringify(join(dir, "big.mp4"))},
    });
    if (result.bytes !== size) throw new Error("short: " + result.bytes);
    const status = Deno.readTextFileSync("/proc/self/status");
    console.log(/^VmHWM:\\s+(\\d+)/m.exec(status)[1]);
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return Number(new TextDecoder().decode(output.stdout).trim());
}

Deno.test({
  name: "`downloadVideo()` keeps its memory flat: a 512 MiB video does not stay in memory",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withTempDir(async (dir) => {
      const peakKb = await peakKbOfDownload(dir, 512 * MiB);
      // Deno itself and a 1 MiB write buffer: far under the file's size.
      assert.ok(peakKb * 1024 < 256 * MiB, `peak RSS ${Math.round(peakKb / 1024)} MiB`);
    });
  },
});
