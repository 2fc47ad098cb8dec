/**
 * Command-line parsing: argv to a typed command. Pure; throws UsageError.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { messageOf, UsageError } from "../errors.ts";
import { DEFAULT_MAX_VIDEO_BYTES } from "../runner/download.ts";

/** How long a `--once` pass may work when `--pass-time` is not given, in seconds. */
export const ONCE_PASS_SECONDS = 300;
import { parseAmount } from "../prices.ts";

/** Options every manifest command shares. */
interface ManifestCommand {
  manifest: string;
  /** `--models FILE`: catalog overrides. */
  models?: string;
}

/** `validate <manifest> [--json] [--models FILE]` */
export interface ValidateCommand extends ManifestCommand {
  name: "validate";
  json: boolean;
}

/** `plan <manifest> [--json] [--out DIR] [--prices FILE]` */
export interface PlanCommand extends ManifestCommand {
  name: "plan";
  json: boolean;
  out?: string;
  /** `--prices FILE`: the user's price list, for the spend estimate. */
  prices?: string;
}

/** `run <manifest> ...` */
export interface RunCommand extends ManifestCommand {
  name: "run";
  out?: string;
  concurrency: number;
  pollIntervalSeconds: number;
  maxWaitSeconds?: number;
  /**
   * `--pass-time`: how long the run may work before it ends its pass with
   * the work kept; with `--once` it defaults to {@linkcode ONCE_PASS_SECONDS}.
   */
  passTimeSeconds?: number;
  /** `--max-video-size`: the largest video accepted, in bytes. */
  maxVideoBytes: number;
  baseUrl?: string;
  simulate: boolean;
  once: boolean;
  retryFailed: boolean;
  resubmitUncertain: boolean;
  skipInvalid: boolean;
  logFormat: "text" | "json";
  quiet: boolean;
  verbose: boolean;
  /** `--prices FILE`: the user's price list, for the estimate in the reports. */
  prices?: string;
  /** `--max-spend AMOUNT` in millionths of the price list's currency (needs `prices`). */
  maxSpend?: bigint;
}

/** `status <manifest> [--out DIR] [--json]` */
export interface StatusCommand extends ManifestCommand {
  name: "status";
  out?: string;
  json: boolean;
}

/** `report <manifest> [--out DIR] [--prices FILE]` */
export interface ReportCommand extends ManifestCommand {
  name: "report";
  out?: string;
  /** `--prices FILE`: the user's price list, for the estimate in the reports. */
  prices?: string;
}

/** `simulate [--port N] [--host H] [--key K]` */
export interface SimulateCommand {
  name: "simulate";
  port: number;
  host: string;
  key?: string;
}

/** `help` or `--help` */
export interface HelpCommand {
  name: "help";
}

/** `--version` */
export interface VersionCommand {
  name: "version";
}

/** Every command the CLI understands. */
export type Command =
  | ValidateCommand
  | PlanCommand
  | RunCommand
  | StatusCommand
  | ReportCommand
  | SimulateCommand
  | HelpCommand
  | VersionCommand;

/** The usage text printed by `--help`. */
export const USAGE =
  `seedance-batch: render a manifest of prompts and images with Seedance (CometAPI)

Usage:
  seedance-batch validate <manifest> [--json] [--models FILE]
  seedance-batch plan     <manifest> [--json] [--out DIR] [--models FILE] [--prices FILE]
  seedance-batch run      <manifest> [--out DIR] [--concurrency N] [--poll-interval SECONDS]
                          [--max-wait SECONDS] [--base-url URL] [--simulate] [--once]
                          [--pass-time SECONDS] [--max-video-size SIZE]
                          [--retry-failed] [--resubmit-uncertain] [--skip-invalid]
                          [--log-format text|json] [--quiet] [--models FILE]
                          [--prices FILE] [--max-spend AMOUNT]
  seedance-batch status   <manifest> [--out DIR] [--json]
  seedance-batch report   <manifest> [--out DIR] [--prices FILE]
  seedance-batch simulate [--port N] [--host H] [--key K]

Bounds of a run:
  --max-wait SECONDS      how long the run waits for one task (and one download);
                          no single wait is longer
  --pass-time SECONDS     how long the run works in all before it ends its pass, the work
                          kept (exit 3); default 300 with --once, no bound without
  --max-video-size SIZE   the largest video accepted, e.g. 500MB or 2GiB (default 2GiB)

Environment:
  COMETAPI_KEY       the API key (not needed with --simulate)
  COMETAPI_BASE_URL  the service's base URL (default https://api.cometapi.com)

Exit codes:
  0 every job done       1 some job failed or is uncertain   2 usage or invalid manifest
  3 work still pending   4 key rejected   75 output folder locked   130 interrupted`;

const MANIFEST_COMMANDS = ["validate", "plan", "run", "status", "report"] as const;

/** Which flags each command accepts (the rest are usage errors). */
const FLAGS: Record<string, readonly string[]> = {
  validate: ["json", "models"],
  plan: ["json", "out", "models", "prices"],
  run: [
    "out",
    "concurrency",
    "poll-interval",
    "max-wait",
    "pass-time",
    "max-video-size",
    "base-url",
    "simulate",
    "once",
    "retry-failed",
    "resubmit-uncertain",
    "skip-invalid",
    "log-format",
    "quiet",
    "verbose",
    "models",
    "prices",
    "max-spend",
  ],
  status: ["json", "out", "models"],
  report: ["out", "models", "prices"],
  simulate: ["port", "host", "key"],
};

const OPTIONS = {
  json: { type: "boolean" },
  models: { type: "string" },
  prices: { type: "string" },
  "max-spend": { type: "string" },
  out: { type: "string" },
  concurrency: { type: "string" },
  "poll-interval": { type: "string" },
  "max-wait": { type: "string" },
  "pass-time": { type: "string" },
  "max-video-size": { type: "string" },
  "base-url": { type: "string" },
  simulate: { type: "boolean" },
  once: { type: "boolean" },
  "retry-failed": { type: "boolean" },
  "resubmit-uncertain": { type: "boolean" },
  "skip-invalid": { type: "boolean" },
  "log-format": { type: "string" },
  quiet: { type: "boolean" },
  verbose: { type: "boolean" },
  port: { type: "string" },
  host: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/**
 * Parse the command line.
 *
 * @param argv The arguments after the program name.
 * @returns The typed command.
 * @throws {UsageError} On any mistake, with a message naming the flag or value.
 */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`Cannot parse the command line: ${messageOf(error)}`, { cause: error });
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.version) return { name: "version" };
  if (values.help || name === "help") return { name: "help" };
  if (name === undefined) {
    throw new UsageError(
      "A command is needed: validate, plan, run, status, report or simulate (--help shows usage)",
    );
  }
  const allowed = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
  if (!allowed) {
    throw new UsageError(
      `Unknown command "${name}"; expected one of validate, plan, run, status, report, simulate`,
    );
  }
  for (const flag of Object.keys(values)) {
    if (values[flag as keyof typeof values] !== undefined && !allowed.includes(flag)) {
      throw new UsageError(`Cannot use --${flag} with "${name}"`);
    }
  }
  if (name === "simulate") {
    if (rest.length > 0) throw new UsageError(`"simulate" takes no arguments, got "${rest[0]}"`);
    const port = values.port === undefined ? 0 : integerFlag("port", values.port, 0, 65535);
    return { name: "simulate", port, host: values.host ?? "127.0.0.1", key: values.key };
  }
  if (rest.length === 0) throw new UsageError(`"${name}" needs a manifest file`);
  if (rest.length > 1) {
    throw new UsageError(`"${name}" takes one manifest, got ${rest.length}: ${rest.join(" ")}`);
  }
  const common = { manifest: rest[0], models: values.models };
  switch (name as typeof MANIFEST_COMMANDS[number]) {
    case "validate":
      return { name: "validate", ...common, json: values.json ?? false };
    case "plan":
      return {
        name: "plan",
        ...common,
        json: values.json ?? false,
        out: values.out,
        ...(values.prices === undefined ? {} : { prices: values.prices }),
      };
    case "status":
      return { name: "status", ...common, json: values.json ?? false, out: values.out };
    case "report":
      return {
        name: "report",
        ...common,
        out: values.out,
        ...(values.prices === undefined ? {} : { prices: values.prices }),
      };
    case "run": {
      const logFormat = values["log-format"] ?? "text";
      if (logFormat !== "text" && logFormat !== "json") {
        throw new UsageError(`--log-format must be text or json, got "${logFormat}"`);
      }
      const maxSpend = values["max-spend"] === undefined
        ? undefined
        : amountFlag("max-spend", values["max-spend"]);
      if (maxSpend !== undefined && values.prices === undefined) {
        throw new UsageError(
          "--max-spend needs --prices FILE: the limit is checked against your own price list",
        );
      }
      return {
        name: "run",
        ...common,
        out: values.out,
        concurrency: values.concurrency === undefined
          ? 5
          : integerFlag("concurrency", values.concurrency, 1, 10_000),
        pollIntervalSeconds: values["poll-interval"] === undefined
          ? 10
          : positiveFlag("poll-interval", values["poll-interval"]),
        maxWaitSeconds: values["max-wait"] === undefined
          ? undefined
          : positiveFlag("max-wait", values["max-wait"]),
        passTimeSeconds: values["pass-time"] !== undefined
          ? positiveFlag("pass-time", values["pass-time"])
          : values.once
          ? ONCE_PASS_SECONDS
          : undefined,
        maxVideoBytes: values["max-video-size"] === undefined
          ? DEFAULT_MAX_VIDEO_BYTES
          : sizeFlag("max-video-size", values["max-video-size"]),
        baseUrl: values["base-url"] === undefined ? undefined : urlFlag(values["base-url"]),
        simulate: values.simulate ?? false,
        once: values.once ?? false,
        retryFailed: values["retry-failed"] ?? false,
        resubmitUncertain: values["resubmit-uncertain"] ?? false,
        skipInvalid: values["skip-invalid"] ?? false,
        logFormat,
        quiet: values.quiet ?? false,
        verbose: values.verbose ?? false,
        // Present only when given, so a command without them reads as before.
        ...(values.prices === undefined ? {} : { prices: values.prices }),
        ...(maxSpend === undefined ? {} : { maxSpend }),
      };
    }
  }
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function amountFlag(flag: string, text: string): bigint {
  const amount = parseAmount(text);
  if (typeof amount === "string" || text.trim() === "") {
    throw new UsageError(
      `--${flag} must be an amount of the price list's currency (0 or more, at most 6 decimals), got "${text}"`,
    );
  }
  return amount;
}

function positiveFlag(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${flag} must be a positive number of seconds, got "${text}"`);
  }
  return value;
}

/** Byte multiples a size may name; a bare number is bytes. */
const SIZE_UNITS: ReadonlyMap<string, number> = new Map([
  ["", 1],
  ["b", 1],
  ["kb", 1e3],
  ["mb", 1e6],
  ["gb", 1e9],
  ["tb", 1e12],
  ["kib", 1024],
  ["mib", 1024 ** 2],
  ["gib", 1024 ** 3],
  ["tib", 1024 ** 4],
]);

/** The smallest `--max-video-size`: below it no real video fits. */
const MIN_VIDEO_SIZE = 1024;

/**
 * Read a size such as `500MB`, `2GiB`, `1.5 GB` or `1048576` (bytes).
 *
 * @param flag The flag's name, for the message.
 * @param text The value as given.
 * @returns Whole bytes.
 * @throws {UsageError} When it is not a size, or under 1 KiB.
 */
export function sizeFlag(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS.get(match[2].toLowerCase()) : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_VIDEO_SIZE) {
    throw new UsageError(
      `--${flag} must be a size of at least 1KiB such as 500MB or 2GiB ` +
        `(units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got "${text}"`,
    );
  }
  return bytes;
}

function urlFlag(text: string): string {
  return checkBaseUrl(text, "--base-url");
}

/**
 * Check a service base URL (from `--base-url` or `COMETAPI_BASE_URL`).
 *
 * @param text The URL as given.
 * @param source Where it came from, for the message.
 * @returns The URL without trailing slashes.
 * @throws {UsageError} When it is not an http(s) URL.
 */
export function checkBaseUrl(text: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(`${source} must be an http(s) URL, got "${text}"`);
  }
  return text.replace(/\/+$/, "");
}
