import assert from "node:assert/strict";
import type { SimulatorFaults } from "../src/simulator/server.ts";
import {
  drain,
  ManualClock,
  retrieve,
  submit,
  VALID,
  withSimulator,
} from "./fixtures/simulator/helpers.ts";

/** Submit once without faults, then turn on `faults` for the next requests. */
async function succeededTask(base: string, clock: ManualClock): Promise<string> {
  const id = (await (await submit(base, VALID)).json()).id;
  clock.advance(1_000);
  return id;
}

Deno.test("submit_reset breaks the connection after the headers and creates nothing", async () => {
  await withSimulator({ faults: { submitReset: 1 } }, async (base, simulator) => {
    const response = await submit(base, VALID);
    await assert.rejects(() => response.json());
    const stats = simulator.stats();
    assert.equal(stats.tasksCreated, 0);
    assert.equal(stats.submissions[0].outcome, "submit_reset");
    assert.equal(stats.faults.submit_reset, 1);
  });
});

Deno.test("submit_server_error answers 500 JSON, 502 HTML, or 524 HTML after creating the task", async (t) => {
  const cases = [
    { status: 500, html: false, creates: 0 },
    { status: 502, html: true, creates: 0 },
    { status: 524, html: true, creates: 1 },
  ];
  for (const c of cases) {
    await t.step(`status ${c.status}`, async () => {
      const faults = { submitServerError: 1, submitServerErrorStatuses: [c.status] };
      await withSimulator({ faults }, async (base, simulator) => {
        const response = await submit(base, VALID);
        assert.equal(response.status, c.status);
        const text = await response.text();
        if (c.html) assert.match(text, /<html/);
        else assert.equal(JSON.parse(text).error.code, "internal_error");
        const stats = simulator.stats();
        assert.equal(stats.tasksCreated, c.creates);
        assert.equal(stats.submissions[0].outcome, "submit_server_error");
        assert.equal(stats.submissions[0].taskId !== null, c.creates === 1);
      });
    });
  }
});

Deno.test("submit_unavailable answers 503 and creates nothing", async () => {
  await withSimulator({ faults: { submitUnavailable: 1 } }, async (base, simulator) => {
    const response = await submit(base, VALID);
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "service_unavailable");
    assert.equal(simulator.stats().tasksCreated, 0);
  });
});

Deno.test("submit_rate_limited answers 429 with Retry-After in seconds or as an HTTP date", async (t) => {
  await t.step("seconds", async () => {
    const faults = { submitRateLimited: 1, retryAfterSeconds: 7 };
    await withSimulator({ faults }, async (base, simulator) => {
      const response = await submit(base, VALID);
      assert.equal(response.status, 429);
      assert.equal(response.headers.get("retry-after"), "7");
      assert.equal((await response.json()).error.code, "rate_limit_exceeded");
      assert.equal(simulator.stats().tasksCreated, 0);
    });
  });
  await t.step("HTTP date", async () => {
    const clock = new ManualClock();
    const faults = { submitRateLimited: 1, retryAfterSeconds: 7, retryAfterHttpDate: 1 };
    await withSimulator({ clock, faults }, async (base) => {
      const response = await submit(base, VALID);
      await response.body?.cancel();
      const date = response.headers.get("retry-after") ?? "";
      assert.match(date, /GMT$/);
      assert.equal(Date.parse(date), clock.now() + 7_000);
    });
  });
});

Deno.test("submit_invalid_request answers 500 with error.code invalid_request", async () => {
  await withSimulator({ faults: { submitInvalidRequest: 1 } }, async (base, simulator) => {
    const response = await submit(base, VALID);
    assert.equal(response.status, 500);
    assert.equal((await response.json()).error.code, "invalid_request");
    assert.equal(simulator.stats().tasksCreated, 0);
  });
});

Deno.test("submit_answer_lost creates the task, then the body read fails", async () => {
  const clock = new ManualClock();
  await withSimulator({ clock, faults: { submitAnswerLost: 1 } }, async (base, simulator) => {
    const response = await submit(base, VALID);
    assert.equal(response.status, 200);
    await assert.rejects(() => response.json());
    const [submission] = simulator.stats().submissions;
    assert.equal(submission.outcome, "submit_answer_lost");
    assert.equal(simulator.stats().tasksCreated, 1);
    const state = await retrieve(base, submission.taskId!);
    assert.equal(state.status, 200);
    await state.body?.cancel();
  });
});

Deno.test("submit_answer_lost in hang mode answers nothing until the client gives up", async () => {
  const faults: SimulatorFaults = { submitAnswerLost: 1, answerLostMode: "hang" };
  await withSimulator({ faults }, async (base, simulator) => {
    const client = new AbortController();
    const pending = submit(base, VALID, {}, client.signal);
    // Wait by asking the simulator (not by sleeping) until the task exists.
    while (simulator.stats().submissions[0]?.outcome !== "submit_answer_lost") {
      await (await fetch(`${base}/_simulator/stats`)).body?.cancel();
    }
    assert.equal(simulator.stats().tasksCreated, 1);
    client.abort(); // the client's timeout fires
    await assert.rejects(pending, (error: Error) => error.name === "AbortError");
  });
});

Deno.test("poll faults: reset, 5xx in the flat envelope or as HTML, 429 with Retry-After", async (t) => {
  const cases: Array<
    { name: string; faults: SimulatorFaults; check: (r: Response) => Promise<void> }
  > = [
    {
      name: "poll_reset",
      faults: { pollReset: 1 },
      check: async (r) => await assert.rejects(() => r.json()),
    },
    ...[500, 503].map((status) => ({
      name: `poll_server_error ${status}`,
      faults: { pollServerError: 1, pollServerErrorStatuses: [status] },
      check: async (r: Response) => {
        assert.equal(r.status, status);
        const body = await r.json();
        assert.equal(typeof body.code, "string");
        assert.equal(typeof body.message, "string");
      },
    })),
    ...[502, 504, 524].map((status) => ({
      name: `poll_server_error ${status}`,
      faults: { pollServerError: 1, pollServerErrorStatuses: [status] },
      check: async (r: Response) => {
        assert.equal(r.status, status);
        assert.match(await r.text(), /<html/);
      },
    })),
    {
      name: "poll_rate_limited",
      faults: { pollRateLimited: 1, retryAfterSeconds: 2 },
      check: async (r) => {
        assert.equal(r.status, 429);
        assert.equal(r.headers.get("retry-after"), "2");
        assert.equal((await r.json()).code, "rate_limit_exceeded");
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await withSimulator({ faults: c.faults }, async (base, simulator) => {
        const id = (await (await submit(base, VALID)).json()).id;
        await c.check(await retrieve(base, id));
        assert.equal(simulator.stats().pollsByTask[id], 1);
        assert.equal(Object.values(simulator.stats().faults).reduce((a, b) => a + b), 1);
      });
    });
  }
});

Deno.test("download faults: a truncated body under a full Content-Length, or a reset before any byte", async (t) => {
  for (const [fault, share] of [["downloadTruncated", 0.5], ["downloadReset", 0]] as const) {
    await t.step(fault, async () => {
      const clock = new ManualClock();
      await withSimulator(
        { clock, renderMs: 0, faults: { [fault]: 1 } },
        async (base, simulator) => {
          const id = await succeededTask(base, clock);
          const state = await (await retrieve(base, id)).json();
          const response = await fetch(state.video_url);
          assert.equal(response.status, 200);
          const size = Number(response.headers.get("content-length"));
          assert.ok(size > 5000);
          const { bytes, failed } = await drain(response);
          assert.equal(failed, true);
          assert.equal(bytes, Math.floor(size * share));
          assert.equal(simulator.stats().downloads, 1);
        },
      );
    });
  }
});

Deno.test("slow responses wait on the injected clock before answering", async () => {
  const clock = new ManualClock();
  const faults = { slow: { probability: 1, delayMs: 250 } };
  await withSimulator({ clock, renderMs: 0, faults }, async (base, simulator) => {
    const id = (await (await submit(base, VALID)).json()).id;
    const state = await (await retrieve(base, id)).json();
    await (await fetch(state.video_url)).arrayBuffer();
    assert.deepEqual(clock.sleeps, [250, 250, 250]);
    assert.equal(simulator.stats().faults.slow, 3);
  });
});

Deno.test("the fault model repeats itself for the same seed and the same requests", async () => {
  const faults = { submitRateLimited: 0.3, submitUnavailable: 0.3, pollServerError: 0.3 };
  async function run(seed: number): Promise<string[]> {
    const clock = new ManualClock();
    const seen: string[] = [];
    await withSimulator(
      { seed, clock, faults, renderMs: { min: 100, max: 5000 } },
      async (base) => {
        for (let i = 0; i < 12; i++) {
          const response = await submit(base, VALID);
          const body = await response.json();
          seen.push(`${response.status}:${body.id ?? ""}`);
          if (response.status === 200) {
            const poll = await retrieve(base, body.id);
            seen.push(`${poll.status}`);
            await poll.body?.cancel();
          }
        }
      },
    );
    return seen;
  }
  const first = await run(42);
  assert.deepEqual(await run(42), first);
  assert.notDeepEqual(await run(43), first);
  assert.ok(first.some((entry) => entry.startsWith("200:")));
  assert.ok(first.some((entry) => !entry.startsWith("200") && entry.includes(":")));
});

Deno.test("requests that come back before Retry-After has passed are counted as violations", async () => {
  const clock = new ManualClock();
  const faults = { submitRateLimited: 1, pollRateLimited: 1, retryAfterSeconds: 2 };
  await withSimulator({ clock, faults }, async (base, simulator) => {
    const early = async (): Promise<void> => await (await submit(base, VALID)).body?.cancel();
    await early(); // 429, come back in 2 s
    clock.advance(1_999);
    await early(); // too early: counted
    assert.equal(simulator.stats().retryAfterViolations, 1);
    clock.advance(2_000);
    await early(); // on time
    assert.equal(simulator.stats().retryAfterViolations, 1);

    await (await retrieve(base, "task_a")).body?.cancel(); // 429 for task_a's polls
    await (await retrieve(base, "task_b")).body?.cancel(); // another task: not early
    assert.equal(simulator.stats().retryAfterViolations, 1);
    clock.advance(500);
    await (await retrieve(base, "task_a")).body?.cancel(); // too early
    assert.equal(simulator.stats().retryAfterViolations, 2);
  });
});

Deno.test("a request within retryAfterGraceMs of a 429 is not a violation (it may have been sent before)", async () => {
  const clock = new ManualClock();
  const faults = { submitRateLimited: 1, retryAfterSeconds: 1, retryAfterGraceMs: 100 };
  await withSimulator({ clock, faults }, async (base, simulator) => {
    await (await submit(base, VALID)).body?.cancel(); // 429
    clock.advance(99);
    await (await submit(base, VALID)).body?.cancel(); // within the grace: not counted, 429 again
    assert.equal(simulator.stats().retryAfterViolations, 0);
    clock.advance(100);
    await (await submit(base, VALID)).body?.cancel(); // after the grace, before Retry-After
    assert.equal(simulator.stats().retryAfterViolations, 1);
  });
});
