import assert from "node:assert/strict";
import { simulateCommand } from "../src/cli/commands/simulate.ts";
import { parseCommand } from "../src/cli/args.ts";
import type { CliIO } from "../src/cli/io.ts";
import { retrieve, submit, VALID } from "./fixtures/simulator/helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** Read a stream's text up to its first newline; return that line and a reader for the rest. */
async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<{ line: string; rest: () => Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  const [line, ...after] = text.split("\n");
  return {
    line,
    rest: async () => {
      let tail = after.join("\n");
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return tail;
        tail += value;
      }
    },
  };
}

Deno.test("`simulate --port 0` prints its base URL first, answers the docs' requests and exits 0 on SIGTERM", async () => {
  const key = "sk-cli-SECRET-4242";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, "simulate", "--port", "0", "--key", key],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = await firstLine(child.stdout);
  try {
    const base = stdout.line;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

    const auth = { authorization: `Bearer ${key}` };
    const created = await submit(base, VALID, auth);
    assert.equal(created.status, 200);
    const task = await created.json();
    assert.equal(task.status, "SUBMITTED");
    assert.equal(task.object, "video");

    const polled = await retrieve(base, task.id, auth);
    assert.equal(polled.status, 200);
    assert.equal((await polled.json()).id, task.id);

    const wrongKey = await retrieve(base, task.id, { authorization: "Bearer sk-other" });
    assert.equal(wrongKey.status, 401);
    await wrongKey.body?.cancel();

    const stats = await (await fetch(`${base}/_simulator/stats`)).text();
    assert.equal(stats.includes(key), false);
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  assert.equal(status.code, 0);
  const output = (await stdout.rest()) + (await stderr);
  assert.equal(output.includes(key), false);
  assert.equal(output.includes("SECRET"), false);
});

Deno.test("simulateCommand() prints the URL as its first line and returns 0 when stopped", async () => {
  const lines: string[] = [];
  const started = Promise.withResolvers<string>();
  const stop = new AbortController();
  const io: CliIO = {
    stdout: (line) => {
      lines.push(line);
      started.resolve(line);
    },
    stderr: (line) => lines.push(line),
    env: () => undefined,
    interrupt: stop.signal,
  };
  const key = "sk-in-process-SECRET";
  const done = simulateCommand({ name: "simulate", port: 0, host: "127.0.0.1", key }, io);
  const base = await started.promise;
  assert.equal(lines[0], base);
  const response = await submit(base, VALID, { authorization: `Bearer ${key}` });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  stop.abort();
  assert.equal(await done, 0);
  assert.equal(lines.join("\n").includes(key), false);
});

Deno.test("`simulate` with knobs on the command line speaks the dialect, caps tasks in flight and sends the Retry-After asked for", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MOD,
      "simulate",
      "--render-time",
      "3000-3600",
      "--dialect",
      "lower",
      "--max-in-flight",
      "1",
      "--retry-after",
      "7",
      "--seed",
      "11",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = await firstLine(child.stdout);
  try {
    const base = stdout.line;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { authorization: "Bearer sk-any" };
    const first = await submit(base, VALID, auth);
    assert.equal(first.status, 200);
    const task = await first.json();
    assert.equal(task.status, "queued");

    const second = await submit(base, VALID, auth);
    assert.equal(second.status, 429);
    assert.equal(second.headers.get("retry-after"), "7");
    await second.body?.cancel();

    const stats = await (await fetch(`${base}/_simulator/stats`)).json();
    assert.equal(stats.faults.in_flight_cap, 1);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal((await child.status).code, 0);
  await stdout.rest();
  assert.match(
    await stderr,
    /^simulator: render time 3000-3600 s; lower dialect; seed 11; Retry-After 7 s; at most 1 task in flight per key$/m,
  );
});

Deno.test("simulateCommand() applies the parsed --failure-rate, --error-share and --render-time", async () => {
  const command = parseCommand([
    "simulate",
    "--render-time",
    "0",
    "--failure-rate",
    "1",
    "--error-share",
    "1",
  ]);
  assert.ok(command.name === "simulate");
  const started = Promise.withResolvers<string>();
  const stop = new AbortController();
  const io: CliIO = {
    stdout: (line) => started.resolve(line),
    stderr: () => {},
    env: () => undefined,
    interrupt: stop.signal,
  };
  const done = simulateCommand(command, io);
  const base = await started.promise;
  const auth = { authorization: "Bearer sk-any" };
  const created = await (await submit(base, VALID, auth)).json();
  const polled = await (await retrieve(base, created.id, auth)).json();
  assert.equal(polled.status, "ERROR");
  stop.abort();
  assert.equal(await done, 0);
});
