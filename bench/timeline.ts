/**
 * Where a run's makespan goes, from the simulator's per-task timeline: the
 * tasks are put back on the slots they ran in (a task created after the
 * first C took the slot of the task seen terminal earliest among those not
 * yet followed), and the makespan is cut into its parts along the slot
 * whose last task was seen terminal last (the critical slot): the ramp (its
 * first task created after the run's first), the renders, the detection lag
 * (a task terminal at the simulator to the first GET that saw it), the
 * hand-off (that GET to the slot's next POST creating a task) and the tail
 * (its last GET to the run's last video requested). Pure.
 *
 * @module
 */
import { mean, percentile } from "./measure.ts";

/** One task's times, ms of the simulator's clock. */
export interface TimelineTask {
  /** Created. */
  createdAt: number;
  /** Terminal at the simulator. */
  terminalAt: number;
  /** The first GET that saw it terminal. */
  terminalSeenAt: number;
  /** The first request of its video. */
  downloadAt: number;
}

/** The parts of one slot's time, ms (they add up to its makespan). */
export interface SlotParts {
  /** Its first task created after the run's first task. */
  rampMs: number;
  /** Its tasks' renders. */
  renderMs: number;
  /** Its tasks' detection lags. */
  lagMs: number;
  /** From a task seen terminal to the slot's next task created, summed. */
  handoffMs: number;
  /** From its last task seen terminal to the run's last video requested. */
  tailMs: number;
  /** Tasks it ran. */
  tasks: number;
}

/** The makespan cut into parts. */
export interface MakespanBreakdown {
  /** The first task created to the last video requested. */
  makespanMs: number;
  /** The critical slot's parts (they add up to `makespanMs`). */
  critical: SlotParts;
  /** The C-th task created after the first: the submission ramp. */
  rampMs: number;
  /** Detection lag, every task: mean and p95. */
  lagMeanMs: number;
  lagP95Ms: number;
  /** Hand-off (seen terminal to the slot's next task created), every hand-off: mean and p95. */
  handoffMeanMs: number;
  handoffP95Ms: number;
  /** Seen terminal to its video requested, every task: mean and p95. */
  seenToDownloadMeanMs: number;
  seenToDownloadP95Ms: number;
}

/**
 * Cut a run's makespan into ramp, renders, lag, hand-offs and tail.
 *
 * @param tasks Every task of the run.
 * @param slots `--concurrency` (C).
 * @returns The breakdown.
 */
export function breakDownMakespan(
  tasks: readonly TimelineTask[],
  slots: number,
): MakespanBreakdown {
  const byCreation = [...tasks].sort((a, b) => a.createdAt - b.createdAt);
  const bySeen = [...tasks].sort((a, b) => a.terminalSeenAt - b.terminalSeenAt);
  const start = byCreation[0]?.createdAt ?? 0;
  // Each task's successor on its slot: the i-th task created after the first C follows the i-th seen terminal.
  const next = new Map<TimelineTask, TimelineTask>();
  const handoffs: number[] = [];
  for (let i = slots; i < byCreation.length; i++) {
    const before = bySeen[i - slots];
    next.set(before, byCreation[i]);
    handoffs.push(byCreation[i].createdAt - before.terminalSeenAt);
  }
  const endAll = Math.max(...tasks.map((t) => t.downloadAt));
  let critical: SlotParts | undefined;
  let lastSeen = -Infinity;
  for (const first of byCreation.slice(0, slots)) {
    const parts: SlotParts = {
      rampMs: first.createdAt - start,
      renderMs: 0,
      lagMs: 0,
      handoffMs: 0,
      tailMs: 0,
      tasks: 0,
    };
    let task: TimelineTask | undefined = first;
    let last = first;
    while (task !== undefined) {
      parts.tasks++;
      parts.renderMs += task.terminalAt - task.createdAt;
      parts.lagMs += task.terminalSeenAt - task.terminalAt;
      const following = next.get(task);
      if (following !== undefined) parts.handoffMs += following.createdAt - task.terminalSeenAt;
      last = task;
      task = following;
    }
    parts.tailMs = endAll - last.terminalSeenAt;
    if (last.terminalSeenAt > lastSeen) {
      lastSeen = last.terminalSeenAt;
      critical = parts;
    }
  }
  const lags = tasks.map((t) => t.terminalSeenAt - t.terminalAt);
  const toDownload = tasks.map((t) => t.downloadAt - t.terminalSeenAt);
  return {
    makespanMs: endAll - start,
    critical: critical ??
      { rampMs: 0, renderMs: 0, lagMs: 0, handoffMs: 0, tailMs: 0, tasks: 0 },
    rampMs: (byCreation[Math.min(slots, byCreation.length) - 1]?.createdAt ?? start) - start,
    lagMeanMs: mean(lags),
    lagP95Ms: percentile(lags, 95),
    handoffMeanMs: mean(handoffs),
    handoffP95Ms: percentile(handoffs, 95),
    seenToDownloadMeanMs: mean(toDownload),
    seenToDownloadP95Ms: percentile(toDownload, 95),
  };
}
