/**
 * Command-line parsing: argv to a typed command. Pure; throws UsageError.
 *
 * Which flags exist, their types and the commands that take them come from
 * the table in `flags.ts` (which help is built from too). `node:util`'s
 * `parseArgs` only cuts the line into tokens (non-strict); every mistake is
 * worded here, naming the command: an unknown option with the nearest one
 * ("did you mean"), an option of another command, a missing value, a value
 * given to a switch, and an option given twice with different values (refused:
 * neither silently wins; the same value twice is accepted).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { DEFAULT_MAX_VIDEO_BYTES } from "../runner/download.ts";
import { parseAmount } from "../prices.ts";
import type { RenderTime, SimulatorFaults, SimulatorOptions } from "../simulator/options.ts";
import { nearest } from "../manifest/suggest.ts";
import { parseShard, type Shard } from "../shard.ts";
import {
  COMMAND_NAMES,
  type CommandName,
  DEFAULT_CONCURRENCY,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_SIMULATOR_HOST,
  DEFAULT_SLOW_DELAY_SECONDS,
  flagNamed,
  FLAGS,
  flagsOf,
  ONCE_PASS_SECONDS,
} from "./flags.ts";

export { ONCE_PASS_SECONDS };

/** Options every manifest command shares. */
interface ManifestCommand {
  manifest: string;
  /** `--models FILE`: catalog overrides. */
  models?: string;
  /** `--shard K/N`: only that shard's jobs (validate, plan, run, status). */
  shard?: Shard;
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
  /** `--polling`: how polls are timed. */
  polling: "fixed" | "adaptive";
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
  /** `--rerender-changed`: render the new version of jobs edited since they were submitted. */
  rerenderChanged: boolean;
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

/** `report <manifest> [--out DIR] [--merge DIR]... [--prices FILE]` */
export interface ReportCommand extends ManifestCommand {
  name: "report";
  out?: string;
  /** `--merge DIR`, each given: output folders merged into one report. */
  merge?: string[];
  /** `--prices FILE`: the user's price list, for the estimate in the reports. */
  prices?: string;
}

/** `simulate [--port N] [--host H] [--key K] [--render-time ...] ...` */
export interface SimulateCommand {
  name: "simulate";
  port: number;
  host: string;
  key?: string;
  /** The simulator's options from the flags; only those given (the rest keep their defaults). */
  simulator?: Omit<SimulatorOptions, "clock" | "key">;
}

/** `help [command]`, `--help` or `<command> --help` */
export interface HelpCommand {
  name: "help";
  /** The command whose page is asked for; undefined for the overview. */
  topic?: CommandName;
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

/** Where the options of `command` are listed, for messages. */
function helpHint(command: CommandName | undefined): string {
  return command === undefined
    ? "(seedance-batch --help lists the commands)"
    : `(seedance-batch ${command} --help lists the options)`;
}

/** The options `parseArgs` knows: every flag of the table, `--help` and `--version`. */
const PARSE_OPTIONS: Record<string, { type: "boolean" | "string"; short?: string }> = {
  ...Object.fromEntries(FLAGS.map((flag) => [flag.name, { type: flag.type }])),
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

/** The flags as given: string values, `true` for booleans, a list for a repeatable flag. */
type FlagValues = Map<string, string | true | string[]>;

/** The command line cut into tokens: positionals, flags, and the first mistake found. */
interface Scanned {
  positionals: string[];
  values: FlagValues;
  help: boolean;
  version: boolean;
  /** Option mistakes in the order met; reported once the command is known. */
  mistakes: Array<(command: CommandName | undefined) => string>;
}

function scan(argv: readonly string[]): Scanned {
  const { tokens } = parseArgs({
    args: [...argv],
    options: PARSE_OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const scanned: Scanned = {
    positionals: [],
    values: new Map(),
    help: false,
    version: false,
    mistakes: [],
  };
  for (const token of tokens) {
    if (token.kind === "positional") scanned.positionals.push(token.value);
    if (token.kind !== "option") continue;
    const raw = token.rawName;
    if (token.name === "help" || token.name === "version") {
      if (token.value !== undefined) {
        scanned.mistakes.push(() => `${raw} takes no value, got "${token.value}"`);
      }
      scanned[token.name] = true;
      continue;
    }
    const flag = raw.startsWith("--") ? flagNamed(token.name) : undefined;
    if (flag === undefined) {
      scanned.mistakes.push((command) => unknownOptionMessage(raw, command));
      continue;
    }
    let value: string | true;
    if (flag.type === "boolean") {
      if (token.value !== undefined) {
        scanned.mistakes.push(() =>
          `${raw} takes no value, got "${token.value}" (give ${raw} alone to turn it on)`
        );
        continue;
      }
      value = true;
    } else {
      const given = token.value;
      // Without `=`, a following option is not a value: `--out --json` lacks the folder.
      if (given === undefined || (!token.inlineValue && /^-[^\d.]/.test(given))) {
        const option = given !== undefined && isOptionName(given);
        scanned.mistakes.push(() =>
          `${raw} needs a value (${raw} ${flag.arg ?? "VALUE"})` +
          (given === undefined
            ? ""
            : option
            ? `, got the option ${given}`
            : `; a value that begins with "-" is written ${raw}=VALUE`)
        );
        continue;
      }
      value = given;
    }
    if (flag.repeatable) {
      const list = scanned.values.get(flag.name);
      scanned.values.set(flag.name, [...(Array.isArray(list) ? list : []), value as string]);
      continue;
    }
    const earlier = scanned.values.get(flag.name);
    if (earlier !== undefined && earlier !== value) {
      const values = flag.secret ? "" : ` ("${earlier}" and "${value}")`;
      scanned.mistakes.push(() =>
        `${raw} is given twice with different values${values}; give it once`
      );
      continue;
    }
    scanned.values.set(flag.name, value);
  }
  return scanned;
}

/** Whether `text` names an option this CLI knows (`--json`, `-h`), as opposed to a value. */
function isOptionName(text: string): boolean {
  const name = text.replace(/^--?/, "").replace(/=.*$/s, "");
  return flagNamed(name) !== undefined || ["help", "h", "version"].includes(name);
}

/** `Unknown option --concurency for run; did you mean --concurrency? (...)`. */
function unknownOptionMessage(raw: string, command: CommandName | undefined): string {
  const name = raw.replace(/^-+/, "");
  const candidates = command === undefined
    ? FLAGS.map((flag) => flag.name)
    : flagsOf(command).map((flag) => flag.name);
  const close = name.length > 1 ? nearest(name, candidates) : undefined;
  const elsewhere = close === undefined && command !== undefined
    ? nearest(name, FLAGS.map((flag) => flag.name))
    : undefined;
  const hint = close !== undefined
    ? `; did you mean --${close}?`
    : elsewhere !== undefined
    ? `; --${elsewhere} is an option of ${commandsOf(elsewhere)}`
    : "";
  return `Unknown option ${raw}${command === undefined ? "" : ` for ${command}`}${hint} ${
    helpHint(command)
  }`;
}

/** `run`, or `plan, run and report`. */
function commandsOf(flagName: string): string {
  const commands = flagNamed(flagName)?.commands ?? [];
  return commands.length === 1
    ? commands[0]
    : `${commands.slice(0, -1).join(", ")} and ${commands[commands.length - 1]}`;
}

function isCommand(name: string | undefined): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name ?? "");
}

function unknownCommand(name: string): UsageError {
  const close = nearest(name, COMMAND_NAMES);
  return new UsageError(
    `Unknown command "${name}"${close === undefined ? "" : `; did you mean ${close}?`} ` +
      `Expected one of ${COMMAND_NAMES.join(", ")} (seedance-batch --help lists them)`,
  );
}

/**
 * Parse the command line.
 *
 * @param argv The arguments after the program name.
 * @returns The typed command.
 * @throws {UsageError} On any mistake, with a message naming the flag or value.
 */
export function parseCommand(argv: readonly string[]): Command {
  const scanned = scan(argv);
  const [name, ...rest] = scanned.positionals;
  if (scanned.version && name === undefined && !scanned.help) return { name: "version" };
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) return { name: "help" };
    if (!isCommand(topic)) throw unknownCommand(topic);
    return { name: "help", topic };
  }
  if (name !== undefined && !isCommand(name)) throw unknownCommand(name);
  if (scanned.help) return { name: "help", topic: name };
  if (scanned.version) return { name: "version" };
  if (scanned.mistakes.length > 0) throw new UsageError(scanned.mistakes[0](name));
  if (name === undefined) {
    throw new UsageError(
      "A command is needed: validate, plan, run, status, report or simulate " +
        "(seedance-batch --help lists them)",
    );
  }
  const values = scanned.values;
  for (const flag of values.keys()) {
    const spec = flagNamed(flag);
    if (spec !== undefined && !spec.commands.includes(name)) {
      throw new UsageError(
        `--${flag} is an option of ${commandsOf(flag)}, not of ${name} ${helpHint(name)}`,
      );
    }
  }
  if (name === "simulate") {
    if (rest.length > 0) throw new UsageError(`"simulate" takes no arguments, got "${rest[0]}"`);
    return parseSimulate(values);
  }
  if (rest.length === 0) {
    throw new UsageError(`"${name}" needs a manifest file (seedance-batch ${name} <manifest>)`);
  }
  if (rest.length > 1) {
    throw new UsageError(`"${name}" takes one manifest, got ${rest.length}: ${rest.join(" ")}`);
  }
  return parseManifestCommand(name, rest[0], values);
}

function stringValue(values: FlagValues, flag: string): string | undefined {
  const value = values.get(flag);
  return typeof value === "string" ? value : undefined;
}

function parseManifestCommand(
  name: Exclude<CommandName, "simulate">,
  manifest: string,
  values: FlagValues,
): Command {
  const text = (flag: string): string | undefined => stringValue(values, flag);
  const on = (flag: string): boolean => values.get(flag) === true;
  const shardText = text("shard");
  const common = {
    manifest,
    models: text("models"),
    ...(shardText === undefined ? {} : { shard: parseShard(shardText) }),
  };
  const prices = text("prices");
  switch (name) {
    case "validate":
      return { name: "validate", ...common, json: on("json") };
    case "plan":
      return {
        name: "plan",
        ...common,
        json: on("json"),
        out: text("out"),
        ...(prices === undefined ? {} : { prices }),
      };
    case "status":
      return { name: "status", ...common, json: on("json"), out: text("out") };
    case "report": {
      const merge = values.get("merge");
      return {
        name: "report",
        ...common,
        out: text("out"),
        ...(Array.isArray(merge) ? { merge } : {}),
        ...(prices === undefined ? {} : { prices }),
      };
    }
    case "run": {
      const logFormat = text("log-format") ?? "text";
      if (logFormat !== "text" && logFormat !== "json") {
        throw new UsageError(`--log-format must be text or json, got "${logFormat}"`);
      }
      const polling = text("polling") ?? "adaptive";
      if (polling !== "fixed" && polling !== "adaptive") {
        throw new UsageError(`--polling must be fixed or adaptive, got "${polling}"`);
      }
      const maxSpendText = text("max-spend");
      const maxSpend = maxSpendText === undefined
        ? undefined
        : amountFlag("max-spend", maxSpendText);
      if (maxSpend !== undefined && prices === undefined) {
        throw new UsageError(
          "--max-spend needs --prices FILE: the limit is checked against your own price list",
        );
      }
      const seconds = (flag: string): number | undefined => {
        const value = text(flag);
        return value === undefined ? undefined : positiveFlag(flag, value);
      };
      const concurrency = text("concurrency");
      const maxVideoSize = text("max-video-size");
      const baseUrl = text("base-url");
      return {
        name: "run",
        ...common,
        out: text("out"),
        concurrency: concurrency === undefined
          ? DEFAULT_CONCURRENCY
          : integerFlag("concurrency", concurrency, 1, 10_000),
        pollIntervalSeconds: seconds("poll-interval") ?? DEFAULT_POLL_INTERVAL_SECONDS,
        polling,
        maxWaitSeconds: seconds("max-wait"),
        passTimeSeconds: seconds("pass-time") ?? (on("once") ? ONCE_PASS_SECONDS : undefined),
        maxVideoBytes: maxVideoSize === undefined
          ? DEFAULT_MAX_VIDEO_BYTES
          : sizeFlag("max-video-size", maxVideoSize),
        baseUrl: baseUrl === undefined ? undefined : urlFlag(baseUrl),
        simulate: on("simulate"),
        once: on("once"),
        retryFailed: on("retry-failed"),
        rerenderChanged: on("rerender-changed"),
        resubmitUncertain: on("resubmit-uncertain"),
        skipInvalid: on("skip-invalid"),
        logFormat,
        quiet: on("quiet"),
        verbose: on("verbose"),
        // Present only when given, so a command without them reads as before.
        ...(prices === undefined ? {} : { prices }),
        ...(maxSpend === undefined ? {} : { maxSpend }),
      };
    }
  }
}

/** The longest render time or delay the simulator accepts, in seconds (a day). */
const MAX_SIMULATED_SECONDS = 86_400;

/**
 * `simulate`'s flags to its command: listener, key, and the simulator's options
 * (only those given, so the simulator's own defaults apply to the rest).
 */
function parseSimulate(values: FlagValues): SimulateCommand {
  const text = (flag: string): string | undefined => stringValue(values, flag);
  const port = text("port");
  const simulator: NonNullable<SimulateCommand["simulator"]> = {};
  const faults: SimulatorFaults = {};
  const seed = text("seed");
  if (seed !== undefined) simulator.seed = integerFlag("seed", seed, 0, 2 ** 32 - 1);
  const render = text("render-time");
  if (render !== undefined) simulator.renderMs = renderTimeFlag(render);
  const probability = (flag: string): number | undefined => {
    const value = text(flag);
    return value === undefined ? undefined : probabilityFlag(flag, value);
  };
  const failureRate = probability("failure-rate");
  if (failureRate !== undefined) simulator.failureRate = failureRate;
  const errorShare = probability("error-share");
  if (errorShare !== undefined) simulator.errorShare = errorShare;
  const mismatchRate = probability("mismatch-rate");
  if (mismatchRate !== undefined) simulator.mismatchRate = mismatchRate;
  const dialect = text("dialect");
  if (dialect !== undefined) {
    if (dialect !== "upper" && dialect !== "lower") {
      throw new UsageError(`--dialect must be upper or lower, got "${dialect}"`);
    }
    simulator.dialect = dialect;
  }
  const ttl = text("url-ttl");
  if (ttl !== undefined) simulator.urlTtlMs = secondsToMs("url-ttl", ttl);
  if (values.get("honour-idempotency") === true) simulator.honourIdempotency = true;
  const rateLimit = probability("rate-limit");
  if (rateLimit !== undefined) {
    faults.submitRateLimited = rateLimit;
    faults.pollRateLimited = rateLimit;
  }
  const retryAfter = text("retry-after");
  if (retryAfter !== undefined) {
    faults.retryAfterSeconds = integerFlag("retry-after", retryAfter, 0, 3600);
  }
  const serverErrors = probability("server-errors");
  if (serverErrors !== undefined) {
    faults.submitServerError = serverErrors;
    faults.pollServerError = serverErrors;
  }
  const lost = probability("lost-answers");
  if (lost !== undefined) faults.submitAnswerLost = lost;
  const resets = probability("resets");
  if (resets !== undefined) {
    faults.submitReset = resets;
    faults.pollReset = resets;
    faults.downloadReset = resets;
  }
  const truncated = probability("truncated-downloads");
  if (truncated !== undefined) faults.downloadTruncated = truncated;
  const slow = probability("slow-answers");
  const slowDelay = text("slow-delay");
  if (slowDelay !== undefined && slow === undefined) {
    throw new UsageError("--slow-delay needs --slow-answers P: the share of answers to delay");
  }
  if (slow !== undefined) {
    faults.slow = {
      probability: slow,
      delayMs: slowDelay === undefined
        ? DEFAULT_SLOW_DELAY_SECONDS * 1000
        : secondsToMs("slow-delay", slowDelay),
    };
  }
  const cap = text("max-in-flight");
  if (cap !== undefined) {
    faults.maxTasksInFlightPerKey = integerFlag("max-in-flight", cap, 1, 10_000);
  }
  if (Object.keys(faults).length > 0) simulator.faults = faults;
  return {
    name: "simulate",
    port: port === undefined ? 0 : integerFlag("port", port, 0, 65535),
    host: text("host") ?? DEFAULT_SIMULATOR_HOST,
    key: text("key"),
    simulator,
  };
}

/**
 * Read a render time: seconds (`45`), or a range of seconds (`40-60`).
 *
 * @param text The value as given.
 * @returns Milliseconds, fixed or a range.
 * @throws {UsageError} When it is neither, a bound is out of range, or min > max.
 */
export function renderTimeFlag(text: string): RenderTime {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(text);
  const min = match ? Number(match[1]) : NaN;
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!(min >= 0 && max <= MAX_SIMULATED_SECONDS && min <= max)) {
    throw new UsageError(
      `--render-time must be seconds (e.g. 45) or a range MIN-MAX (e.g. 40-60), ` +
        `from 0 to ${MAX_SIMULATED_SECONDS}, MIN not above MAX, got "${text}"`,
    );
  }
  const ms = (seconds: number): number => Math.round(seconds * 1000);
  return match?.[2] === undefined ? ms(min) : { min: ms(min), max: ms(max) };
}

function probabilityFlag(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(
      `--${flag} must be a probability from 0 to 1 (e.g. 0.05 for 5%), got "${text}"`,
    );
  }
  return value;
}

function secondsToMs(flag: string, text: string): number {
  const seconds = positiveFlag(flag, text);
  if (seconds > MAX_SIMULATED_SECONDS) {
    throw new UsageError(
      `--${flag} must be at most ${MAX_SIMULATED_SECONDS} seconds (a day), got "${text}"`,
    );
  }
  return Math.round(seconds * 1000);
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
