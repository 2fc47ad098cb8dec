/**
 * Issue 8 item 14: reference images are measured before they are read, a
 * file over the hard cap is refused unread (exit 2, naming file, line and
 * field), and an accepted one is hashed while streaming, its first MiB alone
 * kept to identify it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_IMAGE_BYTES, readImage } from "../src/image.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { makePng } from "./helpers/images.ts";

const MOD = fileURLToPath(new URL("../mod.ts", import.meta.url));
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A PNG header followed by a hole: `size` bytes that take no disk. */
async function sparsePng(path: string, size: number): Promise<void> {
  await Deno.writeFile(path, await makePng(400, 400));
  await Deno.truncate(path, size);
}

function manifestWith(image: string): string {
  return `- id: clip\n  prompt: hi\n  model: doubao-seedance-2-0\n  image: ${image}\n`;
}

Deno.test("validate refuses a 3 GiB reference image unread, naming file, line and field", async () => {
  await withTempDir(async (dir) => {
    await sparsePng(join(dir, "huge.png"), 3 * GiB);
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, "# a huge image\n" + manifestWith("huge.png"));
    const result = await runCli(["validate", manifest, "--json"]);
    assert.equal(result.code, 2);
    const report = JSON.parse(result.stdout.join("\n"));
    assert.deepEqual(report.errors, [{
      job: "clip",
      line: 2,
      field: "image",
      message:
        "image huge.png cannot be used: it is 3 GiB, over the 64 MiB limit for a reference image",
    }]);
    const text = await runCli(["validate", manifest]);
    assert.equal(text.code, 2);
    assert.match(text.stdout[0], /batch\.yaml:2: job "clip" field "image": image huge\.png cannot/);
    const run = await runCli(["run", manifest, "--simulate", "--quiet"]);
    assert.equal(run.code, 2, "nothing is sent");
  });
});

Deno.test("validate of a 3 GiB image fits in a 200 MB heap", async () => {
  await withTempDir(async (dir) => {
    await sparsePng(join(dir, "huge.png"), 3 * GiB);
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, manifestWith("huge.png"));
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--max-old-space-size=200",
        MOD,
        "validate",
        manifest,
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr);
    assert.equal(child.code, 2, stderr);
    const report = JSON.parse(new TextDecoder().decode(child.stdout));
    assert.equal(report.errors[0].field, "image");
    assert.match(report.errors[0].message, /over the 64 MiB limit/);
  });
});

Deno.test("an image between the upstream 30 MB and the cap is a warning, not an error", async () => {
  await withTempDir(async (dir) => {
    await sparsePng(join(dir, "big.png"), 40 * MiB);
    const manifest = join(dir, "batch.yaml");
    await Deno.writeTextFile(manifest, manifestWith("big.png"));
    const result = await runCli(["validate", manifest, "--json"]);
    assert.equal(result.code, 0);
    const report = JSON.parse(result.stdout.join("\n"));
    assert.deepEqual(report.warnings.map((w: { field: string }) => w.field), ["image"]);
    assert.match(
      report.warnings[0].message,
      /40 MiB; the upstream provider accepts at most 30 MiB/,
    );
  });
});

Deno.test("readImage() streams the hash of a file larger than what it keeps", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "long.png");
    const png = await makePng(320, 300);
    const bytes = new Uint8Array(5 * MiB + 7);
    bytes.set(png);
    for (let at = png.length; at < bytes.length; at++) bytes[at] = at % 251;
    await Deno.writeFile(path, bytes);
    const probe = await readImage(path);
    assert.ok(probe.ok);
    assert.equal(probe.bytes, bytes.length);
    assert.equal(probe.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.deepEqual([probe.width, probe.height], [320, 300]);
  });
});

Deno.test("readImage() accepts a file of exactly the cap and refuses one byte more", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "edge.png");
    await sparsePng(path, 2 * MiB);
    const at = await readImage(path, { maxBytes: 2 * MiB });
    assert.ok(at.ok);
    const over = await readImage(path, { maxBytes: 2 * MiB - 1 });
    assert.equal(!over.ok && over.reason, "too_large");
    assert.match(
      !over.ok && over.detail || "",
      /^it is 2 MiB, over the .* limit for a reference image$/,
    );
    assert.equal(MAX_IMAGE_BYTES, 64 * MiB);
  });
});
