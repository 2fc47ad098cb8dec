import assert from "node:assert/strict";
import { InFlightBound } from "../src/runner/in_flight.ts";

Deno.test("InFlightBound grants at most its limit and hands released slots on in order", async () => {
  const bound = new InFlightBound(2);
  const order: string[] = [];
  assert.deepEqual(await bound.acquire(), true);
  assert.deepEqual(await bound.acquire(), true);
  const third = bound.acquire().then((granted) => order.push(`third:${granted}`));
  const fourth = bound.acquire().then((granted) => order.push(`fourth:${granted}`));
  assert.deepEqual(bound.active, 2);
  bound.release();
  await third;
  assert.deepEqual(order, ["third:true"]);
  bound.release();
  await fourth;
  assert.deepEqual(order, ["third:true", "fourth:true"]);
  assert.deepEqual(bound.active, 2);
});

Deno.test("InFlightBound closes itself when every slot is held and work still waits", async () => {
  const bound = new InFlightBound(1);
  assert.deepEqual(await bound.acquire(), true);
  const waiting = bound.acquire();
  const held = bound.hold(); // the only slot's task outlives the run
  assert.deepEqual(await waiting, false);
  await held;
  assert.deepEqual(bound.closed, true);
  assert.deepEqual(bound.active, 0);
});

Deno.test("InFlightBound lets tasks alive at start exceed the limit and blocks new ones", async () => {
  const bound = new InFlightBound(1);
  bound.acquireAlive();
  bound.acquireAlive();
  let granted: boolean | undefined;
  const next = bound.acquire().then((g) => (granted = g));
  bound.release();
  await Promise.resolve();
  assert.deepEqual(granted, undefined); // still one alive: at the limit
  bound.release();
  await next;
  assert.deepEqual(granted, true);
});

Deno.test("InFlightBound.close() answers every waiter with false", async () => {
  const bound = new InFlightBound(1);
  await bound.acquire();
  const waiters = [bound.acquire(), bound.acquire()];
  bound.close();
  assert.deepEqual(await Promise.all(waiters), [false, false]);
  assert.deepEqual(await bound.acquire(), false);
});
