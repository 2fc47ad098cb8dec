/**
 * The command line as data: every command (synopsis, purpose, examples) and
 * every flag (name, type, argument, default, help text, the commands that
 * take it). Parsing (`args.ts`) and help (`help.ts`) are both built from
 * these tables, and the defaults printed by help are the constants the
 * parser uses, so the two cannot drift. Pure.
 *
 * @module
 */
import { DEFAULT_MAX_VIDEO_BYTES } from "../runner/download.ts";
import { DEFAULT_SIMULATOR_OPTIONS } from "../simulator/options.ts";
import { formatBytes } from "../text.ts";

/** The commands, in the order help lists them. */
export const COMMAND_NAMES = ["validate", "plan", "run", "status", "report", "simulate"] as const;

/** A command's name. */
export type CommandName = typeof COMMAND_NAMES[number];

/** `run --concurrency` when not given: tasks in flight at the service. */
export const DEFAULT_CONCURRENCY = 5;
/** `run --poll-interval` when not given, in seconds. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
/** How long a `--once` pass may work when `--pass-time` is not given, in seconds. */
export const ONCE_PASS_SECONDS = 300;
/** The service's base URL when neither `--base-url` nor `COMETAPI_BASE_URL` is given. */
export const DEFAULT_BASE_URL = "https://api.cometapi.com";
/** `simulate --host` when not given. */
export const DEFAULT_SIMULATOR_HOST = "127.0.0.1";
/** `simulate --slow-delay` when not given, in seconds. */
export const DEFAULT_SLOW_DELAY_SECONDS = 5;
/** `simulate --retry-after` when not given, in seconds (the simulator's own default). */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** One flag of the command line. */
export interface FlagSpec {
  /** The name without the leading dashes. */
  readonly name: string;
  /** A boolean flag takes no value; a string flag takes one. */
  readonly type: "boolean" | "string";
  /** The value's placeholder in help, e.g. `DIR` (string flags only). */
  readonly arg?: string;
  /** A one-letter alias, e.g. `h` for `--help`. */
  readonly short?: string;
  /** What it does, for help (one or two short sentences). */
  readonly help: string;
  /** The default as help states it; absent when there is none to state. */
  readonly default?: string;
  /** The commands that accept it. */
  readonly commands: readonly CommandName[];
  /** Its value is a secret (a key): never repeated in a message. */
  readonly secret?: boolean;
  /** It may be given several times, each value kept (`--merge A --merge B`). */
  readonly repeatable?: boolean;
}

const MANIFEST_COMMANDS: readonly CommandName[] = ["validate", "plan", "run", "status", "report"];

/** A probability flag of the simulator's fault model. */
function rate(name: string, help: string): FlagSpec {
  return { name, type: "string", arg: "P", help, default: "0", commands: ["simulate"] };
}

const RENDER_MS = DEFAULT_SIMULATOR_OPTIONS.renderMs;

/** Every flag, in the order help lists them. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "out",
    type: "string",
    arg: "DIR",
    help: "the output folder: journal, videos, reports",
    default: "<manifest folder>/<manifest name>.out/",
    commands: ["plan", "run", "status", "report"],
  },
  {
    name: "json",
    type: "boolean",
    help: "print the result as one JSON document instead of text",
    commands: ["validate", "plan", "status"],
  },
  {
    name: "models",
    type: "string",
    arg: "FILE",
    help: "a YAML or JSON file of model rules that adds to or overrides the built-in catalog",
    commands: MANIFEST_COMMANDS,
  },
  {
    name: "prices",
    type: "string",
    arg: "FILE",
    help: "your own price list (YAML or JSON), for the spend estimate; none is built in",
    commands: ["plan", "run", "report"],
  },
  {
    name: "shard",
    type: "string",
    arg: "K/N",
    help: "only the jobs of shard K of N (K and N from 1 to 1000), split by a hash of " +
      "each job id; without --out, the output folder is <name>.out/shard-K-of-N/",
    commands: ["validate", "plan", "run", "status"],
  },
  {
    name: "merge",
    type: "string",
    arg: "DIR",
    help: "merge this output folder (e.g. a shard's) into the report; repeatable. Without " +
      "--merge and without a journal in the output folder, its shard-*-of-* folders are merged",
    commands: ["report"],
    repeatable: true,
  },
  {
    name: "concurrency",
    type: "string",
    arg: "N",
    help: "at most N tasks in flight at the service (submitted, not yet finished), 1 to 10000",
    default: String(DEFAULT_CONCURRENCY),
    commands: ["run"],
  },
  {
    name: "poll-interval",
    type: "string",
    arg: "SECONDS",
    help: "how often each task is polled (jittered); fractions accepted",
    default: String(DEFAULT_POLL_INTERVAL_SECONDS),
    commands: ["run"],
  },
  {
    name: "polling",
    type: "string",
    arg: "MODE",
    help: "adaptive: poll a task when it is likely done (render times this batch saw, " +
      "progress), at least every --poll-interval once it is older than the shortest render " +
      "seen for its kind; fixed: every --poll-interval",
    default: "adaptive",
    commands: ["run"],
  },
  {
    name: "max-wait",
    type: "string",
    arg: "SECONDS",
    help: "how long the run waits for one task, retry or download; a task still rendering " +
      "then stays running for the next run (exit 3)",
    default: "no bound",
    commands: ["run"],
  },
  {
    name: "once",
    type: "boolean",
    help: "one pass: submit what may be submitted, poll once, download what is ready, then " +
      "exit (3 while work remains); for cron, --pass-time alone keeps the slots full",
    commands: ["run"],
  },
  {
    name: "pass-time",
    type: "string",
    arg: "SECONDS",
    help: "how long the run works in all before it ends its pass with the work kept (exit 3); " +
      "no new submission starts in its last 5 % (at most 15 s)",
    default: `${ONCE_PASS_SECONDS} with --once, no bound without`,
    commands: ["run"],
  },
  {
    name: "base-url",
    type: "string",
    arg: "URL",
    help: "the service's base URL (also COMETAPI_BASE_URL)",
    default: DEFAULT_BASE_URL,
    commands: ["run"],
  },
  {
    name: "simulate",
    type: "boolean",
    help: "run against the built-in simulator instead of the service; no key needed",
    commands: ["run"],
  },
  {
    name: "retry-failed",
    type: "boolean",
    help: "give failed jobs (rejected, or ended FAILED or ERROR) a new attempt; bills again",
    commands: ["run"],
  },
  {
    name: "rerender-changed",
    type: "boolean",
    help: "render the new version of jobs edited since they were submitted (billed), and only " +
      "those (--retry-failed also does, with every failed job); the old video is kept under " +
      "videos/previous/",
    commands: ["run"],
  },
  {
    name: "resubmit-uncertain",
    type: "boolean",
    help: "submit again the jobs whose submission may or may not have created a task; " +
      "may bill twice",
    commands: ["run"],
  },
  {
    name: "skip-invalid",
    type: "boolean",
    help: "run the valid jobs and skip the invalid ones instead of refusing the manifest",
    commands: ["run"],
  },
  {
    name: "max-spend",
    type: "string",
    arg: "AMOUNT",
    help: "refuse to submit work whose estimate would pass AMOUNT (needs --prices)",
    default: "no limit",
    commands: ["run"],
  },
  {
    name: "max-video-size",
    type: "string",
    arg: "SIZE",
    help: "the largest video accepted, e.g. 500MB or 2GiB",
    default: formatBytes(DEFAULT_MAX_VIDEO_BYTES).replace(" ", ""),
    commands: ["run"],
  },
  {
    name: "log-format",
    type: "string",
    arg: "text|json",
    help: "event lines as text or as one JSON object per line",
    default: "text",
    commands: ["run"],
  },
  {
    name: "quiet",
    type: "boolean",
    help: "print only failures and the summary",
    commands: ["run"],
  },
  {
    name: "verbose",
    type: "boolean",
    help: "also print the cause's stack trace when the run stops on an error",
    commands: ["run"],
  },
  {
    name: "port",
    type: "string",
    arg: "N",
    help: "TCP port to listen on; 0 picks a free one",
    default: "0",
    commands: ["simulate"],
  },
  {
    name: "host",
    type: "string",
    arg: "H",
    help: "interface to listen on",
    default: DEFAULT_SIMULATOR_HOST,
    commands: ["simulate"],
  },
  {
    name: "key",
    type: "string",
    arg: "K",
    help: "accept only this bearer key",
    default: "any non-empty key",
    commands: ["simulate"],
    secret: true,
  },
  {
    name: "seed",
    type: "string",
    arg: "N",
    help: "seed of every random choice (ids, render times, outcomes, faults): " +
      "the same seed and requests give the same answers",
    default: "random",
    commands: ["simulate"],
  },
  {
    name: "render-time",
    type: "string",
    arg: "SECONDS|MIN-MAX",
    help: "how long a task renders: a number, or a range drawn per task, e.g. 40-60",
    default: `${RENDER_MS.min / 1000}-${RENDER_MS.max / 1000}`,
    commands: ["simulate"],
  },
  rate("failure-rate", "share of tasks that end FAILED or ERROR, 0 to 1"),
  {
    name: "error-share",
    type: "string",
    arg: "P",
    help: "of the failing tasks, the share that end ERROR (the rest FAILED), 0 to 1",
    default: String(DEFAULT_SIMULATOR_OPTIONS.errorShare),
    commands: ["simulate"],
  },
  rate(
    "mismatch-rate",
    "share of videos that do not match their request (half the seconds, " +
      "the aspect ratio turned), 0 to 1",
  ),
  {
    name: "dialect",
    type: "string",
    arg: "upper|lower",
    help: "status words: upper is SUBMITTED/IN_PROGRESS/SUCCESS/FAILED/ERROR, " +
      "lower is queued/in_progress/completed/failed/error",
    default: DEFAULT_SIMULATOR_OPTIONS.dialect,
    commands: ["simulate"],
  },
  {
    name: "url-ttl",
    type: "string",
    arg: "SECONDS",
    help: "how long a signed video URL stays valid",
    default: String(DEFAULT_SIMULATOR_OPTIONS.urlTtlMs / 1000),
    commands: ["simulate"],
  },
  {
    name: "honour-idempotency",
    type: "boolean",
    help: "answer a repeated Idempotency-Key with the task created for it",
    commands: ["simulate"],
  },
  rate("rate-limit", "share of submits and polls answered 429 with Retry-After, 0 to 1"),
  {
    name: "retry-after",
    type: "string",
    arg: "SECONDS",
    help: "the Retry-After of a 429, whole seconds",
    default: String(DEFAULT_RETRY_AFTER_SECONDS),
    commands: ["simulate"],
  },
  rate(
    "server-errors",
    "share of submits and polls answered with a 5xx, 0 to 1 " +
      "(a submit's 524 still creates its task)",
  ),
  rate(
    "lost-answers",
    "share of submits whose task is created but whose answer is lost " +
      "(the client cannot know), 0 to 1",
  ),
  rate("resets", "share of submits, polls and downloads whose connection breaks, 0 to 1"),
  rate("truncated-downloads", "share of downloads that stop part-way, 0 to 1"),
  rate("slow-answers", "share of answers delayed by --slow-delay, 0 to 1"),
  {
    name: "slow-delay",
    type: "string",
    arg: "SECONDS",
    help: "how long a slow answer is delayed",
    default: String(DEFAULT_SLOW_DELAY_SECONDS),
    commands: ["simulate"],
  },
  {
    name: "max-in-flight",
    type: "string",
    arg: "N",
    help: "at most N tasks rendering per key; a submit beyond it gets 429",
    default: "no cap",
    commands: ["simulate"],
  },
];

/** One command: what help shows about it. */
export interface CommandSpec {
  readonly name: CommandName;
  /** Its positional arguments, e.g. `<manifest>`; empty for none. */
  readonly args: string;
  /** What it is for, in one line. */
  readonly purpose: string;
  /** One or two example command lines, without the program name. */
  readonly examples: readonly string[];
  /** Extra lines help prints after the options (environment, exit codes). */
  readonly notes?: readonly string[];
}

const RUN_NOTES = [
  "Environment:",
  "  COMETAPI_KEY       the API key (not needed with --simulate)",
  `  COMETAPI_BASE_URL  the service's base URL (default ${DEFAULT_BASE_URL})`,
  "",
  "Exit codes:",
  "  0 every job done       1 some job failed or is uncertain   2 usage or invalid manifest",
  "  3 work still pending   4 key rejected   75 output folder locked   130 interrupted",
];

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "validate",
    args: "<manifest>",
    purpose: "check a manifest and list every problem at once (file:line, field); sends nothing",
    examples: ["validate batch.yaml", "validate batch.csv --json"],
  },
  {
    name: "plan",
    args: "<manifest>",
    purpose: "show what a run would do: jobs to submit, jobs done, and the spend estimate",
    examples: ["plan batch.yaml", "plan batch.yaml --prices prices.yaml"],
  },
  {
    name: "run",
    args: "<manifest>",
    purpose: "render the manifest: submit, poll, download and report; resumes where it stopped",
    examples: [
      "run batch.yaml --concurrency 8 --prices prices.yaml --max-spend 50",
      "run batch.yaml --pass-time 540   # from cron every 10 minutes: work for 9 minutes",
    ],
    notes: RUN_NOTES,
  },
  {
    name: "status",
    args: "<manifest>",
    purpose: "show where a batch stands from its journal, without contacting the service",
    examples: ["status batch.yaml", "status batch.yaml --json"],
    notes: [
      "Exit codes: 0 every job done, 1 some job failed or is uncertain and nothing is left",
      "to progress, 3 work still pending.",
    ],
  },
  {
    name: "report",
    args: "<manifest>",
    purpose: "write report.json, report.csv, report.md and report.html from the journal",
    examples: ["report batch.yaml", "report batch.yaml --out renders/ --prices prices.yaml"],
  },
  {
    name: "simulate",
    args: "",
    purpose: "serve a simulator of the video API until Ctrl-C; its first stdout line is its URL",
    examples: [
      "simulate --port 8080 --render-time 40-60 --failure-rate 0.05 --rate-limit 0.02",
      "run batch.yaml --base-url http://127.0.0.1:8080   # with COMETAPI_KEY=any",
    ],
    notes: [
      "Rates are probabilities from 0 to 1, drawn per request from the seed.",
      "Counters: GET <url>/_simulator/stats.",
    ],
  },
];

/** The flags a command accepts, in help order. */
export function flagsOf(command: CommandName): readonly FlagSpec[] {
  return FLAGS.filter((flag) => flag.commands.includes(command));
}

/** The flag named `name` (without dashes), if any. */
export function flagNamed(name: string): FlagSpec | undefined {
  return FLAGS.find((flag) => flag.name === name);
}

/** The command named `name`, if any. */
export function commandNamed(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}
