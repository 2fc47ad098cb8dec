/**
 * Issue 8 item 15 (a): a service that echoes the key in another form (letter
 * case, percent-encoding, base64 of the key or of `Bearer <key>`) gets it
 * into no file of the output folder and no printed line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { keyRedactor, REDACTED } from "../src/api/redact.ts";
import { runCli, withTempDir } from "./helpers/cli.ts";
import { startHostileService } from "./helpers/hostile_service.ts";
import { listFiles, sampleJobs, writeManifest } from "./e2e/harness.ts";

const KEY = "sk-Live/Key+Test=42abcDEF";

const base64url = (text: string): string => text.replaceAll("+", "-").replaceAll("/", "_");

/** Every form of the key a service might echo, by name. */
const FORMS: Record<string, string> = {
  exact: KEY,
  lower: KEY.toLowerCase(),
  upper: KEY.toUpperCase(),
  "url-encoded": encodeURIComponent(KEY),
  "url-encoded, lower hex": encodeURIComponent(KEY).replace(
    /%[0-9A-F]{2}/g,
    (h) => h.toLowerCase(),
  ),
  "url-encoded, every byte": Array.from(KEY, (c) => `%${c.charCodeAt(0).toString(16)}`).join(""),
  base64: btoa(KEY),
  "base64 of Bearer": btoa(`Bearer ${KEY}`),
  "base64 of basic auth": btoa(`api:${KEY}`),
  "base64url of Bearer": base64url(btoa(`Bearer ${KEY}`)),
  "base64 of JSON": btoa(JSON.stringify({ authorization: `Bearer ${KEY}` })),
};

/** Text in which each form would be found if it leaked (base64 keeps its edges). */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, form] of Object.entries(FORMS)) {
    if (text.includes(form)) found.push(name);
  }
  if (text.toLowerCase().includes(KEY.toLowerCase())) found.push("any case");
  return found;
}

Deno.test("keyRedactor() removes the key in every echoed form and leaves other text", async (t) => {
  const redact = keyRedactor(KEY);
  for (const [name, form] of Object.entries(FORMS)) {
    await t.step(name, () => {
      const text = redact(`before ${form} after`);
      assert.deepEqual(leaks(text), []);
      assert.ok(text.includes(REDACTED), text);
      assert.ok(text.startsWith("before ") && text.endsWith(" after"), text);
    });
  }
  await t.step("ordinary text is unchanged", () => {
    const text = "invalid_request: seconds must be 4..15; see https://x.test/a%2Fb?c=QmVhcmVy";
    assert.equal(redact(text), text);
  });
  await t.step("a short key is removed only where it stands alone", () => {
    const short = keyRedactor("abc");
    assert.equal(short("key ABC, not abcd"), `key ${REDACTED}, not abcd`);
  });
});

Deno.test("run keeps no echoed form of the key in the output folder or the printed lines", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeManifest(dir, sampleJobs(5));
    const all = Object.values(FORMS).join(" | ");
    const service = startHostileService({
      submit: (n) =>
        n === 0
          ? {
            kind: "error",
            status: 400,
            body: { error: { message: `bad key ${all}`, code: FORMS.lower, type: "x" } },
            requestId: `req-${FORMS.base64}`,
          }
          : n === 4
          ? { kind: "created", id: `task-${FORMS["url-encoded"]}` }
          : { kind: "created", id: `task-${n}` },
      task: (id) =>
        id === "task-1"
          ? { kind: "failed", code: FORMS["base64 of Bearer"], message: `refused for ${all}` }
          : id === "task-2"
          ? { kind: "running", status: `waiting-${FORMS.upper}` }
          : {
            kind: "error",
            status: 400,
            body: { message: `no such task for ${"x".repeat(990)}${FORMS.exact}` },
          },
    });
    const printed: string[] = [];
    try {
      for (const format of ["text", "json"]) {
        const result = await runCli(
          [
            "run",
            manifest,
            "--poll-interval",
            "0.02",
            "--once",
            "--pass-time",
            "1",
            "--log-format",
            format,
          ],
          { env: { COMETAPI_KEY: KEY, COMETAPI_BASE_URL: service.url } },
        );
        assert.equal(result.code, 3, result.stderr.join("\n"));
        printed.push(...result.stdout, ...result.stderr);
      }
      for (const argv of [["status", manifest], ["status", manifest, "--json"]]) {
        const result = await runCli(argv);
        printed.push(...result.stdout, ...result.stderr);
      }
    } finally {
      await service.close();
    }
    const out = join(dir, "batch.out");
    const journal = await Deno.readTextFile(join(out, "state.jsonl"));
    assert.match(journal, /\[redacted\]/, "the service's messages are kept, redacted");
    assert.match(journal, /its id task-\[redacted\] holds the API key/);
    for (const file of await listFiles(out)) {
      const text = new TextDecoder().decode(await Deno.readFile(join(out, file)));
      assert.deepEqual(leaks(text), [], file);
    }
    assert.deepEqual(leaks(printed.join("\n")), []);
  });
});
