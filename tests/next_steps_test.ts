import assert from "node:assert/strict";
import { commandLine, nextSteps, shellQuote } from "../src/cli/next_steps.ts";
import type { ReportTotals } from "../src/report/summary.ts";

const DONE: ReportTotals = {
  jobs: 4,
  done: 4,
  failed: 0,
  invalid: 0,
  pending: 0,
  running: 0,
  uncertain: 0,
};

const ARGV = ["run", "my batch.yaml", "--concurrency", "3"];
const HTML = "/r/my batch.out/report.html";

Deno.test("`nextSteps()` gives the report's path and the exact command for each kind of work left", async (t) => {
  const cases: Array<[string, Partial<ReportTotals>, number, readonly string[], string[]]> = [
    ["all done: the report only", {}, 0, ARGV, []],
    [
      "failed jobs: --retry-failed",
      { done: 2, failed: 2 },
      0,
      ARGV,
      [
        "next: 2 jobs failed; to try again (each attempt is billed): " +
        "seedance-batch run 'my batch.yaml' --concurrency 3 --retry-failed",
      ],
    ],
    [
      "uncertain jobs: --resubmit-uncertain with the billing warning",
      { done: 3, uncertain: 1 },
      0,
      ARGV,
      [
        "next: 1 job uncertain: a task may exist and be billed already; to submit again " +
        "(possibly paying twice): seedance-batch run 'my batch.yaml' --concurrency 3 " +
        "--resubmit-uncertain",
      ],
    ],
    [
      "edited jobs: --rerender-changed, which leaves the genuine failures alone",
      { done: 1, failed: 3 },
      2,
      ARGV,
      [
        "next: 1 job failed; to try again (each attempt is billed): " +
        "seedance-batch run 'my batch.yaml' --concurrency 3 --retry-failed",
        "next: 2 jobs edited since submitted; to render the new version (billed; the old " +
        "video is kept under videos/previous/): " +
        "seedance-batch run 'my batch.yaml' --concurrency 3 --rerender-changed",
      ],
    ],
    [
      "pending work: the same command, with the cron hint",
      { done: 1, running: 2, pending: 1 },
      0,
      ARGV,
      [
        "next: 3 jobs left (2 running, 1 pending); the same command collects them: " +
        "seedance-batch run 'my batch.yaml' --concurrency 3 (from cron: add --pass-time 540)",
      ],
    ],
    [
      "pending work under --once: the next pass",
      { done: 3, pending: 1 },
      0,
      ["run", "b.yaml", "--once"],
      [
        "next: 1 job left (0 running, 1 pending); the next pass collects them: " +
        "seedance-batch run b.yaml --once",
      ],
    ],
    [
      "one-shot flags of this run are not carried into the next command",
      { done: 3, pending: 1 },
      0,
      ["run", "b.yaml", "--retry-failed", "--resubmit-uncertain", "--out", "o"],
      [
        "next: 1 job left (0 running, 1 pending); the same command collects them: " +
        "seedance-batch run b.yaml --out o (from cron: add --pass-time 540)",
      ],
    ],
  ];
  for (const [name, totals, changed, argv, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(
        nextSteps({
          totals: { ...DONE, ...totals },
          changed,
          reportHtml: HTML,
          program: "seedance-batch",
          argv,
        }),
        [`report: ${HTML}`, ...expected],
      );
    });
  }
});

Deno.test("`nextSteps()` says when the report was not written", () => {
  assert.deepEqual(
    nextSteps({
      totals: DONE,
      changed: 0,
      reportHtml: undefined,
      program: "seedance-batch",
      argv: ["run", "b.yaml"],
    }),
    ["report: not written"],
  );
});

Deno.test("`shellQuote()` leaves plain words alone and single-quotes the rest, as a POSIX shell reads them back", async () => {
  const cases: Array<[string, string]> = [
    ["batch.yaml", "batch.yaml"],
    ["--max-spend=2.5", "--max-spend=2.5"],
    ["my batch.yaml", "'my batch.yaml'"],
    ["it's", `'it'\\''s'`],
    ["", "''"],
    ["$HOME", "'$HOME'"],
    ["a;rm -rf x", "'a;rm -rf x'"],
    ["*.yaml", "'*.yaml'"],
  ];
  for (const [arg, quoted] of cases) assert.equal(shellQuote(arg), quoted);
  // The shell itself gives each argument back unchanged.
  const sh = await new Deno.Command("sh", {
    args: ["-c", `printf '%s\\n' ${cases.map(([arg]) => shellQuote(arg)).join(" ")}`],
    stdout: "piped",
  }).output();
  assert.deepEqual(
    new TextDecoder().decode(sh.stdout).split("\n").slice(0, -1),
    cases.map(([arg]) => arg),
  );
});

Deno.test("`commandLine()` puts added flags before a `--` terminator and keeps what follows it", () => {
  assert.equal(
    commandLine("deno run -A mod.ts", ["run", "--out", "o", "--", "--retry-failed"], [
      "--resubmit-uncertain",
    ]),
    "deno run -A mod.ts run --out o --resubmit-uncertain -- --retry-failed",
  );
  assert.equal(
    commandLine("seedance-batch", ["run", "b.yaml", "--retry-failed=true"]),
    "seedance-batch run b.yaml",
  );
});
