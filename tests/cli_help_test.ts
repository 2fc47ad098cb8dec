import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { COMMAND_NAMES, FLAGS, flagsOf } from "../src/cli/flags.ts";

const GOLDEN = new URL("./golden/help/", import.meta.url);

/** Compare with the golden file, or rewrite it with UPDATE_GOLDEN=1. */
async function matchesGolden(name: string, text: string): Promise<void> {
  const file = new URL(`${name}.txt`, GOLDEN);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(file, `${text}\n`);
    return;
  }
  assert.equal(`${text}\n`, await Deno.readTextFile(file), `tests/golden/help/${name}.txt`);
}

Deno.test("`--help` prints the command list to stdout and exits 0", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.deepEqual(result.stderr, []);
  const text = result.stdout.join("\n");
  for (const command of COMMAND_NAMES) assert.match(text, new RegExp(`^  ${command} `, "m"));
  await matchesGolden("overview", text);
  assert.deepEqual((await runCli(["help"])).stdout, result.stdout);
});

for (const command of COMMAND_NAMES) {
  Deno.test(`\`${command} --help\` prints that command's options with their defaults and exits 0`, async () => {
    const result = await runCli([command, "--help"]);
    assert.equal(result.code, 0);
    assert.deepEqual(result.stderr, []);
    const text = result.stdout.join("\n");
    assert.ok(text.startsWith(`Usage: seedance-batch ${command}`));
    for (const flag of flagsOf(command)) {
      assert.match(text, new RegExp(`--${flag.name}\\b`), `--${flag.name} in ${command} --help`);
      // Help wraps long lines: compare with the white space folded.
      const folded = text.replace(/\s+/g, " ");
      if (flag.default !== undefined) assert.ok(folded.includes(`(default: ${flag.default})`));
    }
    for (const flag of FLAGS.filter((flag) => !flag.commands.includes(command))) {
      assert.doesNotMatch(text, new RegExp(`^  --${flag.name}\\b`, "m"));
    }
    assert.match(text, /Examples:\n {2}seedance-batch /);
    await matchesGolden(command, text);
    // `help <command>` and `-h` print the same page.
    assert.deepEqual((await runCli(["help", command])).stdout, result.stdout);
    assert.deepEqual((await runCli([command, "-h"])).stdout, result.stdout);
  });
}

Deno.test("run --help states the defaults the parser applies", async () => {
  const text = (await runCli(["run", "--help"])).stdout.join("\n");
  assert.match(text, /--concurrency N +.*\(default: 5\)/s);
  assert.match(text, /--poll-interval SECONDS .*\(default: 10\)/s);
  assert.match(text, /\(default: 2GiB\)/);
  assert.match(text, /\(default: 300 with --once, no bound without\)/);
  assert.match(text, /--verbose/);
});

Deno.test("the CLI refuses each kind of command-line mistake with exit 2 and one clear line", async (t) => {
  const cases: Array<[string[], string]> = [
    [
      ["run", "a.yaml", "--concurency", "3"],
      "error: Unknown option --concurency for run; did you mean --concurrency? (seedance-batch run --help lists the options)",
    ],
    [
      ["run", "a.yaml", "--frobnicate"],
      "error: Unknown option --frobnicate for run (seedance-batch run --help lists the options)",
    ],
    [
      ["validate", "a.yaml", "--concurrency", "3"],
      "error: --concurrency is an option of run, not of validate (seedance-batch validate --help lists the options)",
    ],
    [
      ["validate", "a.yaml", "--prices", "p.yaml"],
      "error: --prices is an option of plan, run and report, not of validate (seedance-batch validate --help lists the options)",
    ],
    [
      ["status", "a.yaml", "--concurency", "3"],
      "error: Unknown option --concurency for status; --concurrency is an option of run (seedance-batch status --help lists the options)",
    ],
    [["run", "a.yaml", "--out"], "error: --out needs a value (--out DIR)"],
    [
      ["run", "a.yaml", "--out", "--json"],
      "error: --out needs a value (--out DIR), got the option --json",
    ],
    [
      ["run", "a.yaml", "--once=yes"],
      'error: --once takes no value, got "yes" (give --once alone to turn it on)',
    ],
    [
      ["run", "a.yaml", "--out", "a", "--out", "b"],
      'error: --out is given twice with different values ("a" and "b"); give it once',
    ],
    [
      ["runn", "a.yaml"],
      'error: Unknown command "runn"; did you mean run? Expected one of validate, plan, run, status, report, simulate (seedance-batch --help lists them)',
    ],
    [["help", "frob"], /^error: Unknown command "frob"/ as unknown as string],
  ];
  for (const [argv, expected] of cases) {
    await t.step(argv.join(" "), async () => {
      const result = await runCli(argv);
      assert.equal(result.code, 2);
      assert.deepEqual(result.stdout, []);
      assert.equal(result.stderr.length, 1);
      if (typeof expected === "string") assert.equal(result.stderr[0], expected);
      else assert.match(result.stderr[0], expected);
    });
  }
});

Deno.test("the same flag given twice with the same value is accepted", async () => {
  const result = await runCli(["validate", "missing.yaml", "--json", "--json"]);
  // Parsing passed: the error is about the manifest, not the command line.
  assert.equal(result.code, 2);
  assert.doesNotMatch(result.stderr.join("\n"), /given twice|Unknown option/);
});

Deno.test("a simulate --key is never repeated in a command-line error", async () => {
  const secret = "sk-SECRET-flag";
  for (
    const argv of [
      ["simulate", "--key", secret, "--key", "sk-other"],
      ["simulate", "--key", `-${secret}`],
    ]
  ) {
    const result = await runCli(argv);
    assert.equal(result.code, 2);
    assert.match(result.stderr[0], /--key/);
    assert.equal(result.stderr.join("\n").includes("SECRET"), false, argv.join(" "));
  }
});
