/**
 * The scale-out recipes under deploy/ and in the README: the files parse, and
 * every command they run is one the CLI accepts; the GNU parallel recipe is
 * executed where `parallel` is installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { type Command, parseCommand } from "../src/cli/args.ts";
import { findProgram, testWith } from "./helpers/optional_program.ts";
import { readReport, sampleJobs, startService, TEST_KEY, writeManifest } from "./e2e/harness.ts";
import { withTempDir } from "./helpers/cli.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEPLOY = join(ROOT, "deploy");

/**
 * The tool's command lines in a text: every `seedance-batch ...` or
 * `deno run -A mod.ts ...` up to the end of its line, with the schedulers'
 * shard placeholders filled in as shard 1.
 */
function commandLines(text: string): string[][] {
  const found: string[][] = [];
  for (const match of text.matchAll(/(?:seedance-batch|deno run -A mod\.ts)((?: [^\n>|&;]+)+)/g)) {
    const line = match[1]
      .replaceAll("${{ matrix.shard }}", "1")
      .replaceAll("$K", "1")
      .replaceAll("%i", "1")
      // What follows is GNU parallel's argument list or a shell comment.
      .replace(/ (:::|#) .*$/, "")
      .trim();
    found.push(line.split(/\s+/));
  }
  return found;
}

/** Parse an argv the CLI's own way; a mistake fails the test with the line. */
function accepted(argv: string[], where: string): Command {
  try {
    return parseCommand(argv);
  } catch (error) {
    throw new Error(`${where}: "${argv.join(" ")}" is refused: ${(error as Error).message}`);
  }
}

function assertRunsShard(commands: Command[], where: string): void {
  const runs = commands.filter((command) => command.name === "run");
  assert.ok(runs.length > 0, `${where} runs no shard`);
  for (const run of runs) {
    assert.ok(run.name === "run" && run.shard !== undefined, `${where}: a run without --shard`);
    assert.deepEqual(run.shard, { index: 1, count: 4 }, where);
  }
}

Deno.test("the Kubernetes manifests parse, take the shard from JOB_COMPLETION_INDEX and run commands the CLI accepts", async (t) => {
  for (const name of ["job.yaml", "cronjob.yaml"]) {
    await t.step(name, async () => {
      const docs = yaml.loadAll(await Deno.readTextFile(join(DEPLOY, "kubernetes", name))) as Array<
        Record<string, unknown>
      >;
      assert.ok(docs.length >= 1);
      const commands: Command[] = [];
      for (const doc of docs) {
        assert.equal(doc.apiVersion, "batch/v1");
        const text = JSON.stringify(doc);
        for (const container of containersOf(doc)) {
          const script = [...(container.command ?? []), ...(container.args ?? [])].join(" ");
          if (script.includes("--shard")) {
            assert.match(script, /K=\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/);
            assert.match(script, /COMETAPI_KEY=/);
          }
          const argv = commandLines(script);
          assert.ok(argv.length > 0, `${name}: a container runs no seedance-batch command`);
          for (const line of argv) commands.push(accepted(line, name));
        }
        if (doc.kind === "Job" && text.includes("--shard")) {
          const spec = doc.spec as Record<string, unknown>;
          assert.equal(spec.completionMode, "Indexed");
        }
      }
      assertRunsShard(commands, name);
      assert.ok(JSON.stringify(docs).includes("secret"), `${name}: the key comes from a Secret`);
      assert.ok(
        JSON.stringify(docs).includes("persistentVolumeClaim"),
        `${name}: output on a volume`,
      );
    });
  }
});

interface Container {
  command?: string[];
  args?: string[];
}

/** Every container of a Job or CronJob document. */
function containersOf(doc: Record<string, unknown>): Container[] {
  // deno-lint-ignore no-explicit-any
  const spec = doc.spec as any;
  const job = doc.kind === "CronJob" ? spec.jobTemplate.spec : spec;
  return job.template.spec.containers as Container[];
}

Deno.test("the GitHub Actions matrix parses and each shard's step runs a command the CLI accepts", async () => {
  const text = await Deno.readTextFile(join(DEPLOY, "github-actions", "render.yml"));
  // deno-lint-ignore no-explicit-any
  const workflow = yaml.load(text) as any;
  assert.deepEqual(workflow.jobs.shard.strategy.matrix.shard, [1, 2, 3, 4]);
  const commands: Command[] = [];
  for (const job of Object.values(workflow.jobs) as Array<{ steps: Array<{ run?: string }> }>) {
    for (const step of job.steps) {
      for (const line of commandLines(step.run ?? "")) commands.push(accepted(line, "render.yml"));
    }
  }
  assertRunsShard(commands, "render.yml");
  assert.ok(commands.some((command) => command.name === "report"), "a merged report");
});

Deno.test("the systemd units are INI lines and the service runs a command the CLI accepts", async () => {
  for (const name of ["seedance-batch@.service", "seedance-batch@.timer"]) {
    const text = await Deno.readTextFile(join(DEPLOY, "systemd", name));
    const sections = new Map<string, Map<string, string>>();
    let section: Map<string, string> | undefined;
    for (const [index, raw] of text.split("\n").entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) {
        section = new Map();
        sections.set(header[1], section);
        continue;
      }
      const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
      assert.ok(pair && section, `${name}:${index + 1} is not an INI line: ${line}`);
      section.set(pair[1], pair[2]);
    }
    if (name.endsWith(".timer")) {
      assert.ok(sections.get("Timer")?.has("OnUnitInactiveSec"));
      assert.equal(sections.get("Install")?.get("WantedBy"), "timers.target");
      continue;
    }
    const exec = sections.get("Service")?.get("ExecStart") ?? "";
    const [argv] = commandLines(exec);
    const command = accepted(argv, name);
    assertRunsShard([command], name);
    assert.equal(sections.get("Service")?.get("SuccessExitStatus"), "3");
  }
});

Deno.test("the cron recipe runs a command the CLI accepts", async () => {
  const text = await Deno.readTextFile(join(DEPLOY, "cron", "crontab"));
  const lines = text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  assert.ok(lines.length > 0);
  for (const line of lines) {
    assert.match(line, /^(\S+\s+){5}/, "five time fields");
    const [argv] = commandLines(line);
    assertRunsShard([accepted(argv, "crontab")], "crontab");
  }
});

Deno.test("the README's scale-out recipes run commands the CLI accepts", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const start = readme.indexOf("## Scaling out");
  assert.ok(start >= 0, "README has a Scaling out section");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const blocks = [...section.matchAll(/```(?:sh|cron)\n([\s\S]*?)```/g)].map((m) => m[1]);
  let count = 0;
  for (const block of blocks) {
    for (const argv of commandLines(block.replaceAll("{}", "1"))) {
      accepted(argv, "README");
      count++;
    }
  }
  assert.ok(count >= 4, `${count} commands found`);
});

const parallel = await findProgram("parallel", ["--version"]);

testWith(
  parallel,
  "the GNU parallel recipe runs four shards at once and the merged report shows every job done",
  async () => {
    await withTempDir(async (dir) => {
      const jobs = sampleJobs(12);
      const manifest = await writeManifest(dir, jobs);
      const service = await startService();
      try {
        // `parallel seedance-batch run m.yaml --shard {}/4 ::: 1 2 3 4`, with
        // `deno run -A mod.ts` standing for seedance-batch.
        const mod = join(ROOT, "mod.ts");
        const output = await new Deno.Command("parallel", {
          args: [
            "--will-cite",
            Deno.execPath(),
            "run",
            "-A",
            mod,
            "run",
            manifest,
            "--shard",
            "{}/4",
            "--poll-interval",
            "0.02",
            "--quiet",
            ":::",
            "1",
            "2",
            "3",
            "4",
          ],
          cwd: dir,
          env: { COMETAPI_KEY: TEST_KEY, COMETAPI_BASE_URL: service.url },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const printed = new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, printed);
        assert.equal(service.stats().tasksCreated, jobs.length);
        const report = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", mod, "report", manifest],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(report.code, 0, new TextDecoder().decode(report.stderr));
        const merged = await readReport(join(dir, "batch.out"));
        assert.equal(merged.totals.done, jobs.length);
      } finally {
        await service.close();
      }
    });
  },
);
