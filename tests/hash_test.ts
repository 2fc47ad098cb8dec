import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256, sha256File, sha256Hex } from "../src/hash.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

/** SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

Deno.test("`sha256Hex()` hashes text as UTF-8 and bytes as they are", () => {
  assert.equal(sha256Hex("abc"), ABC);
  assert.equal(sha256Hex(new TextEncoder().encode("abc")), ABC);
  assert.equal(sha256Hex("é"), sha256Hex(new Uint8Array([0xc3, 0xa9])));
});

Deno.test("`sha256()` fed piece by piece gives the hash of the whole", () => {
  const bytes = new TextEncoder().encode("abc");
  assert.equal(sha256().update(bytes.subarray(0, 1)).update(bytes.subarray(1)).hex(), ABC);
  assert.equal(sha256().hex(), sha256Hex(""));
});

Deno.test("`sha256File()` hashes a file larger than its read size like the bytes in memory", async () => {
  await withTempDir(async (dir) => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
    const path = join(dir, "clip.mp4");
    await Deno.writeFile(path, bytes);
    assert.equal(await sha256File(path, 4096), sha256Hex(bytes));
    await assert.rejects(sha256File(join(dir, "missing.mp4")), Deno.errors.NotFound);
  });
});
