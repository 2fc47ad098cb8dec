import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../src/catalog.ts";
import { estimateJson, estimateSpend, estimateSubmissions } from "../src/estimate.ts";
import { planRun } from "../src/plan.ts";
import { estimateLines } from "../src/estimate_text.ts";
import { parsePrices } from "../src/prices.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { makeJob, makeState } from "./helpers/jobs.ts";

const PRICES = parsePrices(
  "currency: USD\ndoubao-seedance-2-0: { 480p: 0.05, 720p: 0.08 }\ndoubao-seedance-2-0-fast: 0.1\n",
  { file: "prices.yaml", catalog: DEFAULT_CATALOG },
).prices;

const M2 = "doubao-seedance-2-0";
const FAST = "doubao-seedance-2-0-fast";

Deno.test("estimateSpend() prices flat and per-resolution models, and splits jobs by where they stand", () => {
  const jobs = [
    makeJob({ id: "new", model: M2, resolution: "480p", seconds: 10 }),
    makeJob({ id: "done", model: M2, resolution: "720p", seconds: 5 }),
    makeJob({ id: "lost", model: FAST, resolution: "480p", seconds: 3 }),
    makeJob({ id: "bad", model: FAST, resolution: "720p", seconds: 4 }),
    makeJob({ id: "busy", model: FAST, resolution: "720p", seconds: 2 }),
    makeJob({ id: "old", model: "doubao-seedance-1-0-pro", resolution: "1080p", seconds: 7 }),
  ];
  const states = new Map([
    ["done", makeState({ job: "done", phase: "done", fingerprint: "fp-done", task: "t1" })],
    ["lost", makeState({ job: "lost", phase: "uncertain", fingerprint: "fp-lost" })],
    ["bad", makeState({ job: "bad", phase: "failed", fingerprint: "fp-bad", task: "t2" })],
    ["busy", makeState({ job: "busy", phase: "running", fingerprint: "fp-busy", task: "t3" })],
  ]);
  const estimate = estimateSpend(jobs, states, PRICES);
  const json = estimateJson(estimate);
  assert.deepEqual(json.to_come, { jobs: 2, seconds: 17, amount: "0.50", unpriced: 1 });
  assert.deepEqual(json.done, { jobs: 1, seconds: 5, amount: "0.40", unpriced: 0 });
  assert.deepEqual(json.uncertain, { jobs: 1, seconds: 3, amount: "0.30", unpriced: 0 });
  assert.deepEqual(json.failed, { jobs: 1, seconds: 4, amount: "0.40", unpriced: 0 });
  assert.deepEqual(json.running, { jobs: 1, seconds: 2, amount: "0.20", unpriced: 0 });
  assert.deepEqual(json.total, { jobs: 6, seconds: 31, amount: "1.80", unpriced: 1 });
  assert.equal(json.currency, "USD");
  // The unpriced job is listed apart, never priced as 0.
  assert.deepEqual(json.unpriced, [
    { model: "doubao-seedance-1-0-pro", resolution: "1080p", jobs: 1, ids: ["old"] },
  ]);
  const rows = json.by_model;
  assert.deepEqual(
    rows.map((row) => [row.model, row.resolution, row.price_per_second, row.amount]),
    [
      ["doubao-seedance-1-0-pro", "1080p", null, null],
      [M2, "480p", "0.05", "0.50"],
      [M2, "720p", "0.08", "0.40"],
      [FAST, "480p", "0.10", "0.30"],
      [FAST, "720p", "0.10", "0.60"],
    ],
  );
  assert.equal(rows[0].to_come, null);
});

Deno.test("estimateSubmissions() counts what a run may submit: new, uncertain with --resubmit-uncertain, failed with --retry-failed", () => {
  const jobs = [
    makeJob({ id: "new", model: M2, resolution: "480p", seconds: 10 }),
    makeJob({ id: "lost", model: FAST, seconds: 3 }),
    makeJob({ id: "bad", model: FAST, seconds: 4 }),
    makeJob({ id: "done", model: FAST, seconds: 9 }),
  ];
  const states = new Map([
    ["lost", makeState({ job: "lost", phase: "uncertain", fingerprint: "fp-lost", openKey: "k" })],
    ["bad", makeState({ job: "bad", phase: "failed", fingerprint: "fp-bad", task: "t" })],
    ["done", makeState({ job: "done", phase: "done", fingerprint: "fp-done", task: "t" })],
  ]);
  const amount = (retryFailed: boolean, resubmitUncertain: boolean): bigint =>
    estimateSubmissions(
      planRun(jobs, states, { retryFailed, resubmitUncertain, newKey: () => "key" }),
      PRICES,
    ).total.amount;
  assert.equal(amount(false, false), 500_000n);
  assert.equal(amount(false, true), 800_000n);
  assert.equal(amount(true, false), 900_000n);
  assert.equal(amount(true, true), 1_200_000n);
});

Deno.test("plan --prices shows the estimate with the currency on every amount, in text and JSON", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "m.yaml");
    await Deno.writeTextFile(
      manifest,
      `- {id: a, model: ${M2}, prompt: x, resolution: 480p, seconds: 10, variants: 3}\n- {id: b, model: doubao-seedance-1-0-pro, prompt: y}\n`,
    );
    const prices = join(dir, "prices.yaml");
    await Deno.writeTextFile(prices, "currency: EUR\ndoubao-seedance-2-0: {480p: 0.1}\nnope: 1\n");
    const text = await runCli(["plan", manifest, "--prices", prices]);
    assert.equal(text.code, 0, text.stderr.join("\n"));
    const at = text.stdout.findIndex((line) => line.startsWith("Estimated spend"));
    assert.ok(at > 0, text.stdout.join("\n"));
    assert.ok(
      text.stdout.includes(
        `warning: ${prices}:3: model "nope" is not in the catalog; its price applies only if --models adds it`,
      ),
    );
    assert.match(
      text.stdout[at + 1],
      /^ {2}to come \(still to submit\) +4 jobs +35 s +3\.00 EUR \+ 1 unpriced job$/,
    );
    assert.match(text.stdout[at + 3], /already rendered \(done\) +0 jobs +0 s +0\.00 EUR$/);
    assert.ok(
      text.stdout.some((line) =>
        /doubao-seedance-2-0 +480p +0\.10 EUR +3 +30 +3\.00 EUR +3\.00 EUR$/.test(line)
      ),
    );
    assert.ok(
      text.stdout.some((line) =>
        /doubao-seedance-1-0-pro +720p +no price +1 +5 +unpriced +unpriced$/.test(line)
      ),
    );
    assert.ok(text.stdout.includes("  doubao-seedance-1-0-pro 720p: 1 job: b"));
    const json = JSON.parse(
      (await runCli(["plan", manifest, "--prices", prices, "--json"])).stdout[0],
    );
    assert.equal(json.estimate.currency, "EUR");
    assert.deepEqual(json.estimate.to_come, { jobs: 4, seconds: 35, amount: "3.00", unpriced: 1 });
    assert.equal(json.estimate.warnings.length, 1);
    // Without --prices the plan has no estimate.
    const plain = JSON.parse((await runCli(["plan", manifest, "--json"])).stdout[0]);
    assert.equal(plain.estimate, undefined);
  });
});

Deno.test("plan --prices refuses a bad price file with exit 2, naming the file and line", async () => {
  await withTempDir(async (dir) => {
    const manifest = join(dir, "m.yaml");
    await Deno.writeTextFile(manifest, `- {id: a, model: ${M2}, prompt: x}\n`);
    const prices = join(dir, "p.yaml");
    await Deno.writeTextFile(prices, "currency: USD\ndoubao-seedance-2-0: -1\n");
    const result = await runCli(["plan", manifest, "--prices", prices]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr.join("\n"),
      /p\.yaml: line 2: model "doubao-seedance-2-0": the price must not be negative/,
    );
  });
});

Deno.test("estimateSpend() shows what re-rendering the edited jobs costs, and --max-spend counts --rerender-changed submissions", () => {
  const jobs = [
    makeJob({ id: "edited", model: M2, resolution: "720p", seconds: 10 }),
    makeJob({ id: "bad", model: FAST, seconds: 4 }),
  ];
  const states = new Map([
    ["edited", makeState({ job: "edited", phase: "done", fingerprint: "OLD", task: "t1" })],
    ["bad", makeState({ job: "bad", phase: "failed", fingerprint: "fp-bad", task: "t2" })],
  ]);
  const estimate = estimateSpend(jobs, states, PRICES);
  assert.deepEqual(estimateJson(estimate).rerender_changed, {
    jobs: 1,
    seconds: 10,
    amount: "0.80",
    unpriced: 0,
  });
  assert.match(
    estimateLines(estimate).join("\n"),
    /of the failed, 1 job edited since submitted: re-rendering them \(--rerender-changed\) would cost 0\.80 USD$/m,
  );
  // Without an edited job there is no such line.
  assert.equal(
    estimateJson(estimateSpend(jobs.slice(1), states, PRICES)).rerender_changed,
    undefined,
  );
  const amount = (rerenderChanged: boolean): bigint =>
    estimateSubmissions(
      planRun(jobs, states, {
        retryFailed: false,
        rerenderChanged,
        resubmitUncertain: false,
        newKey: () => "key",
      }),
      PRICES,
    ).total.amount;
  assert.equal(amount(false), 0n);
  assert.equal(amount(true), 800_000n, "only the edited job, not the failed one");
});
