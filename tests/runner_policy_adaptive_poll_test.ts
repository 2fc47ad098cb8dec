/**
 * Adaptive polling: the pure timing policy (`nextPollDelay` with render
 * evidence and progress), the render-time evidence built from the journal,
 * and the executor polling by it on a fake clock.
 */
import assert from "node:assert/strict";
import {
  MIN_POLL_GAP_SHARE,
  nextPollDelay,
  OVERDUE_SHARE,
  type PollHistory,
  type PollingMode,
  sightProgress,
} from "../src/runner/policy/poll.ts";
import {
  endedAtFirstPollShare,
  evidenceFromStates,
  RECENT_RENDERS,
  type RenderEvidence,
  renderKindKey,
  renderSpreadMs,
  withRender,
} from "../src/runner/policy/render_evidence.ts";
import type { JobState } from "../src/journal/events.ts";
import { executeRun } from "../src/runner/executor.ts";
import type { SubmitOutcome, SubmitRequest } from "../src/api/client.ts";
import type { Task } from "../src/api/wire.ts";
import type { JournalEvent } from "../src/journal/events.ts";
import type { JobAction } from "../src/plan.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { createRandom } from "../src/simulator/random.ts";
import { fakeVideo } from "./helpers/fake_service.ts";
import { makeJob } from "./helpers/jobs.ts";

const INTERVAL = 1000;

/** A seeded random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Progress = "linear" | "coarse" | "none";

/** The simulator's progress at `elapsed` of a render of `renderMs` (queued for the first fifth). */
function progressAt(elapsed: number, renderMs: number, mode: Progress): number {
  if (elapsed < renderMs / 5 || mode === "none") return 0;
  const linear = Math.min(99, Math.max(1, Math.floor((100 * elapsed) / renderMs)));
  return mode === "linear" ? linear : linear - (linear % 25);
}

interface Polled {
  /** Poll times, as ages of the task. */
  ages: number[];
  /** From the render's end to the poll that saw it. */
  lag: number;
}

/**
 * Poll one task created at 0 that renders for `renderMs`, with the policy
 * alone, on a fake time line: each poll at the delay the policy chose.
 */
function pollTask(
  renderMs: number,
  options: {
    polling: PollingMode;
    shortest?: number;
    /** How much the kind's renders vary (`renderSpreadMs`). */
    spread?: number;
    /** Whether the service reports progress for other tasks of the run. */
    progressReported?: boolean;
    progress: Progress;
    random: () => number;
  },
): Polled {
  const history: PollHistory = {
    startedAt: 0,
    polls: 0,
    failures: 0,
    ...(options.polling === "adaptive" ? { createdAt: 0 } : {}),
    ...(options.shortest === undefined ? {} : { shortestRenderMs: options.shortest }),
    ...(options.spread === undefined ? {} : { renderSpreadMs: options.spread }),
    ...(options.progressReported === undefined
      ? {}
      : { progressReported: options.progressReported }),
  };
  const timing = { pollIntervalMs: INTERVAL, random: options.random, polling: options.polling };
  const ages: number[] = [];
  let now = nextPollDelay(history, 0, timing);
  for (;;) {
    ages.push(now);
    assert.ok(ages.length < 1000, "polling ends");
    if (now >= renderMs) return { ages, lag: now - renderMs };
    history.polls++;
    if (options.polling === "adaptive") {
      history.progress = sightProgress(
        history.progress,
        progressAt(now, renderMs, options.progress),
        now,
      );
    }
    now += nextPollDelay(history, now, timing);
  }
}

/** The longest a task older than `shortest` waited for a poll: the guarantee is one interval. */
function longestWaitPast(ages: number[], shortest: number): number {
  let longest = 0;
  let previous = shortest;
  for (const age of ages) {
    if (age < shortest) continue;
    longest = Math.max(longest, age - previous);
    previous = age;
  }
  return longest;
}

Deno.test("nextPollDelay() polls exactly as fixed polling when adaptive polling has no evidence", async (t) => {
  const histories: [string, PollHistory][] = [
    ["a task just created", { startedAt: 0, polls: 0, failures: 0, createdAt: 0 }],
    ["a task polled 7 times", { startedAt: 0, polls: 7, failures: 0, createdAt: -3000 }],
    [
      "a task whose progress never moved",
      { startedAt: 0, polls: 2, failures: 0, createdAt: 0, progress: [] },
    ],
    ["a task with no creation time", { startedAt: 0, polls: 2, failures: 1 }],
  ];
  for (const [name, history] of histories) {
    await t.step(name, () => {
      const fixed = seeded(7);
      const adaptive = seeded(7);
      for (let i = 0; i < 50; i++) {
        const now = i * 900;
        assert.equal(
          nextPollDelay(history, now, {
            pollIntervalMs: INTERVAL,
            random: adaptive,
            polling: "adaptive",
          }),
          nextPollDelay(history, now, { pollIntervalMs: INTERVAL, random: fixed }),
        );
      }
    });
  }
});

Deno.test("nextPollDelay() never polls a task older than the shortest render seen later than every interval", async (t) => {
  const random = seeded(13);
  // Renders alike (no spread known, or less than an interval) or varied, progress reported
  // for the run's other tasks or not: every way the first poll is placed.
  const kinds: [string, { spread?: number; progressReported?: boolean }][] = [
    ["renders alike", {}],
    ["renders alike (spread 2 intervals)", { spread: 2 * INTERVAL, progressReported: true }],
    ["renders varied, progress reported", { spread: 3 * INTERVAL, progressReported: true }],
    ["renders varied, no progress reported", { spread: 3 * INTERVAL, progressReported: false }],
  ];
  for (const progress of ["linear", "coarse", "none"] as const) {
    for (const shortest of [undefined, 500, 4000]) {
      for (const [kind, evidence] of kinds) {
        await t.step(
          `progress ${progress}, shortest render seen ${shortest ?? "none"}, ${kind}`,
          () => {
            for (let i = 0; i < 200; i++) {
              const renderMs = 2000 + random() * 8000;
              const { ages } = pollTask(renderMs, {
                polling: "adaptive",
                shortest,
                progress,
                random,
                ...evidence,
              });
              // Without a render seen, fixed polling's bound (the interval plus a quarter) until
              // progress moves, then the interval.
              const bound = shortest === undefined ? INTERVAL * 1.25 : INTERVAL;
              const longest = longestWaitPast(ages, shortest ?? 0);
              assert.ok(longest <= bound + 1e-9, `render ${renderMs}: waited ${longest}: ${ages}`);
              // Never faster than the floor; the first poll by the shortest render plus an interval.
              const gaps = ages.map((age, k) => age - (k === 0 ? 0 : ages[k - 1]));
              assert.ok(
                gaps.every((gap) => gap >= INTERVAL * MIN_POLL_GAP_SHARE - 1e-9),
                `${gaps}`,
              );
              if (shortest !== undefined) assert.ok(ages[0] <= shortest + INTERVAL, `${ages}`);
            }
          },
        );
      }
    }
  }
});

Deno.test("nextPollDelay() spends fewer GETs than fixed polling with evidence, and notices the end sooner with progress", async (t) => {
  // Renders of 2-6 intervals, the shortest seen 2 intervals: the bench's shape.
  const rows: [Progress, { gets: number; lag: number; p95: number }][] = [
    // [progress, most GETs per task, mean and p95 lag (intervals) adaptive may have]
    // With linear progress: a first poll about when the task reaches the shortest render
    // seen (its answer gives the ETA), then polls at most an interval apart onto the ETA:
    // 1 + mean(ceil((render - shortest) / interval)) = 3.5 GETs, the guarantee's floor for
    // a first poll at the shortest render. Without progress, every 70-90 % of an interval.
    ["linear", { gets: 3.6, lag: 0.05, p95: 0.1 }],
    ["coarse", { gets: 3.9, lag: 0.4, p95: 0.8 }],
    ["none", { gets: 4.3, lag: 0.45, p95: 0.8 }],
  ];
  for (const [progress, most] of rows) {
    await t.step(`progress ${progress}`, () => {
      const renders = Array.from({ length: 400 }, (_, i) => 2000 + ((i * 37) % 400) * 10);
      const fixed = renders.map((r) =>
        pollTask(r, { polling: "fixed", progress, random: seeded(r) })
      );
      const adaptive = renders.map((r) =>
        pollTask(r, {
          polling: "adaptive",
          shortest: 2000,
          spread: 3200,
          progressReported: progress !== "none",
          progress,
          random: seeded(r),
        })
      );
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const fixedGets = mean(fixed.map((p) => p.ages.length));
      const adaptiveGets = mean(adaptive.map((p) => p.ages.length));
      const lags = adaptive.map((p) => p.lag / INTERVAL).sort((a, b) => a - b);
      const p95 = lags[Math.ceil(0.95 * lags.length) - 1];
      assert.ok(adaptiveGets < fixedGets, `${adaptiveGets} GETs against fixed ${fixedGets}`);
      assert.ok(adaptiveGets <= most.gets, `${adaptiveGets} GETs`);
      assert.ok(mean(lags) <= most.lag, `mean lag ${mean(lags)}`);
      assert.ok(p95 <= most.p95, `p95 lag ${p95}`);
    });
  }
});

Deno.test("nextPollDelay() lands the poll on the ETA of linear progress", async (t) => {
  const timing = { pollIntervalMs: INTERVAL, random: () => 0.5, polling: "adaptive" as const };
  const rows: [string, PollHistory, number, number][] = [
    // [name, history, now, expected delay]
    [
      "half done after 1 s: done at 2 s, polled then (the ETA within an interval)",
      { startedAt: 0, polls: 1, failures: 0, createdAt: 0, progress: [{ at: 1000, progress: 50 }] },
      1000,
      1000,
    ],
    [
      "a tenth done after 1 s: done at 10 s; polls spread evenly, an interval apart, onto it",
      { startedAt: 0, polls: 1, failures: 0, createdAt: 0, progress: [{ at: 1000, progress: 10 }] },
      1000,
      1000,
    ],
    [
      "40 % done after 3 s: done at 7.5 s; 5 polls spread evenly onto it",
      { startedAt: 0, polls: 1, failures: 0, createdAt: 0, progress: [{ at: 3000, progress: 40 }] },
      3000,
      900,
    ],
    [
      "the slope between two sightings ETA (6 s) is before creation's (7.5 s): the later one",
      {
        startedAt: 0,
        polls: 2,
        failures: 0,
        createdAt: 0,
        progress: [{ at: 2000, progress: 20 }, { at: 3000, progress: 40 }],
      },
      3000,
      900,
    ],
    [
      "the slope between two sightings ETA (4.5 s) is after creation's (4.3 s): the later one, 2 polls",
      {
        startedAt: 0,
        polls: 2,
        failures: 0,
        createdAt: 0,
        progress: [{ at: 2000, progress: 50 }, { at: 3000, progress: 70 }],
      },
      3000,
      750,
    ],
    [
      "young task, ETA past the shortest render seen: polls an interval apart from that age on, onto the ETA",
      {
        startedAt: 0,
        polls: 1,
        failures: 0,
        createdAt: 0,
        shortestRenderMs: 3000,
        progress: [{ at: 1000, progress: 10 }],
      },
      1000,
      3000,
    ],
    [
      "young task, ETA 2.5 intervals past the shortest render seen: 3 polls spread evenly from it",
      {
        startedAt: 0,
        polls: 1,
        failures: 0,
        createdAt: 0,
        shortestRenderMs: 3000,
        progress: [{ at: 1000, progress: 100 / 5.5 }],
      },
      1000,
      2000 + 2500 / 3,
    ],
    [
      "young task, ETA before the shortest render seen: polled at the ETA",
      {
        startedAt: 0,
        polls: 1,
        failures: 0,
        createdAt: 0,
        shortestRenderMs: 5000,
        progress: [{ at: 1000, progress: 40 }],
      },
      1000,
      1500,
    ],
    [
      "ETA passed a moment ago (the answer's status was being journaled): polled at the floor",
      {
        startedAt: 0,
        polls: 1,
        failures: 0,
        createdAt: 0,
        shortestRenderMs: 900,
        progress: [{ at: 990, progress: 99 }],
      },
      1050,
      INTERVAL * MIN_POLL_GAP_SHARE,
    ],
    [
      "ETA overdue by a quarter interval: as no ETA, 75-100 % of an interval (random 0.5)",
      {
        startedAt: 0,
        polls: 1,
        failures: 0,
        createdAt: 0,
        shortestRenderMs: 900,
        progressReported: true,
        progress: [{ at: 990, progress: 99 }],
      },
      1000 + INTERVAL * OVERDUE_SHARE,
      INTERVAL * 0.875,
    ],
    [
      "progress at 99 and overdue, no render seen: no ETA, as fixed polling",
      { startedAt: 0, polls: 5, failures: 0, createdAt: 0, progress: [{ at: 1000, progress: 99 }] },
      5000,
      1000,
    ],
  ];
  for (const [name, history, now, expected] of rows) {
    await t.step(name, () => {
      const delay = nextPollDelay(history, now, timing);
      assert.ok(Math.abs(delay - expected) < 1e-6, `${delay}`);
    });
  }
});

Deno.test("sightProgress() keeps the first and the last value seen to move, each when first seen", () => {
  let seen = sightProgress(undefined, 0, 100);
  assert.deepEqual(seen, []);
  seen = sightProgress(seen, 10, 200);
  seen = sightProgress(seen, 10, 300);
  assert.deepEqual(seen, [{ at: 200, progress: 10 }]);
  seen = sightProgress(seen, 30, 400);
  seen = sightProgress(seen, 20, 450);
  seen = sightProgress(seen, 50, 500);
  assert.deepEqual(seen, [{ at: 200, progress: 10 }, { at: 500, progress: 50 }]);
  assert.deepEqual(sightProgress(seen, undefined, 600), seen);
});

const KIND = { model: "doubao-seedance-1-0-pro", resolution: "720p", seconds: 5 };

Deno.test("evidenceFromStates() gives what withRender() over the renders in end order gives (seeded)", () => {
  const random = createRandom(7);
  const at = (ms: number): string => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();
  for (let round = 0; round < 40; round += 1) {
    const jobs: (typeof KIND & { id: string })[] = [];
    const states = new Map<string, JobState>();
    const count = 1 + Math.floor(random() * 400);
    for (let i = 0; i < count; i += 1) {
      const kind = { ...KIND, seconds: 5 + Math.floor(random() * 3) };
      const id = `j${i}`;
      jobs.push({ id, ...kind });
      // Coarse times, so equal end times (ties) are common; some renders are not durations.
      const created = Math.floor(random() * 20) * 1000;
      const ended = created + Math.floor(random() * 20 - 2) * 1000;
      states.set(id, {
        attempts: 1,
        task: "t",
        job: id,
        phase: "succeeded",
        createdAt: at(created),
        completedAt: at(ended),
      });
    }
    // The reference: every render, stably sorted by end time, folded in.
    const renders = jobs.map((job, index) => {
      const state = states.get(job.id)!;
      const endedAt = Date.parse(state.completedAt!);
      return { job, index, endedAt, ms: endedAt - Date.parse(state.createdAt!) };
    }).sort((a, b) => a.endedAt - b.endedAt || a.index - b.index);
    let expected: ReturnType<typeof evidenceFromStates> = new Map();
    for (const { job, ms } of renders) expected = withRender(expected, job, ms);
    assert.deepEqual(evidenceFromStates(jobs, states), expected, `round ${round}`);
  }
});

Deno.test("evidenceFromStates() keeps the shortest render per kind from the journal's times", () => {
  const at = (ms: number): string => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();
  const jobs = [
    { id: "a", ...KIND },
    { id: "b", ...KIND },
    { id: "c", ...KIND, seconds: 10 },
    { id: "d", ...KIND },
    { id: "e", ...KIND },
  ];
  const base = { attempts: 1, task: "t" };
  const states = new Map<string, JobState>([
    ["a", { ...base, job: "a", phase: "succeeded", createdAt: at(0), completedAt: at(61_000) }],
    ["b", { ...base, job: "b", phase: "succeeded", createdAt: at(0), completedAt: at(45_000) }],
    ["c", { ...base, job: "c", phase: "succeeded", createdAt: at(0), completedAt: at(90_000) }],
    // Still running, and a time that is not a time: no evidence.
    ["d", { ...base, job: "d", phase: "running", createdAt: at(0) }],
    ["e", { ...base, job: "e", phase: "succeeded", createdAt: "garbage", completedAt: at(1) }],
    // A job no longer in the manifest: its kind is unknown.
    ["gone", { ...base, job: "gone", phase: "succeeded", createdAt: at(0), completedAt: at(5) }],
  ]);
  const evidence = evidenceFromStates(jobs, states);
  // The recent renders in the order they ended (b at 45 s, a at 61 s).
  assert.deepEqual(evidence.get(renderKindKey(KIND)), {
    shortestMs: 45_000,
    count: 2,
    recentMs: [45_000, 61_000],
  });
  assert.deepEqual(evidence.get(renderKindKey({ ...KIND, seconds: 10 })), {
    shortestMs: 90_000,
    count: 1,
    recentMs: [90_000],
  });
  assert.equal(evidence.size, 2);
  // withRender is pure and ignores durations that are not durations.
  assert.equal(withRender(evidence, KIND, -5), evidence);
  assert.equal(withRender(evidence, KIND, NaN), evidence);
  assert.deepEqual(withRender(evidence, KIND, 30_000).get(renderKindKey(KIND)), {
    shortestMs: 30_000,
    count: 3,
    recentMs: [45_000, 61_000, 30_000],
  });
  assert.deepEqual(evidence.get(renderKindKey(KIND))?.shortestMs, 45_000);
});

/** A service on the fake clock: each task renders `renderMs`, with linear or no progress. */
class TimedService {
  readonly gets: { task: string; at: number }[] = [];
  readonly #created = new Map<string, number>();
  #next = 0;
  constructor(
    readonly clock: FakeClock,
    readonly renderMs: (task: string) => number,
    readonly progress: Progress,
  ) {}

  submit(_request: SubmitRequest): Promise<SubmitOutcome> {
    const id = `task-${this.#next++}`;
    this.#created.set(id, this.clock.now());
    return Promise.resolve({
      kind: "created",
      task: { id, status: "queued", rawStatus: "queued" },
    });
  }

  /** When a task was created, in clock milliseconds. */
  createdAt(id: string): number {
    return this.#created.get(id)!;
  }

  getTask(id: string): Promise<Task> {
    const now = this.clock.now();
    this.gets.push({ task: id, at: now });
    const elapsed = now - this.#created.get(id)!;
    const render = this.renderMs(id);
    if (elapsed >= render) {
      return Promise.resolve({
        id,
        status: "succeeded",
        rawStatus: "SUCCESS",
        progress: 100,
        videoUrl: `https://videos.test/${id}.mp4`,
      });
    }
    const progress = progressAt(elapsed, render, this.progress);
    return Promise.resolve({ id, status: "in_progress", rawStatus: "IN_PROGRESS", progress });
  }

  openVideo(url: string): Promise<Response> {
    return Promise.resolve(new Response(fakeVideo(url, 256) as Uint8Array<ArrayBuffer>));
  }
}

async function runBatchOnFakeClock(
  polling: PollingMode,
  options: {
    renderEvidence?: RenderEvidence;
    /** How the service reports progress. @default "none" */
    progress?: Progress;
    /** Each task's render. @default 4-8 s */
    render?: (task: string) => number;
    /** @default seeded(5) */
    random?: () => number;
    /** @default 5 */
    jobs?: number;
  } = {},
): Promise<TimedService> {
  const outDir = await Deno.makeTempDir({ prefix: "adaptive_poll_test_" });
  try {
    const clock = new FakeClock({ start: Date.UTC(2025, 0, 1) });
    // Renders of 4-8 s, one after another (concurrency 1): the first teaches the rest.
    const service = new TimedService(
      clock,
      options.render ?? ((task) => 4000 + (Number(task.slice(5)) % 5) * 1000),
      options.progress ?? "none",
    );
    const actions: JobAction[] = Array.from({ length: options.jobs ?? 5 }, (_, i) => ({
      kind: "submit",
      job: makeJob({ id: `job-${i}`, ...KIND }),
      key: `key-${i}`,
      newSubmission: true,
      reason: "new",
    }));
    const journal = {
      append: (_event: JournalEvent): Promise<void> => {
        clock.touch();
        return Promise.resolve();
      },
    };
    const result = await executeRun(actions, {
      client: service,
      journal,
      outDir,
      concurrency: 1,
      pollIntervalMs: INTERVAL,
      clock,
      random: options.random ?? seeded(5),
      polling,
      ...(options.renderEvidence === undefined ? {} : { renderEvidence: options.renderEvidence }),
      onEvent: () => clock.touch(),
    });
    assert.equal(result.interrupted, false);
    assert.equal(result.journalFailure, undefined);
    return service;
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

Deno.test("run with adaptive polling learns the shortest render of a kind and skips the polls before it", async () => {
  const fixed = await runBatchOnFakeClock("fixed");
  const adaptive = await runBatchOnFakeClock("adaptive");
  assert.ok(
    adaptive.gets.length < fixed.gets.length,
    `${adaptive.gets.length} GETs against fixed ${fixed.gets.length}`,
  );
  // The first task (no evidence yet) is polled as fixed polling would; every
  // later one not before the shortest render seen (4 s) less a quarter interval.
  const created = new Map<string, number>();
  for (const get of adaptive.gets) if (!created.has(get.task)) created.set(get.task, get.at);
  const laterFirsts = adaptive.gets.filter((g) =>
    g.task !== "task-0" && created.get(g.task) === g.at
  );
  assert.equal(laterFirsts.length, 4);
  const firstGetsOfTask0 = adaptive.gets.filter((g) => g.task === "task-0").length;
  assert.ok(firstGetsOfTask0 >= 4, "the first task is polled every interval");
});

Deno.test("run with adaptive polling uses the journal's evidence from the first task on", async () => {
  const evidence = new Map([[renderKindKey(KIND), { shortestMs: 4000, count: 3 }]]);
  const adaptive = await runBatchOnFakeClock("adaptive", { renderEvidence: evidence });
  const without = await runBatchOnFakeClock("adaptive");
  const task0 = (s: TimedService): number => s.gets.filter((g) => g.task === "task-0").length;
  // task-0 renders 4 s: with evidence it is first polled at about 4 s and seen done at once.
  assert.ok(task0(adaptive) <= 2, `task-0: ${task0(adaptive)} GETs`);
  assert.ok(task0(without) >= 4, `task-0 without evidence: ${task0(without)} GETs`);
});

Deno.test("withRender() keeps the last renders of a kind, and renderSpreadMs() reads how much they vary", () => {
  let evidence: RenderEvidence = new Map();
  assert.equal(renderSpreadMs(evidence.get(renderKindKey(KIND))), undefined);
  for (let i = 0; i < RECENT_RENDERS + 8; i++) evidence = withRender(evidence, KIND, 1000 + i);
  const kind = evidence.get(renderKindKey(KIND));
  assert.equal(kind?.count, RECENT_RENDERS + 8);
  assert.equal(kind?.recentMs?.length, RECENT_RENDERS);
  assert.equal(kind?.recentMs?.[0], 1008, "the oldest fell out");
  const rows: [string, number[], number | undefined][] = [
    // [name, recent renders, spread]
    ["fewer than three: nothing said", [1000, 3000], undefined],
    ["alike", [1000, 1010, 1005, 998], 12],
    // 10 values: the 10th percentile is the 1st, the 90th the 9th (nearest rank).
    ["varied, one outlier above the 90th", [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 8],
    ["spread 500-1500", Array.from({ length: 11 }, (_, i) => 500 + i * 100), 800],
  ];
  for (const [name, recentMs, spread] of rows) {
    assert.equal(renderSpreadMs({ shortestMs: 1, count: recentMs.length, recentMs }), spread, name);
  }
  assert.equal(renderSpreadMs({ shortestMs: 1, count: 9 }), undefined, "no recent renders kept");
});

Deno.test("nextPollDelay() places a task's first poll by how much its kind's renders vary", async (t) => {
  const young = (extra: Partial<PollHistory>): PollHistory => ({
    startedAt: 0,
    polls: 0,
    failures: 0,
    createdAt: 0,
    shortestRenderMs: 4000,
    ...extra,
  });
  const rows: [string, PollHistory, number, number, number][] = [
    // [name, history, now, delay at random 0, delay at random 0.999...]
    [
      "renders alike: when it reaches the shortest render, up to a quarter interval early",
      young({ renderSpreadMs: 100, progressReported: true }),
      0,
      4000,
      3750,
    ],
    [
      "too few renders to tell: as renders alike",
      young({ progressReported: true }),
      0,
      4000,
      3750,
    ],
    [
      "renders varied, progress reported: a quarter interval before the shortest render to half an interval after",
      young({ renderSpreadMs: 2001, progressReported: true }),
      0,
      3750,
      4500,
    ],
    [
      "renders varied, progress reported, but a fifth of the kind's recent tasks seen ended at their first poll: before the shortest render again",
      young({ renderSpreadMs: 2001, progressReported: true, endedAtFirstPollShare: 0.21 }),
      0,
      4000,
      3750,
    ],
    [
      "renders varied, progress reported, a fifth exactly seen ended at their first poll: past it",
      young({ renderSpreadMs: 2001, progressReported: true, endedAtFirstPollShare: 0.2 }),
      0,
      3750,
      4500,
    ],
    [
      "renders varying by 2 intervals: as renders alike",
      young({ renderSpreadMs: 2000, progressReported: true }),
      0,
      4000,
      3750,
    ],
    [
      "renders varied, no progress reported: as renders alike",
      young({ renderSpreadMs: 2001, progressReported: false }),
      0,
      4000,
      3750,
    ],
    [
      "renders varied, half-way to the shortest render: the same point in time",
      young({ renderSpreadMs: 2001, progressReported: true }),
      2000,
      1750,
      2500,
    ],
    [
      "past the shortest render, no ETA, progress reported: 75-100 % of an interval on",
      young({ renderSpreadMs: 2001, progressReported: true, polls: 1 }),
      4900,
      750,
      1000,
    ],
    [
      "past the shortest render, no progress reported: 70-90 % of an interval on",
      young({ renderSpreadMs: 100, polls: 1 }),
      4900,
      700,
      900,
    ],
  ];
  for (const [name, history, now, atZero, atOne] of rows) {
    await t.step(name, () => {
      for (const [random, expected] of [[0, atZero], [1 - 1e-12, atOne]]) {
        const delay = nextPollDelay(history, now, {
          pollIntervalMs: INTERVAL,
          random: () => random,
          polling: "adaptive",
        });
        assert.ok(Math.abs(delay - expected) < 1e-6, `random ${random}: ${delay}`);
      }
    });
  }
});

Deno.test("run with adaptive polling puts a varied kind's first poll past the shortest render once the service has reported progress", async () => {
  // Renders of this kind seen from 4 to 10 s: they vary by more than two intervals.
  const evidence: RenderEvidence = new Map([[renderKindKey(KIND), {
    shortestMs: 4000,
    count: 4,
    recentMs: [4000, 6000, 8000, 10_000],
  }]]);
  const service = await runBatchOnFakeClock("adaptive", {
    renderEvidence: evidence,
    progress: "linear",
    render: () => 6000,
    random: () => 0.9,
    jobs: 2,
  });
  const firstAge = (task: string): number =>
    service.gets.find((g) => g.task === task)!.at - service.createdAt(task);
  // task-0: no progress seen yet in this run: at the shortest render, up to a quarter interval
  // early (random 0.9: 4000 - 225).
  assert.equal(firstAge("task-0"), 3775);
  // task-1: task-0's answers reported progress: a quarter interval before the shortest render to
  // half an interval after (random 0.9: 4000 + 425).
  assert.equal(firstAge("task-1"), 4425);
  // Then at most an interval apart from the shortest render on, the last on the ETA (6 s):
  // each is seen done within a tenth of an interval of its end.
  for (const task of ["task-0", "task-1"]) {
    const ages = service.gets.filter((g) => g.task === task).map((g) =>
      g.at - service.createdAt(task)
    );
    assert.ok(longestWaitPast(ages, 4000) <= INTERVAL, `${task}: ${ages}`);
    const lag = ages.at(-1)! - 6000;
    assert.ok(lag >= 0 && lag < INTERVAL * MIN_POLL_GAP_SHARE, `${task}: ${ages}`);
  }
});

Deno.test("withRender() keeps whether each recent task was seen ended at its first poll, and endedAtFirstPollShare() reads the share", () => {
  let evidence: RenderEvidence = new Map();
  const share = (): number | undefined => endedAtFirstPollShare(evidence.get(renderKindKey(KIND)));
  evidence = withRender(evidence, KIND, 1000);
  assert.equal(evidence.get(renderKindKey(KIND))?.recentEndedAtFirstPoll, undefined, "not said");
  evidence = withRender(evidence, KIND, 1000, true);
  evidence = withRender(evidence, KIND, 1000, false);
  assert.equal(share(), undefined, "two are too few");
  evidence = withRender(evidence, KIND, 1000, false);
  assert.equal(share(), 1 / 3);
  // A render of a task not created by this run (resumed) says nothing of the first poll.
  evidence = withRender(evidence, KIND, 1000);
  assert.deepEqual(evidence.get(renderKindKey(KIND))?.recentEndedAtFirstPoll, [true, false, false]);
  for (let i = 0; i < RECENT_RENDERS; i++) evidence = withRender(evidence, KIND, 1000, false);
  assert.equal(share(), 0, "the oldest fell out");
  assert.equal(evidence.get(renderKindKey(KIND))?.recentEndedAtFirstPoll?.length, RECENT_RENDERS);
});
