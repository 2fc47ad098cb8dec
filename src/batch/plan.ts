/**
 * What a run would do, from the manifest and the output folder's journal:
 * jobs by model and resolution, seconds of video, image uploads, where the
 * jobs stand and, with a price list, the estimated spend. Reads only.
 *
 * @module
 */
import type { ValidationResult } from "../manifest/validate.ts";
import { defaultOutDir, journalPath } from "../manifest/paths.ts";
import { type PlanSummary, summarizePlan } from "../plan_summary.ts";
import { type Estimate, estimateSpend } from "../estimate.ts";
import type { PriceList } from "../prices.ts";
import { verifiedStates } from "../runner/verify_videos.ts";
import { entryAt } from "../out_dir.ts";
import { readJournalWithNotice } from "./folder.ts";

/** Options of {@linkcode planBatch}. */
export interface PlanBatchOptions {
  /** The output folder. @default `<manifest folder>/<manifest name>.out` */
  out?: string;
  /** The user's price list, for the spend estimate. */
  prices?: PriceList;
  /** Receives notices a person should read (corrupt journal lines, unfolded recovery files). */
  onNotice?: (line: string) => void;
}

/** What a run would do. */
export interface BatchPlan {
  /** Jobs by model and resolution, seconds, uploads, and the journal's view when there is one. */
  summary: PlanSummary;
  /** The journal's path, or null when there is no journal yet (every job is pending). */
  journal: string | null;
  /** The estimated spend, when `prices` was given. */
  estimate?: Estimate;
}

/**
 * Plan a batch without running it.
 *
 * @param validation From `validateManifest()` (its valid jobs are planned).
 * @param options The output folder and the price list.
 * @returns The plan.
 */
export async function planBatch(
  validation: ValidationResult,
  options: PlanBatchOptions = {},
): Promise<BatchPlan> {
  const outDir = options.out ?? defaultOutDir(validation.manifest);
  const journal = journalPath(outDir);
  const exists = (await entryAt(journal)) !== undefined;
  const read = await readJournalWithNotice(outDir, options.onNotice ?? (() => {})).catch(
    (error) => {
      // No output folder yet (or a path that is not one): nothing has run.
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return new Map();
      }
      throw error;
    },
  );
  const states = exists || read.size > 0 ? await verifiedStates(outDir, read) : undefined;
  const summary = summarizePlan(validation.jobs, states);
  return {
    summary,
    journal: states === undefined ? null : journal,
    ...(options.prices
      ? { estimate: estimateSpend(validation.jobs, states ?? new Map(), options.prices) }
      : {}),
  };
}
