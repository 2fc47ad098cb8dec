import assert from "node:assert/strict";
import { createSimulator } from "../src/simulator/handler.ts";

function submit(handler: (request: Request) => Promise<Response>, key: string): Promise<Response> {
  const body = new FormData();
  body.set("prompt", "a lantern");
  body.set("model", "doubao-seedance-1-0-pro");
  body.set("seconds", "2");
  return handler(
    new Request("http://sim/v1/videos", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body,
    }),
  );
}

Deno.test("createSimulator({keys}) accepts only those keys and labels them key-1.. in the order given", async () => {
  const simulator = createSimulator({ seed: 1, keys: ["sk-b", "sk-a"], renderMs: 60_000 });
  try {
    const refused = await submit(simulator.handler, "sk-other");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    for (const key of ["sk-a", "sk-a", "sk-b"]) {
      const answer = await submit(simulator.handler, key);
      assert.equal(answer.status, 200, key);
      await answer.body?.cancel();
    }
    const stats = simulator.stats();
    assert.deepEqual(stats.maxTasksInFlightByKey, { "key-1": 1, "key-2": 2 });
    assert.deepEqual(stats.submissions.map((s) => s.key), ["key-2", "key-2", "key-1"]);
  } finally {
    simulator.close();
  }
});
