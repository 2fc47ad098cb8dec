/**
 * A V8 CPU profile (`deno run --cpu-prof`) summarised: self time by
 * function and by source (file, or Deno's own extension code), idle
 * excluded.
 *
 * @module
 */

/** One line of the summary. */
export interface ProfileLine {
  /** Self time, ms. */
  ms: number;
  /** Share of the non-idle samples, 0..1. */
  share: number;
}

/** What dominates a profile. */
export interface ProfileSummary {
  /** Non-idle sampled time, ms. */
  totalMs: number;
  /** The heaviest functions by self time. */
  functions: Array<ProfileLine & { name: string; where: string }>;
  /** Self time by source file (project files by path, the rest by kind). */
  sources: Array<ProfileLine & { source: string }>;
  /**
   * The project's own functions (src/) by inclusive time: samples with the
   * function anywhere on the stack (counted once per sample), so what a
   * piece of the runner costs with everything it calls.
   */
  projectInclusive: Array<ProfileLine & { name: string; where: string }>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Summarise a `.cpuprofile`.
 *
 * @param text The profile's JSON.
 * @param top How many functions and sources to keep. @default 12
 * @returns Self time by function and by source.
 */
export function summariseProfile(text: string, top = 12): ProfileSummary {
  const profile = JSON.parse(text) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i + 1] is the time the sample i stood for.
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + us);
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const bySource = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === "(idle)") continue;
    totalUs += us;
    const source = sourceOf(frame.url, frame.functionName);
    const where = frame.url === "" ? source : `${source}:${frame.lineNumber + 1}`;
    const name = frame.functionName || "(anonymous)";
    const key = `${name}\n${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    bySource.set(source, (bySource.get(source) ?? 0) + us);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inclusive = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    if (nodes.get(id)?.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (frame === undefined) break;
      const source = sourceOf(frame.url, frame.functionName);
      if (!source.startsWith("src/")) continue;
      const name = frame.functionName || "(anonymous)";
      const where = `${source}:${frame.lineNumber + 1}`;
      const key = `${name}\n${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { name, where, us: 0 };
      entry.us += us;
      inclusive.set(key, entry);
    }
  }
  const share = (us: number): number => (totalUs === 0 ? 0 : us / totalUs);
  return {
    totalMs: totalUs / 1000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    sources: [...bySource.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([source, us]) => ({ source, ms: us / 1000, share: share(us) })),
    projectInclusive: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top * 2)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
  };
}

/** A short name for where code lives: a project path, an npm package, or Deno/V8 itself. */
function sourceOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const project = /\/(src|bench|mod\.ts)(\/.*)?$/.exec(url.replace(/^file:\/\//, ""));
  if (project !== null && !url.includes("/npm/")) return `${project[1]}${project[2] ?? ""}`;
  const npm = /\/npm\/[^/]+\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
  if (npm !== null) return `npm:${npm[1]}`;
  if (url.startsWith("ext:")) return url.split("/").slice(0, 2).join("/");
  if (url.startsWith("node:")) return url;
  return url;
}
