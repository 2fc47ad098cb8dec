/**
 * The user's price list (`--prices FILE`, YAML or JSON; none is built in):
 *
 * ```yaml
 * currency: USD
 * doubao-seedance-2-0: { 480p: 0.05, 720p: 0.08 }   # per second, by resolution
 * doubao-seedance-2-0-fast: 0.04                    # per second, every resolution
 * ```
 *
 * Amounts are exact: every price is held in integer millionths of the
 * currency unit (a `bigint`), read from its decimal text, never summed as a
 * binary float. A parsed YAML or JSON number is a float, but its shortest
 * text (`String(0.1)` is `"0.1"`) is the decimal the file wrote whenever that
 * has at most 15 significant digits, so nothing is lost; a price needing more
 * than 6 decimals is refused. Pure but for {@linkcode loadPrices}.
 *
 * @module
 */
import { z } from "zod";
import type { Catalog } from "./catalog.ts";
import { ManifestError } from "./errors.ts";
import { isRecord } from "./text.ts";
import { parseSettingsText, readSettingsFile } from "./settings_file.ts";

/** Largest price file read, in bytes. */
const MAX_PRICES_BYTES = 1024 * 1024;

/** Millionths in one unit of the currency. */
export const MICROS_PER_UNIT = 1_000_000n;

/** Largest price per second accepted, in units (a guard against a misplaced decimal point). */
const MAX_PRICE_UNITS = 1_000_000n;

/** A model's price per second of output video, in millionths of the currency unit. */
export type ModelPrice =
  | { kind: "flat"; perSecond: bigint }
  | { kind: "by_resolution"; perSecond: ReadonlyMap<string, bigint> };

/** A validated price list. */
export interface PriceList {
  /** The file it came from, as the user named it. */
  file: string;
  /** The currency every amount is in, e.g. `USD`. */
  currency: string;
  /** Price per model name. */
  models: ReadonlyMap<string, ModelPrice>;
}

/** A price list and what was odd about it (unknown models and resolutions). */
export interface LoadedPrices {
  /** The validated price list. */
  prices: PriceList;
  /** Warnings, each naming the file and line: `prices.yaml:4: model "x" is not in the catalog ...`. */
  warnings: string[];
}

const currencySchema = z.string().trim().min(1, "must not be empty").max(
  16,
  "must be at most 16 characters",
).regex(/^[\p{L}\p{N}\p{Sc}_.-]+$/u, "must be one word, e.g. USD");

const amountSchema = z.union([z.number(), z.string()], {
  error: "must be a number (the price per second of video)",
}).transform((value, context) => {
  const parsed = parseAmount(value);
  if (typeof parsed === "string") {
    context.addIssue({ code: "custom", message: parsed });
    return z.NEVER;
  }
  if (parsed > MAX_PRICE_UNITS * MICROS_PER_UNIT) {
    context.addIssue({
      code: "custom",
      message: `must be at most ${MAX_PRICE_UNITS} per second`,
    });
    return z.NEVER;
  }
  return parsed;
});

/**
 * An amount in integer millionths from a number or decimal text.
 *
 * @param value A YAML/JSON number, or text such as `"0.05"` or `"12"`.
 * @returns The millionths, or why the value is not an amount (completing "... must ...").
 */
export function parseAmount(value: number | string): bigint | string {
  if (typeof value === "number" && !Number.isFinite(value)) return "must be a finite number";
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) {
    return `must be a decimal number, got ${JSON.stringify(text)}`;
  }
  const [, sign, whole, fraction = "", exponentText] = match;
  // Digits and the position of the decimal point, then scaled to millionths.
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, "");
  const exponent = Number(exponentText ?? 0) - fraction.length + 6;
  let micros: bigint;
  if (exponent >= 0) {
    if (exponent > 30) return "is too large";
    micros = BigInt(digits + "0".repeat(exponent));
  } else {
    const cut = digits.length + exponent;
    const dropped = cut >= 0 ? digits.slice(cut) : digits;
    if (/[1-9]/.test(dropped)) return "must have at most 6 decimals";
    micros = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  }
  if (sign === "-" && micros > 0n) return "must not be negative";
  return micros;
}

/**
 * Millionths as decimal text: at least 2 decimals, no trailing zeros beyond.
 *
 * @param micros An amount in millionths (0 or more).
 * @returns E.g. `12.345` for 12345000n, `0.30` for 300000n.
 */
export function formatDecimal(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / MICROS_PER_UNIT;
  const fraction = String(magnitude % MICROS_PER_UNIT).padStart(6, "0").replace(/0{1,4}$/, "");
  return `${negative ? "-" : ""}${whole}.${fraction.padEnd(2, "0")}`;
}

/**
 * An amount with its currency, as every estimate prints it.
 *
 * @param micros An amount in millionths.
 * @param currency The currency.
 * @returns E.g. `12.345 USD`.
 */
export function formatMoney(micros: bigint, currency: string): string {
  return `${formatDecimal(micros)} ${currency}`;
}

/**
 * The price per second of a model at a resolution.
 *
 * @param prices The price list.
 * @param model The job's model.
 * @param resolution The job's resolution.
 * @returns Millionths per second, or undefined when the list has no price for it.
 */
export function pricePerSecond(
  prices: PriceList,
  model: string,
  resolution: string,
): bigint | undefined {
  const price = prices.models.get(model);
  if (price === undefined) return undefined;
  return price.kind === "flat" ? price.perSecond : price.perSecond.get(resolution);
}

/**
 * Read a price file.
 *
 * @param path The `--prices` file (YAML or JSON).
 * @param catalog The models the manifest may use (unknown ones are warnings).
 * @returns The price list and its warnings.
 * @throws {ManifestError} When the file is missing, unreadable or not a valid price list.
 */
export async function loadPrices(path: string, catalog: Catalog): Promise<LoadedPrices> {
  const text = await readSettingsFile(path, {
    what: "prices file",
    code: "prices_unreadable",
    maxBytes: MAX_PRICES_BYTES,
  });
  return parsePrices(text, { file: path, catalog });
}

/**
 * Parse and validate a price file's text (pure).
 *
 * @param text The file's YAML or JSON text.
 * @param options The file's name (for messages) and the catalog (for warnings).
 * @returns The price list and its warnings.
 * @throws {ManifestError} Naming the file, line and model of every problem.
 */
export function parsePrices(
  text: string,
  options: { file: string; catalog: Catalog },
): LoadedPrices {
  const { file, catalog } = options;
  const document = parseSettingsText(text, { file, what: "prices file", code: "prices_invalid" });
  if (!isRecord(document)) {
    throw new ManifestError(
      `Cannot use the prices file ${file}: it must be a mapping with currency: and a price per model`,
      { file, code: "prices_invalid" },
    );
  }
  const problems: Array<{ line: number | undefined; text: string }> = [];
  const warnings: string[] = [];
  const where = (key: string): string => {
    const line = lineOfKey(text, key);
    return line === undefined ? file : `${file}:${line}`;
  };
  let currency = "";
  if (!Object.hasOwn(document, "currency")) {
    problems.push({ line: undefined, text: "currency: is missing (e.g. currency: USD)" });
  } else {
    const parsed = currencySchema.safeParse(document.currency);
    if (parsed.success) currency = parsed.data;
    else {
      problems.push({
        line: lineOfKey(text, "currency"),
        text: `currency ${parsed.error.issues[0].message}`,
      });
    }
  }
  const models = new Map<string, ModelPrice>();
  for (const model of Object.keys(document)) {
    if (model === "currency") continue;
    const line = lineOfKey(text, model);
    const value = document[model];
    const fail = (message: string): void => {
      problems.push({ line, text: `model ${JSON.stringify(model)}: ${message}` });
    };
    if (isRecord(value)) {
      const byResolution = new Map<string, bigint>();
      for (const resolution of Object.keys(value)) {
        const parsed = amountSchema.safeParse(value[resolution]);
        if (parsed.success) byResolution.set(resolution, parsed.data);
        else fail(`${resolution} ${parsed.error.issues[0].message}`);
      }
      if (byResolution.size === 0 && Object.keys(value).length === 0) {
        fail("the mapping of resolutions to prices is empty");
      }
      models.set(model, { kind: "by_resolution", perSecond: byResolution });
    } else {
      const parsed = amountSchema.safeParse(value);
      if (parsed.success) models.set(model, { kind: "flat", perSecond: parsed.data });
      else {
        fail(
          `the price ${parsed.error.issues[0].message}; give a number per second, ` +
            "or a mapping of resolutions to numbers",
        );
      }
    }
    const rule = Object.hasOwn(catalog, model) ? catalog[model] : undefined;
    if (rule === undefined) {
      warnings.push(
        `${where(model)}: model ${
          JSON.stringify(model)
        } is not in the catalog; its price applies only if --models adds it`,
      );
    } else if (isRecord(value)) {
      for (const resolution of Object.keys(value)) {
        if (!rule.resolutions.includes(resolution)) {
          warnings.push(
            `${where(model)}: model ${JSON.stringify(model)} has no resolution ${
              JSON.stringify(resolution)
            } (${rule.resolutions.join(", ")}); that price is never used`,
          );
        }
      }
    }
  }
  if (problems.length > 0) {
    const first = problems[0];
    throw new ManifestError(
      `Cannot use the prices file ${file}: ${
        problems.map((problem) =>
          problem.line === undefined ? problem.text : `line ${problem.line}: ${problem.text}`
        ).join("; ")
      }`,
      { file, line: first.line, code: "prices_invalid" },
    );
  }
  return { prices: { file, currency, models }, warnings };
}

/**
 * The 1-based line where a top-level key is written (YAML `key:` or JSON `"key":`),
 * for messages; undefined when it cannot be found.
 */
function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `(^|[{,]\\s*)(?:"${escaped}"|'${escaped}'|${escaped})\\s*:`,
  );
  const lines = text.split(/\r\n|\r|\n/);
  // A key at the start of a line first (YAML's top level), then anywhere (JSON on one line).
  for (const strict of [true, false]) {
    for (let at = 0; at < lines.length; at += 1) {
      const line = strict ? lines[at] : lines[at].trim();
      if (strict ? pattern.test(line) && !/^\s/.test(line) : pattern.test(line)) return at + 1;
    }
  }
  return undefined;
}
