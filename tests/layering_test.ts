/**
 * The layering rules of DESIGN.md and issue 12, checked on the imports of
 * every module under src/: data moves one way, and the pure modules never
 * reach for the network, the runner or the command line.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * One rule: no module under `from` (but not under `except`) imports anything
 * under `never` (but not under `allow`). Paths are relative to the repo; one
 * ending in `/` is a folder.
 */
interface Rule {
  from: string[];
  except?: string[];
  never: string[];
  allow?: string[];
  /** Why the rule holds. */
  why: string;
}

const RULES: Rule[] = [
  {
    from: ["src/manifest/", "src/plan.ts", "src/report/"],
    never: ["src/api/", "src/runner/", "src/cli/"],
    why: "DESIGN.md: the pure modules never import from api/, runner/ or cli/",
  },
  {
    from: [
      "src/journal/",
      "src/done_videos.ts",
      "src/renamed_jobs.ts",
      "src/estimate.ts",
      "src/plan_summary.ts",
    ],
    never: ["src/api/", "src/runner/", "src/cli/", "src/batch/"],
    why: "the journal and the pure rules on its states stay below the runner",
  },
  {
    from: ["src/api/"],
    never: ["src/journal/"],
    why: "the API client speaks the service's terms; shared types live in src/domain/",
  },
  {
    from: ["src/image.ts"],
    never: ["src/manifest/"],
    why: "reading an image knows nothing of manifests; hashing lives in src/hash.ts",
  },
  {
    from: ["src/domain/", "src/hash.ts"],
    never: ["src/"],
    allow: ["src/domain/"],
    why: "the shared domain types and the hash depend on nothing of the tool",
  },
  {
    from: ["src/"],
    except: ["src/cli/"],
    never: ["src/cli/"],
    why: "the command line is the top: only it (and mod.ts) imports it",
  },
];

/** Module specifiers a TypeScript file imports or re-exports, static or dynamic. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

/** A rule broken: `file` imports `target` (both relative to the repo). */
interface Violation {
  file: string;
  target: string;
  why: string;
}

/** Whether `path` is `prefix` or lies under it (a prefix ending in `/` is a folder). */
function under(path: string, prefix: string): boolean {
  return prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix;
}

/**
 * The rules a set of modules breaks.
 *
 * @param modules Text of each module, by path relative to the repo.
 * @param rules The rules.
 * @returns One entry per import that breaks a rule.
 */
function violations(modules: ReadonlyMap<string, string>, rules: readonly Rule[]): Violation[] {
  const found: Violation[] = [];
  for (const [file, text] of modules) {
    for (const specifier of importsOf(text)) {
      if (!specifier.startsWith(".")) continue;
      const target = normalize(join(dirname(file), specifier));
      for (const rule of rules) {
        const covered = rule.from.some((prefix) => under(file, prefix)) &&
          !(rule.except ?? []).some((prefix) => under(file, prefix));
        const barred = rule.never.some((prefix) => under(target, prefix)) &&
          !(rule.allow ?? []).some((prefix) => under(target, prefix));
        if (covered && barred) {
          found.push({ file, target, why: rule.why });
          break;
        }
      }
    }
  }
  return found;
}

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

async function sourceModules(): Promise<Map<string, string>> {
  const modules = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && path.endsWith(".ts")) {
        modules.set(relative(ROOT, path), await Deno.readTextFile(path));
      }
    }
  };
  await walk(join(ROOT, "src"));
  return modules;
}

Deno.test("src/ keeps the layering rules: pure modules, api/ apart from journal/, image.ts apart from manifest/", async () => {
  const modules = await sourceModules();
  assert.ok(modules.size > 50, `only ${modules.size} modules found under src/`);
  assert.ok(modules.has("src/plan.ts") && modules.has("src/api/wire.ts"));
  assert.deepEqual(violations(modules, RULES), []);
});

Deno.test("the layering check finds an import that breaks a rule, in every form of import", () => {
  const modules = new Map([
    ["src/plan.ts", 'import type { Task } from "./api/wire.ts";\nimport "./runner/clock.ts";'],
    ["src/report/summary.ts", 'export { main } from "../cli/main.ts";'],
    ["src/api/wire.ts", 'const m = await import("../journal/events.ts");'],
    ["src/image.ts", 'import {\n  sha256Hex,\n} from "./manifest/ids.ts";'],
    ["src/domain/job_error.ts", 'import { isRecord } from "../text.ts";'],
    ["src/domain/task_status.ts", 'import type { JobError } from "./job_error.ts";'],
    ["src/cli/main.ts", 'import { parseArgs } from "./args.ts";'],
    ["src/manifest/ids.ts", 'import { sha256Hex } from "../hash.ts";'],
  ]);
  assert.deepEqual(violations(modules, RULES).map((v) => `${v.file} -> ${v.target}`), [
    "src/plan.ts -> src/api/wire.ts",
    "src/plan.ts -> src/runner/clock.ts",
    "src/report/summary.ts -> src/cli/main.ts",
    "src/api/wire.ts -> src/journal/events.ts",
    "src/image.ts -> src/manifest/ids.ts",
    "src/domain/job_error.ts -> src/text.ts",
  ]);
});
