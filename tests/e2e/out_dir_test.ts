/**
 * The output folder belongs to the tool (issue 8, items 1, 6, 7 and 8): a
 * recorded video is never overwritten by another job's, nothing is written
 * through a symbolic link, no input is overwritten, and a report that cannot
 * be written is one line, not a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJsonLines, runCli, withTempDir } from "../helpers/cli.ts";
import {
  listFiles,
  readReport,
  runAgainst,
  sampleJobs,
  sha256File,
  startService,
  type TestService,
  writeManifest,
} from "./harness.ts";
import type { SimulatorStats } from "../../src/simulator/stats.ts";

/** A job of a YAML manifest written by {@linkcode writeJobs}. */
interface OutputJob {
  id: string;
  output?: string;
}

/**
 * Write a YAML manifest of 1.0 jobs, each with its prompt made from its id.
 *
 * @returns The manifest's path and the 1-based line each job starts at.
 */
async function writeJobs(
  dir: string,
  jobs: OutputJob[],
  name = "batch.yaml",
): Promise<{ manifest: string; lines: Map<string, number> }> {
  const text = ["jobs:"];
  const lines = new Map<string, number>();
  for (const job of jobs) {
    lines.set(job.id, text.length + 1);
    text.push(`  - id: ${job.id}`);
    text.push(`    prompt: "A paper boat for ${job.id}"`);
    text.push(`    model: doubao-seedance-1-0-pro`);
    if (job.output !== undefined) text.push(`    output: ${job.output}`);
  }
  const manifest = join(dir, name);
  await Deno.writeTextFile(manifest, text.join("\n") + "\n");
  return { manifest, lines };
}

function requestsSeen(stats: SimulatorStats): number {
  return Object.values(stats.requests).reduce((sum, count) => sum + count, 0);
}

function assertNoStack(lines: string[]): void {
  assert.ok(!lines.some((line) => /^\s+at /.test(line)), lines.join("\n"));
}

/** Run `body` with a fresh simulator, stopped afterwards. */
async function withService(body: (service: TestService) => Promise<void>): Promise<void> {
  const service = await startService();
  try {
    await body(service);
  } finally {
    await service.close();
  }
}

/** Run `manifest` to completion against a fresh simulator and return its output folder. */
async function runDone(manifest: string, extra: string[] = []): Promise<void> {
  await withService(async (service) => {
    const result = await runAgainst(manifest, service, extra);
    assert.equal(result.code, 0, result.stderr.join("\n"));
  });
}

// ---- item 1: recorded videos belong to their jobs ---------------------------

Deno.test("run refuses a job whose output holds another job's recorded video (issue 8, item 1)", async (t) => {
  const cases: Array<{ name: string; before: OutputJob[]; after: OutputJob[]; file: string }> = [
    {
      name: "A moved to y.mp4 and a new B at x.mp4",
      before: [{ id: "A", output: "x.mp4" }],
      after: [{ id: "A", output: "y.mp4" }, { id: "B", output: "x.mp4" }],
      file: "videos/x.mp4",
    },
    {
      name: "A removed from the manifest and a new B at x.mp4",
      before: [{ id: "A", output: "x.mp4" }],
      after: [{ id: "B", output: "x.mp4" }],
      file: "videos/x.mp4",
    },
    {
      name: "B's output is the name A's id gave its video",
      before: [{ id: "a" }],
      after: [{ id: "b", output: "a.mp4" }],
      file: "videos/a.mp4",
    },
    {
      name: "B's output differs from the recorded name only in case",
      before: [{ id: "A", output: "x.mp4" }],
      after: [{ id: "B", output: "X.mp4" }],
      file: "videos/x.mp4",
    },
  ];
  for (const { name, before, after, file } of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const out = join(dir, "batch.out");
        await runDone((await writeJobs(dir, before)).manifest);
        const recorded = await sha256File(join(out, file));
        const journal = await Deno.readTextFile(join(out, "state.jsonl"));
        const { manifest, lines } = await writeJobs(dir, after);
        const owner = before[0].id;
        const newcomer = after[after.length - 1].id;
        await withService(async (service) => {
          const result = await runAgainst(manifest, service);
          assert.equal(result.code, 2, result.stderr.join("\n"));
          assert.equal(requestsSeen(service.stats()), 0, "nothing was sent");
          const printed = result.stderr.join("\n");
          assert.ok(
            printed.includes(`${manifest}:${lines.get(newcomer)}: job "${newcomer}"`),
            printed,
          );
          assert.ok(printed.includes(`the video of job "${owner}"`), printed);
          assert.match(printed, /another output, or move .* out of the output folder/);
          assertNoStack(result.stderr);
        });
        assert.equal(await sha256File(join(out, file)), recorded, "the recorded video is intact");
        assert.equal(await Deno.readTextFile(join(out, "state.jsonl")), journal);
      });
    });
  }
});

Deno.test("run gives a name to a new job once the recorded video was moved away", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "batch.out");
    await runDone((await writeJobs(dir, [{ id: "A", output: "x.mp4" }])).manifest);
    const { manifest } = await writeJobs(dir, [{ id: "B", output: "x.mp4" }]);
    await Deno.rename(join(out, "videos/x.mp4"), join(dir, "kept-x.mp4"));
    await withService(async (service) => {
      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const report = await readReport(out);
      assert.equal(report.jobs[0].output, "videos/x.mp4");
      assert.equal(await sha256File(join(out, "videos/x.mp4")), report.jobs[0].sha256);
    });
  });
});

Deno.test("run keeps a done job's own recorded name when nothing else claims it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "batch.out");
    const { manifest } = await writeJobs(dir, [{ id: "A", output: "x.mp4" }]);
    await runDone(manifest);
    await withService(async (service) => {
      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      assert.equal(requestsSeen(service.stats()), 0);
    });
    assert.equal((await readReport(out)).jobs[0].status, "done");
  });
});

// ---- item 6: no link inside the output folder is written through -----------

Deno.test("run never writes through a symbolic link inside the output folder (issue 8, item 6)", async (t) => {
  const replaced = [
    "videos/clip-001.mp4.part",
    ".lock",
    `report.json.tmp-${Deno.pid}`,
    "report.html",
    "report.csv",
    "videos/clip-001.mp4",
  ];
  for (const entry of replaced) {
    await t.step(`${entry} is replaced and the run ends as usual`, async () => {
      await withTempDir(async (dir) => {
        const manifest = await writeManifest(dir, sampleJobs(3));
        const out = join(dir, "batch.out");
        await Deno.mkdir(join(out, "videos"), { recursive: true });
        const outside = join(dir, "outside.bin");
        await Deno.writeTextFile(outside, "not the tool's");
        await Deno.symlink(outside, join(out, entry));
        await withService(async (service) => {
          const result = await runAgainst(manifest, service);
          assert.equal(result.code, 0, result.stderr.join("\n"));
          const report = await readReport(out);
          assert.equal(report.totals.done, 3);
          for (const job of report.jobs) {
            const path = join(out, job.output as string);
            assert.ok((await Deno.lstat(path)).isFile, `${job.output} is a file of its own`);
            assert.equal(await sha256File(path), job.sha256);
          }
        });
        assert.equal(await Deno.readTextFile(outside), "not the tool's");
      });
    });
  }
  const refused: Array<[string, "file" | "folder"]> = [["state.jsonl", "file"], [
    "videos",
    "folder",
  ]];
  for (const [entry, kind] of refused) {
    await t.step(`${entry} as a link is refused with exit 2 and nothing sent`, async () => {
      await withTempDir(async (dir) => {
        const manifest = await writeManifest(dir, sampleJobs(2));
        const out = join(dir, "batch.out");
        await Deno.mkdir(out, { recursive: true });
        const outside = join(dir, "outside");
        if (kind === "folder") {
          await Deno.mkdir(outside);
          await Deno.writeTextFile(join(outside, "clip-001.mp4.part"), "not the tool's");
        } else await Deno.writeTextFile(outside, "not the tool's");
        await Deno.symlink(outside, join(out, entry));
        await withService(async (service) => {
          const result = await runAgainst(manifest, service);
          assert.equal(result.code, 2, result.stderr.join("\n"));
          assert.match(result.stderr.join("\n"), new RegExp(`${entry}: it is a symbolic link`));
          assertNoStack(result.stderr);
          assert.equal(requestsSeen(service.stats()), 0);
        });
        const kept = kind === "folder" ? join(outside, "clip-001.mp4.part") : outside;
        assert.equal(await Deno.readTextFile(kept), "not the tool's");
        assert.deepEqual(await Array.fromAsync(Deno.readDir(out), (e) => e.name), [entry]);
      });
    });
  }
});

// ---- item 7: no input is overwritten; no empty --out ------------------------

Deno.test("run and report refuse inputs kept where the tool writes, with exit 2 and nothing sent (issue 8, item 7)", async (t) => {
  const png = async (dir: string): Promise<Uint8Array> => {
    await writeManifest(dir, []);
    return await Deno.readFile(join(dir, "images/a.png"));
  };
  const cases: Array<{
    name: string;
    setup: (dir: string) => Promise<{ args: string[]; input: string }>;
    message: RegExp;
  }> = [
    {
      name: "a CSV manifest named report.csv in the output folder",
      setup: async (dir) => {
        const input = join(dir, "report.csv");
        await Deno.writeTextFile(input, "id,prompt,model\na,A boat,doubao-seedance-1-0-pro\n");
        return { args: [input, "--out", dir], input };
      },
      message: /the manifest .*report\.csv is the output folder's report\.csv/,
    },
    {
      name: "a manifest inside the output folder's videos/",
      setup: async (dir) => {
        await Deno.mkdir(join(dir, "videos"));
        const { manifest } = await writeJobs(join(dir, "videos"), [{ id: "a" }]);
        return { args: [manifest, "--out", dir], input: manifest };
      },
      message: /the manifest .* is inside .*videos, which holds the videos/,
    },
    {
      name: "a manifest under a report's temporary name",
      setup: async (dir) => {
        const input = join(dir, "report.csv.tmp-99");
        await Deno.writeTextFile(input, "id,prompt,model\na,A boat,doubao-seedance-1-0-pro\n");
        const manifest = join(dir, "batch.csv");
        await Deno.symlink(input, manifest);
        return { args: [manifest, "--out", dir], input };
      },
      message: /a report's temporary name in the output folder/,
    },
    {
      name: "a manifest under a journal compaction's temporary name",
      setup: async (dir) => {
        const input = join(dir, "state.jsonl.compact-99");
        await Deno.writeTextFile(input, "id,prompt,model\na,A boat,doubao-seedance-1-0-pro\n");
        const manifest = join(dir, "batch.csv");
        await Deno.symlink(input, manifest);
        return { args: [manifest, "--out", dir], input };
      },
      message: /a journal compaction's temporary name in the output folder/,
    },
    {
      name: "a reference image kept as the output folder's state.jsonl",
      setup: async (dir) => {
        const input = join(dir, "state.jsonl");
        await Deno.writeFile(input, await png(dir));
        const manifest = join(dir, "batch.yaml");
        await Deno.writeTextFile(
          manifest,
          'jobs:\n  - id: a\n    prompt: "A boat"\n    model: doubao-seedance-2-0\n    image: state.jsonl\n',
        );
        return { args: [manifest, "--out", dir], input };
      },
      message: /the image of job "a" .*state\.jsonl is the output folder's state\.jsonl/,
    },
    {
      name: "a --models file kept as the output folder's report.json",
      setup: async (dir) => {
        const input = join(dir, "out", "report.json");
        await Deno.mkdir(join(dir, "out"));
        await Deno.writeTextFile(input, "{}\n");
        const { manifest } = await writeJobs(dir, [{ id: "a" }]);
        return { args: [manifest, "--out", join(dir, "out"), "--models", input], input };
      },
      message: /the --models file .*report\.json is the output folder's report\.json/,
    },
    {
      name: "a --prices file kept as the output folder's report.json",
      setup: async (dir) => {
        const input = join(dir, "out", "report.json");
        await Deno.mkdir(join(dir, "out"));
        await Deno.writeTextFile(input, '{"currency": "USD", "doubao-seedance-1-0-pro": 0.1}\n');
        const { manifest } = await writeJobs(dir, [{ id: "a" }]);
        return { args: [manifest, "--out", join(dir, "out"), "--prices", input], input };
      },
      message: /the --prices file .*report\.json is the output folder's report\.json/,
    },
  ];
  for (const { name, setup, message } of cases) {
    for (const command of ["run", "report"]) {
      await t.step(`${command}: ${name}`, async () => {
        await withTempDir(async (dir) => {
          const { args, input } = await setup(dir);
          const before = await Deno.readFile(input);
          await withService(async (service) => {
            const result = command === "run"
              ? await runAgainst(args[0], service, args.slice(1))
              : await runCli(["report", ...args]);
            assert.equal(result.code, 2, result.stderr.join("\n"));
            assert.match(result.stderr.join("\n"), message);
            assertNoStack(result.stderr);
            assert.equal(requestsSeen(service.stats()), 0);
          });
          assert.deepEqual(await Deno.readFile(input), before, "the input is intact");
          const left = await listFiles(dir);
          assert.ok(!left.includes(".lock") && !left.some((f) => f.endsWith("state.jsonl.tmp")));
        });
      });
    }
  }
});

Deno.test("run accepts --out naming the manifest's own folder", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(2));
    await withService(async (service) => {
      const result = await runAgainst(manifest, service, ["--out", dir]);
      assert.equal(result.code, 0, result.stderr.join("\n"));
    });
    assert.equal((await readReport(dir)).totals.done, 2);
  });
});

Deno.test("run, status, report and plan refuse an empty --out with exit 2 (issue 8, item 7)", async (t) => {
  for (const command of ["run", "status", "report", "plan"]) {
    for (const value of ["", "   "]) {
      await t.step(`${command} --out ${JSON.stringify(value)}`, async () => {
        await withTempDir(async (dir) => {
          const { manifest } = await writeJobs(dir, [{ id: "a" }]);
          await withService(async (service) => {
            const result = command === "run"
              ? await runAgainst(manifest, service, ["--out", value])
              : await runCli([command, manifest, "--out", value]);
            assert.equal(result.code, 2, result.stderr.join("\n"));
            assert.match(result.stderr.join("\n"), /Cannot use an empty --out/);
            assert.equal(requestsSeen(service.stats()), 0);
          });
          assert.deepEqual(await listFiles(dir), ["batch.yaml"]);
        });
      });
    }
  }
});

// ---- item 8: reports that cannot be written ---------------------------------

Deno.test("run ends with the jobs' exit code and one line when report.json is a folder (issue 8, item 8)", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(2));
    const out = join(dir, "batch.out");
    await Deno.mkdir(join(out, "report.json"), { recursive: true });
    await withService(async (service) => {
      const result = await runAgainst(manifest, service);
      assert.equal(result.code, 0, result.stderr.join("\n"));
      const errors = result.stderr.filter((line) => line.startsWith("error:"));
      assert.equal(errors.length, 1, result.stderr.join("\n"));
      assert.match(errors[0], /^error: Cannot write report .*report\.json: Is a directory/);
      assertNoStack(result.stderr);
      const stats = service.stats();
      const events = await readJsonLines(join(out, "state.jsonl"));
      const downloaded = events.filter((event) => event.type === "downloaded");
      assert.equal(downloaded.length, 2);
      for (const event of downloaded) {
        const path = join(out, event.output as string);
        assert.equal(await sha256File(path), stats.servedSha256[event.task as string]);
      }
    });
    assert.ok((await Deno.stat(join(out, "report.json"))).isDirectory);
    const written = await listFiles(out);
    assert.ok(written.includes("report.csv") && written.includes("report.html"), `${written}`);
    const report = await runCli(["report", manifest]);
    assert.equal(report.code, 1);
    assert.deepEqual(report.stderr.length, 1, report.stderr.join("\n"));
    assert.match(report.stderr[0], /^error: Cannot write report .*report\.json: Is a directory/);
    const status = await runCli(["status", manifest]);
    assert.equal(status.code, 0, status.stderr.join("\n"));
  });
});
