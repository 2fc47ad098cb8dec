import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { envFor, runAgainst, startService, type TestService } from "./e2e/harness.ts";

const PRO = "doubao-seedance-1-0-pro";

/** Two jobs costing 0.1 and 0.2 at 0.05 per second: as floats they sum past 0.3. */
async function writeBatch(dir: string, extra = ""): Promise<{ manifest: string; prices: string }> {
  const manifest = join(dir, "batch.yaml");
  await Deno.writeTextFile(
    manifest,
    `- {id: short, model: ${PRO}, prompt: a, seconds: 2}\n- {id: long, model: ${PRO}, prompt: b, seconds: 4}\n${extra}`,
  );
  const prices = join(dir, "prices.yaml");
  await Deno.writeTextFile(prices, `currency: USD\n${PRO}: 0.05\n`);
  return { manifest, prices };
}

function requestsAt(service: TestService): number {
  const { requests } = service.stats();
  return requests.submit + requests.poll + requests.download + requests.other;
}

Deno.test("run --max-spend runs at exactly the limit, summed exactly (0.1 + 0.2 is 0.3)", async () => {
  assert.notEqual(0.05 * 2 + 0.05 * 4, 0.3, "the float sum would exceed the limit");
  await withTempDir(async (dir) => {
    const { manifest, prices } = await writeBatch(dir);
    const service = await startService();
    try {
      const result = await runAgainst(manifest, service, [
        "--prices",
        prices,
        "--max-spend",
        "0.3",
      ]);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      assert.equal(service.stats().tasksCreated, 2);
      assert.ok(
        result.stderr.includes(
          `Estimated spend of this run: 0.30 USD for 2 submissions, within --max-spend 0.30 USD (an estimate from ${prices})`,
        ),
        result.stderr.join("\n"),
      );
      // Everything is done: the next run may submit nothing, so a limit of 0 holds.
      const again = await runAgainst(manifest, service, ["--prices", prices, "--max-spend", "0"]);
      assert.equal(again.code, 0, again.stderr.join("\n"));
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --max-spend above the estimate's limit exits 2 and sends nothing, naming the estimate, the limit and the largest contributors", async () => {
  await withTempDir(async (dir) => {
    const { manifest, prices } = await writeBatch(
      dir,
      `- {id: fast, model: doubao-seedance-2-0-fast, prompt: c, seconds: 4}\n`,
    );
    await Deno.writeTextFile(
      prices,
      `currency: USD\n${PRO}: 0.05\ndoubao-seedance-2-0-fast: 0.01\n`,
    );
    const service = await startService();
    try {
      const result = await runAgainst(manifest, service, [
        "--prices",
        prices,
        "--max-spend",
        "0.339999",
      ]);
      assert.equal(result.code, 2, result.stderr.join("\n"));
      assert.equal(requestsAt(service), 0);
      const err = result.stderr.join("\n");
      assert.match(err, /to come \(still to submit\) +3 jobs +10 s +0\.34 USD/);
      assert.match(err, /Limit \(--max-spend\): 0\.339999 USD/);
      assert.match(
        err,
        /Largest contributors:\n {2}doubao-seedance-1-0-pro 720p: 2 jobs, 6 s, 0\.30 USD\n {2}doubao-seedance-2-0-fast 720p: 1 job, 4 s, 0\.04 USD/,
      );
      assert.match(
        err,
        /Cannot run .*batch\.yaml: its estimated spend, 0\.34 USD, is more than --max-spend 0\.339999 USD; nothing was sent/,
      );
      // Nothing was journaled either.
      await assert.rejects(Deno.stat(join(dir, "batch.out", "state.jsonl")), Deno.errors.NotFound);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --max-spend refuses when a job it may submit has no price, whatever the limit", async () => {
  await withTempDir(async (dir) => {
    const { manifest, prices } = await writeBatch(
      dir,
      `- {id: other, model: doubao-seedance-1-5-pro, prompt: c}\n`,
    );
    const service = await startService();
    try {
      const result = await runAgainst(manifest, service, [
        "--prices",
        prices,
        "--max-spend",
        "1000",
      ]);
      assert.equal(result.code, 2);
      assert.equal(requestsAt(service), 0);
      assert.match(
        result.stderr.join("\n"),
        /1 job it may submit has no price in .*prices\.yaml, so the spend cannot be held to --max-spend 1000\.00 USD; nothing was sent/,
      );
      assert.ok(result.stderr.includes("  doubao-seedance-1-5-pro 720p: 1 job: other"));
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --max-spend without --prices, or with a bad amount, is a usage error before anything is sent", async () => {
  await withTempDir(async (dir) => {
    const { manifest, prices } = await writeBatch(dir);
    const service = await startService();
    try {
      for (
        const [flags, message] of [
          [["--max-spend", "5"], /--max-spend needs --prices FILE/],
          [["--prices", prices, "--max-spend=-1"], /--max-spend must be an amount/],
          [["--prices", prices, "--max-spend", "0.0000001"], /--max-spend must be an amount/],
          [["--prices", prices, "--max-spend", "lots"], /--max-spend must be an amount/],
        ] as const
      ) {
        const result = await runCli(["run", manifest, ...flags], { env: envFor(service) });
        assert.equal(result.code, 2, flags.join(" "));
        assert.match(result.stderr.join("\n"), message);
      }
      assert.equal(requestsAt(service), 0);
    } finally {
      await service.close();
    }
  });
});

Deno.test("run --max-spend counts uncertain jobs only with --resubmit-uncertain, and plan shows them as possibly billed", async () => {
  await withTempDir(async (dir) => {
    const { manifest, prices } = await writeBatch(dir);
    const lossy = await startService({ faults: { submitAnswerLost: 1 } });
    try {
      const first = await runAgainst(manifest, lossy, ["--prices", prices, "--max-spend", "0.3"]);
      assert.equal(first.code, 1, first.stderr.join("\n"));
      const plan = JSON.parse(
        (await runCli(["plan", manifest, "--prices", prices, "--json"])).stdout[0],
      );
      assert.deepEqual(plan.estimate.uncertain, {
        jobs: 2,
        seconds: 6,
        amount: "0.30",
        unpriced: 0,
      });
      // A plain run may submit nothing: a limit of 0 holds.
      const plain = await runAgainst(manifest, lossy, [
        "--prices",
        prices,
        "--max-spend",
        "0",
      ]);
      assert.equal(plain.code, 1, plain.stderr.join("\n"));
      const before = requestsAt(lossy);
      const resubmit = await runAgainst(manifest, lossy, [
        "--prices",
        prices,
        "--max-spend",
        "0.299999",
        "--resubmit-uncertain",
      ]);
      assert.equal(resubmit.code, 2);
      assert.equal(requestsAt(lossy), before, "nothing sent");
      assert.match(resubmit.stderr.join("\n"), /its estimated spend, 0\.30 USD, is more than/);
    } finally {
      await lossy.close();
    }
  });
});
