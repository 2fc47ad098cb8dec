import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTempDir } from "./helpers/cli.ts";

const EXAMPLE = join(import.meta.dirname!, "..", "manifests", "example.yaml");

function assertNoStack(lines: string[]): void {
  assert.ok(!lines.some((line) => /^\s+at /.test(line)), lines.join("\n"));
}

Deno.test("run refuses a malformed COMETAPI_BASE_URL with exit 2 and no stack trace", async (t) => {
  for (const value of ["notaurl", "ftp://example.com"]) {
    await t.step(value, async () => {
      await withTempDir(async (dir) => {
        const result = await runCli(["run", EXAMPLE, "--out", dir], {
          env: { COMETAPI_KEY: "k", COMETAPI_BASE_URL: value },
        });
        assert.equal(result.code, 2);
        assert.match(result.stderr.join("\n"), /COMETAPI_BASE_URL must be an http\(s\) URL/);
        assertNoStack(result.stderr);
      });
    });
  }
});

Deno.test("run, status and report refuse an output folder that is a file with exit 2", async (t) => {
  await withTempDir(async (dir) => {
    const file = join(dir, "not-a-folder");
    await Deno.writeTextFile(file, "");
    for (const command of ["run", "status", "report"]) {
      await t.step(command, async () => {
        const extra = command === "run" ? ["--simulate"] : [];
        const result = await runCli([command, EXAMPLE, "--out", file, ...extra], { env: {} });
        assert.equal(result.code, 2);
        assert.match(result.stderr.join("\n"), /not-a-folder as the output folder: it is a file/);
        assertNoStack(result.stderr);
      });
    }
  });
});
