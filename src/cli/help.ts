/**
 * Help texts, built from the flag and command tables of `flags.ts`: the
 * overview (`seedance-batch --help`) and one page per command
 * (`seedance-batch run --help`, `seedance-batch help run`). Pure.
 *
 * @module
 */
import { type CommandName, COMMANDS, type CommandSpec, flagsOf, type FlagSpec } from "./flags.ts";

const PROGRAM = "seedance-batch";

/** The overview: every command with one line, and where to get more. */
export function overviewHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `${PROGRAM}: render a manifest of prompts and images with Seedance (CometAPI)`,
    "",
    "Usage:",
    `  ${PROGRAM} <command> [options]`,
    "",
    "Commands:",
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.purpose}`),
    "",
    "Options of every command:",
    "  -h, --help   show the help of a command",
    "  --version    print the version",
    "",
    `Run \`${PROGRAM} <command> --help\` (or \`${PROGRAM} help <command>\`) for its options,`,
    "their defaults and examples.",
  ].join("\n");
}

/**
 * One command's page: synopsis, purpose, every option with its argument,
 * meaning and default, examples.
 *
 * @param name The command.
 * @returns The page, lines joined with `\n`.
 */
export function commandHelp(name: CommandName): string {
  const command = COMMANDS.find((spec) => spec.name === name) as CommandSpec;
  const flags = flagsOf(name);
  const synopsis = [PROGRAM, name, command.args, flags.length > 0 ? "[options]" : ""]
    .filter((part) => part !== "").join(" ");
  const labels = flags.map(flagLabel);
  const width = Math.min(28, Math.max(...labels.map((label) => label.length)));
  const options = flags.flatMap((flag, i) => optionLines(flag, labels[i], width));
  return [
    `Usage: ${synopsis}`,
    "",
    `${capitalise(command.purpose)}.`,
    "",
    "Options:",
    ...options,
    `  ${"-h, --help".padEnd(width)}  show this help`,
    "",
    "Examples:",
    ...command.examples.map((example) => `  ${PROGRAM} ${example}`),
    ...(command.notes ? ["", ...command.notes] : []),
  ].join("\n");
}

function flagLabel(flag: FlagSpec): string {
  return flag.type === "string" ? `--${flag.name} ${flag.arg ?? "VALUE"}` : `--${flag.name}`;
}

/** The option's lines: label and help, wrapped under the text column, then its default. */
function optionLines(flag: FlagSpec, label: string, width: number): string[] {
  const text = flag.default === undefined ? flag.help : `${flag.help} (default: ${flag.default})`;
  const indent = " ".repeat(width + 4);
  const wrapped = wrap(text, 96 - indent.length);
  const first = label.length > width
    ? [`  ${label}`, `${indent}${wrapped[0]}`]
    : [`  ${label.padEnd(width)}  ${wrapped[0]}`];
  return [...first, ...wrapped.slice(1).map((line) => `${indent}${line}`)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
