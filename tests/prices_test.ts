import assert from "node:assert/strict";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { ManifestError } from "../src/errors.ts";
import {
  formatDecimal,
  formatMoney,
  parseAmount,
  parsePrices,
  pricePerSecond,
} from "../src/prices.ts";

function parse(text: string, file = "prices.yaml"): ReturnType<typeof parsePrices> {
  return parsePrices(text, { file, catalog: DEFAULT_CATALOG });
}

function refused(text: string, message: RegExp, line?: number): void {
  assert.throws(() => parse(text), (error: unknown) => {
    assert.ok(error instanceof ManifestError, String(error));
    assert.equal(error.code, "prices_invalid");
    assert.match(error.message, message);
    if (line !== undefined) assert.equal(error.line, line);
    return true;
  });
}

Deno.test("parseAmount() reads decimals exactly into millionths, whatever the float", async (t) => {
  const cases: [number | string, bigint | RegExp][] = [
    [0.1, 100_000n],
    [0.2, 200_000n],
    [0.3, 300_000n],
    ["0.05", 50_000n],
    [12, 12_000_000n],
    [0, 0n],
    ["1.5e2", 150_000_000n],
    [0.123456, 123_456n],
    ["0.1000000", 100_000n],
    [123456789.123456, 123_456_789_123_456n],
    [0.0000001, /at most 6 decimals/],
    ["0.1234567", /at most 6 decimals/],
    [-0.05, /must not be negative/],
    ["five", /must be a decimal number/],
    [Infinity, /finite/],
    [NaN, /finite/],
  ];
  for (const [value, expected] of cases) {
    await t.step(String(value), () => {
      const got = parseAmount(value);
      if (typeof expected === "bigint") assert.equal(got, expected);
      else assert.match(String(got), expected);
    });
  }
  // 0.1 + 0.2 is 0.30000000000000004 as floats; as millionths it is exactly 0.3.
  assert.equal(
    (parseAmount(0.1) as bigint) + (parseAmount(0.2) as bigint),
    parseAmount(0.3),
  );
});

Deno.test("formatDecimal() and formatMoney() print exact amounts with at least 2 decimals", () => {
  assert.equal(formatDecimal(300_000n), "0.30");
  assert.equal(formatDecimal(12_345_000n), "12.345");
  assert.equal(formatDecimal(1n), "0.000001");
  assert.equal(formatDecimal(0n), "0.00");
  assert.equal(formatMoney(48_000_000n, "USD"), "48.00 USD");
});

Deno.test("parsePrices() reads flat and per-resolution prices from YAML and JSON", () => {
  for (
    const [file, text] of [
      [
        "prices.yaml",
        "currency: USD\ndoubao-seedance-2-0: { 480p: 0.05, 720p: 0.08 }\ndoubao-seedance-2-0-fast: 0.04\n",
      ],
      [
        "prices.json",
        '{"currency": "USD", "doubao-seedance-2-0": {"480p": 0.05, "720p": "0.08"},\n "doubao-seedance-2-0-fast": 0.04}',
      ],
    ]
  ) {
    const { prices, warnings } = parse(text, file);
    assert.equal(prices.currency, "USD");
    assert.deepEqual(warnings, []);
    assert.equal(pricePerSecond(prices, "doubao-seedance-2-0", "480p"), 50_000n);
    assert.equal(pricePerSecond(prices, "doubao-seedance-2-0", "720p"), 80_000n);
    assert.equal(pricePerSecond(prices, "doubao-seedance-2-0-fast", "720p"), 40_000n);
    assert.equal(pricePerSecond(prices, "doubao-seedance-2-0", "1080p"), undefined);
    assert.equal(pricePerSecond(prices, "doubao-seedance-1-0-pro", "720p"), undefined);
  }
});

Deno.test("parsePrices() names the file, line and model of every problem", () => {
  refused(
    "currency: USD\ndoubao-seedance-2-0: -0.05\n",
    /prices\.yaml: line 2: model "doubao-seedance-2-0": the price must not be negative/,
    2,
  );
  refused(
    "currency: USD\na: 1\ndoubao-seedance-2-0: { 480p: 0.0000001 }\n",
    /line 3: model "doubao-seedance-2-0": 480p must have at most 6 decimals/,
    3,
  );
  refused(
    "currency: USD\ndoubao-seedance-2-0: [1, 2]\n",
    /line 2: model "doubao-seedance-2-0": the price must be a number/,
  );
  refused("currency: USD\ndoubao-seedance-2-0: true\n", /must be a number/);
  refused("doubao-seedance-2-0: 1\n", /currency: is missing/);
  refused("currency: ''\n", /line 1: currency must not be empty/);
  refused("currency: [USD]\n", /currency/);
  refused("- a\n- b\n", /it must be a mapping with currency:/);
  refused("currency: USD\nx: {\n", /Cannot parse the prices file prices\.yaml at line/);
});

Deno.test("parsePrices() warns about models and resolutions the catalog does not know", () => {
  const { prices, warnings } = parse(
    "currency: EUR\ndoubao-seedance-9: 1\ndoubao-seedance-2-0: {1080p: 0.5}\n__proto__: 2\n",
  );
  assert.deepEqual(warnings, [
    'prices.yaml:2: model "doubao-seedance-9" is not in the catalog; its price applies only if --models adds it',
    'prices.yaml:3: model "doubao-seedance-2-0" has no resolution "1080p" (480p, 720p); that price is never used',
    'prices.yaml:4: model "__proto__" is not in the catalog; its price applies only if --models adds it',
  ]);
  assert.equal(pricePerSecond(prices, "doubao-seedance-9", "720p"), 1_000_000n);
  assert.equal(pricePerSecond(prices, "toString", "720p"), undefined);
});

Deno.test("manifests/prices.example.yaml is a valid price list whose first comment says to fill in your own prices", async () => {
  const path = new URL("../manifests/prices.example.yaml", import.meta.url).pathname;
  const text = await Deno.readTextFile(path);
  assert.match(text.split("\n")[0], /^# FILL IN YOUR OWN ACCOUNT'S PRICES/);
  assert.match(text, /PLACEHOLDER/);
  const { prices, warnings } = parse(text, path);
  assert.deepEqual(warnings, []);
  assert.equal(prices.currency, "XXX");
  for (const model of Object.keys(DEFAULT_CATALOG)) {
    for (const resolution of DEFAULT_CATALOG[model].resolutions) {
      assert.notEqual(
        pricePerSecond(prices, model, resolution),
        undefined,
        `${model} ${resolution}`,
      );
    }
  }
});
