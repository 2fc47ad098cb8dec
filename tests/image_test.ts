import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { imageLimitWarnings, inspectImage, readImage } from "../src/image.ts";

const IMAGES = fileURLToPath(new URL("./fixtures/manifests/images/", import.meta.url));

function fixture(name: string): Uint8Array {
  return Deno.readFileSync(IMAGES + name);
}

Deno.test("inspectImage() recognises JPEG, PNG and WebP by their bytes and reads their size", async (t) => {
  const cases: [string, string, number, number][] = [
    ["ok.jpg", "image/jpeg", 400, 300],
    ["ok.png", "image/png", 300, 300],
    ["lossy.webp", "image/webp", 320, 480],
    ["lossless.webp", "image/webp", 640, 360],
    ["alpha.webp", "image/webp", 500, 400],
  ];
  for (const [name, contentType, width, height] of cases) {
    await t.step(name, () => {
      const result = inspectImage(fixture(name));
      assert.deepEqual(result.accepted && [result.contentType, result.width, result.height], [
        contentType,
        width,
        height,
      ]);
    });
  }
});

Deno.test("inspectImage() names formats the service does not accept", async (t) => {
  const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
  const cases: [string, Uint8Array, string | undefined][] = [
    ["gif", fixture("cat.gif"), "GIF"],
    ["bmp", enc("BM\u0000\u0000\u0000\u0000"), "BMP"],
    ["tiff", enc("II*\u0000rest"), "TIFF"],
    ["pdf", enc("%PDF-1.7"), "PDF"],
    ["heic", new Uint8Array([0, 0, 0, 24, ...enc("ftypheic")]), "HEIC"],
    ["avif", new Uint8Array([0, 0, 0, 24, ...enc("ftypavif")]), "AVIF"],
    ["svg", enc('<?xml version="1.0"?><svg xmlns="x"/>'), "SVG"],
    ["text", fixture("fake.png"), undefined],
    ["empty", new Uint8Array(), undefined],
  ];
  for (const [name, bytes, format] of cases) {
    await t.step(name, () => assert.deepEqual(inspectImage(bytes), { accepted: false, format }));
  }
});

Deno.test("inspectImage() accepts a JPEG whose header is cut short, without a size", () => {
  const cut = fixture("ok.jpg").subarray(0, 30);
  const result = inspectImage(cut);
  assert.equal(result.accepted, true);
  assert.equal(result.accepted && result.width, undefined);
});

/** A minimal PNG header (signature + IHDR) of the given size. */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

Deno.test("imageLimitWarnings() warns below, not at, the upstream limits", async (t) => {
  const MB = 1024 * 1024;
  const cases: [string, { bytes: number; width: number; height: number }, string[]][] = [
    ["30 MB exactly", { bytes: 30 * MB, width: 1000, height: 1000 }, []],
    ["30 MB + 1 byte", { bytes: 30 * MB + 1, width: 1000, height: 1000 }, ["image_size"]],
    ["side 299", { bytes: 1, width: 299, height: 300 }, ["image_dimensions"]],
    ["side 300", { bytes: 1, width: 300, height: 300 }, []],
    ["side 301", { bytes: 1, width: 301, height: 301 }, []],
    ["side 5999", { bytes: 1, width: 5999, height: 5000 }, []],
    ["side 6000", { bytes: 1, width: 6000, height: 6000 }, []],
    ["side 6001", { bytes: 1, width: 6001, height: 6000 }, ["image_dimensions"]],
    ["aspect 0.4", { bytes: 1, width: 400, height: 1000 }, []],
    ["aspect 0.399", { bytes: 1, width: 399, height: 1000 }, ["image_aspect"]],
    ["aspect 2.5", { bytes: 1, width: 2500, height: 1000 }, []],
    ["aspect 2.501", { bytes: 1, width: 2501, height: 1000 }, ["image_aspect"]],
    ["all three", { bytes: 31 * MB, width: 100, height: 6100 }, [
      "image_size",
      "image_dimensions",
      "image_aspect",
    ]],
  ];
  for (const [name, facts, codes] of cases) {
    await t.step(name, () => {
      // Go through the header parser too, so the sizes are read as a user's file would be.
      const inspected = inspectImage(pngHeader(facts.width, facts.height));
      assert.ok(inspected.accepted);
      const warnings = imageLimitWarnings({
        ...facts,
        width: inspected.width,
        height: inspected.height,
      });
      assert.deepEqual(warnings.map((warning) => warning.code), codes);
    });
  }
});

Deno.test("imageLimitWarnings() warns when the size cannot be read from the header", () => {
  assert.deepEqual(imageLimitWarnings({ bytes: 10 }).map((w) => w.code), ["image_header"]);
});

Deno.test("readImage() reads, hashes and measures an accepted image", async () => {
  const probe = await readImage(IMAGES + "ok.png");
  assert.ok(probe.ok);
  assert.equal(probe.contentType, "image/png");
  assert.equal(probe.bytes, fixture("ok.png").length);
  assert.match(probe.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual([probe.width, probe.height], [300, 300]);
});

Deno.test("readImage() says why a file cannot be used", async (t) => {
  const cases: [string, string, string | undefined][] = [
    ["missing.png", "missing", undefined],
    ["", "not_file", undefined],
    ["empty.png", "empty", undefined],
    ["cat.gif", "format", "GIF"],
    ["fake.png", "format", undefined],
  ];
  for (const [name, reason, detail] of cases) {
    await t.step(name || "a folder", async () => {
      const probe = await readImage(IMAGES + name);
      assert.equal(probe.ok, false);
      assert.deepEqual(!probe.ok && [probe.reason, probe.detail], [reason, detail]);
    });
  }
});
