/**
 * The spend estimate: what a manifest's jobs cost at the user's prices,
 * split by where each job stands, and by model and resolution. Pure; every
 * amount is an exact `bigint` of millionths (see `prices.ts`).
 *
 * A job whose model (or resolution) has no price is **unpriced**: counted
 * and listed apart, never as 0. These are estimates from the user's own
 * price list, not a bill.
 *
 * @module
 */
import type { JobState } from "./journal/events.ts";
import type { Job } from "./manifest/job.ts";
import { type JobAction, type Standing, standingOf } from "./plan.ts";
import { formatDecimal, type PriceList, pricePerSecond } from "./prices.ts";

/** Where a job's spend stands, in the order estimates list them. */
export const SPEND_CATEGORIES = ["to_come", "running", "done", "uncertain", "failed"] as const;

/** A spend category. */
export type SpendCategory = typeof SPEND_CATEGORIES[number];

/** How each category is labelled for people. */
export const SPEND_LABELS: Readonly<Record<SpendCategory, string>> = {
  to_come: "to come (still to submit)",
  running: "rendering (submitted)",
  done: "already rendered (done)",
  uncertain: "possibly billed (uncertain submissions)",
  failed: "failed tasks (billing not documented)",
};

/** The jobs of one category, or of one model × resolution in it. */
export interface SpendLine {
  /** Jobs counted. */
  jobs: number;
  /** Seconds of video they render. */
  seconds: number;
  /** Their estimated cost in millionths, priced jobs only. */
  amount: bigint;
  /** Jobs among them without a price (not in `amount`). */
  unpriced: number;
}

/** One model at one resolution. */
export interface SpendRow {
  /** The model. */
  model: string;
  /** The resolution. */
  resolution: string;
  /** Price per second in millionths; undefined when unpriced. */
  perSecond?: bigint;
  /** All its jobs. */
  total: SpendLine;
  /** Its jobs per category. */
  byCategory: Record<SpendCategory, SpendLine>;
}

/** A model × resolution without a price, with the ids of its jobs. */
export interface UnpricedGroup {
  /** The model. */
  model: string;
  /** The resolution. */
  resolution: string;
  /** Ids of the jobs, in manifest order. */
  ids: string[];
}

/** The whole estimate. */
export interface Estimate {
  /** The currency of every amount. */
  currency: string;
  /** The price file, as the user named it. */
  prices: string;
  /** Every job. */
  total: SpendLine;
  /** Per category. */
  byCategory: Record<SpendCategory, SpendLine>;
  /** Per model × resolution, sorted by model, then resolution. */
  rows: SpendRow[];
  /** The unpriced jobs, grouped. */
  unpriced: UnpricedGroup[];
  /**
   * What re-rendering the jobs edited since they were submitted would cost
   * (`run --rerender-changed`): their new versions at today's prices. They
   * are counted with the failed ones above; absent when there are none.
   */
  rerender?: SpendLine;
}

/**
 * The spend category of a job's standing (an edited job counts with the failed ones, as
 * the report shows it).
 *
 * @param standing Where the job stands by the journal.
 * @returns Its category.
 */
export function categoryOf(standing: Standing): SpendCategory {
  switch (standing) {
    case "pending":
      return "to_come";
    case "changed":
      return "failed";
    default:
      return standing;
  }
}

/**
 * A job's estimated cost: its price per second times its seconds.
 *
 * @param prices The price list.
 * @param job The job (model, resolution, seconds).
 * @returns Millionths, or undefined when the job is unpriced.
 */
export function jobCost(
  prices: PriceList,
  job: Pick<Job, "model" | "resolution" | "seconds">,
): bigint | undefined {
  const price = pricePerSecond(prices, job.model, job.resolution);
  return price === undefined ? undefined : price * BigInt(job.seconds);
}

/**
 * Estimate the spend of every job by where it stands in the journal.
 *
 * @param jobs The valid jobs.
 * @param states The journal's state per job id (empty when there is no journal).
 * @param prices The price list.
 * @returns The estimate.
 */
export function estimateSpend(
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
  prices: PriceList,
): Estimate {
  const standings = jobs.map((job) => ({ job, standing: standingOf(job, states.get(job.id)) }));
  const estimate = estimateOf(
    standings.map(({ job, standing }) => ({ job, category: categoryOf(standing.standing) })),
    prices,
  );
  const changed = standings.filter(({ standing }) => standing.standing === "changed");
  if (changed.length === 0) return estimate;
  const rerender = emptyLine();
  for (const { job } of changed) {
    const cost = jobCost(prices, job);
    rerender.jobs += 1;
    rerender.seconds += job.seconds;
    if (cost === undefined) rerender.unpriced += 1;
    else rerender.amount += cost;
  }
  return { ...estimate, rerender };
}

/**
 * Estimate what a run may submit: every submit action (new jobs, uncertain ones with
 * `--resubmit-uncertain`, failed ones with `--retry-failed`, edited ones with
 * `--rerender-changed`), all counted as to come.
 *
 * @param actions The run's plan.
 * @param prices The price list.
 * @returns The estimate of the submissions.
 */
export function estimateSubmissions(actions: readonly JobAction[], prices: PriceList): Estimate {
  return estimateOf(
    actions.filter((action) => action.kind === "submit").map((action) => ({
      job: action.job,
      category: "to_come" as const,
    })),
    prices,
  );
}

function estimateOf(
  entries: ReadonlyArray<{ job: Job; category: SpendCategory }>,
  prices: PriceList,
): Estimate {
  const rows = new Map<string, SpendRow>();
  const unpriced = new Map<string, UnpricedGroup>();
  const total = emptyLine();
  const byCategory = emptyCategories();
  for (const { job, category } of entries) {
    const key = `${job.model}\u0000${job.resolution}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = {
        model: job.model,
        resolution: job.resolution,
        perSecond: pricePerSecond(prices, job.model, job.resolution),
        total: emptyLine(),
        byCategory: emptyCategories(),
      };
      rows.set(key, row);
    }
    const cost = row.perSecond === undefined ? undefined : row.perSecond * BigInt(job.seconds);
    for (const line of [total, byCategory[category], row.total, row.byCategory[category]]) {
      line.jobs += 1;
      line.seconds += job.seconds;
      if (cost === undefined) line.unpriced += 1;
      else line.amount += cost;
    }
    if (cost === undefined) {
      const group = unpriced.get(key) ?? { model: job.model, resolution: job.resolution, ids: [] };
      group.ids.push(job.id);
      unpriced.set(key, group);
    }
  }
  const order = (a: { model: string; resolution: string }, b: typeof a): number =>
    a.model.localeCompare(b.model) ||
    a.resolution.localeCompare(b.resolution, "en", { numeric: true });
  return {
    currency: prices.currency,
    prices: prices.file,
    total,
    byCategory,
    rows: [...rows.values()].sort(order),
    unpriced: [...unpriced.values()].sort(order),
  };
}

function emptyLine(): SpendLine {
  return { jobs: 0, seconds: 0, amount: 0n, unpriced: 0 };
}

function emptyCategories(): Record<SpendCategory, SpendLine> {
  return {
    to_come: emptyLine(),
    running: emptyLine(),
    done: emptyLine(),
    uncertain: emptyLine(),
    failed: emptyLine(),
  };
}

/** A spend line as JSON: amounts as exact decimal text. */
export interface SpendLineJson {
  /** Jobs on this line. */
  jobs: number;
  /** Seconds of video they ask for. */
  seconds: number;
  /** The priced jobs' estimated cost, e.g. `"12.345"` (unpriced jobs are not in it). */
  amount: string;
  /** Jobs without a price. */
  unpriced: number;
}

/** One model × resolution as JSON; an unpriced one has null amounts, never 0. */
export interface SpendRowJson {
  /** The model. */
  model: string;
  /** The resolution. */
  resolution: string;
  /** The price of one second of video, or null when the price list has none. */
  price_per_second: string | null;
  /** Jobs of this model and resolution. */
  jobs: number;
  /** Seconds of video they ask for. */
  seconds: number;
  /** Their estimated cost, or null when unpriced. */
  amount: string | null;
  /** Jobs without a price (all of them or none). */
  unpriced: number;
  /** The cost of those still to submit. */
  to_come: string | null;
  /** The cost of those rendering now. */
  running: string | null;
  /** The cost of those rendered. */
  done: string | null;
  /** The cost of uncertain submissions (possibly billed). */
  uncertain: string | null;
  /** The cost of failed tasks (whether they are billed is not documented). */
  failed: string | null;
}

/** The estimate as `plan --json` and report.json hold it. */
export interface EstimateJson {
  /** Says that these are estimates from the user's own prices. */
  note: string;
  /** The currency of every amount, from the price list. */
  currency: string;
  /** The price file. */
  prices: string;
  /** Every job. */
  total: SpendLineJson;
  /** Jobs still to submit. */
  to_come: SpendLineJson;
  /** Jobs rendering now. */
  running: SpendLineJson;
  /** Jobs rendered. */
  done: SpendLineJson;
  /** Uncertain submissions (possibly billed). */
  uncertain: SpendLineJson;
  /** Failed tasks (whether they are billed is not documented). */
  failed: SpendLineJson;
  /** The breakdown by model and resolution. */
  by_model: SpendRowJson[];
  /** The unpriced jobs, by model and resolution, with their ids. */
  unpriced: Array<{ model: string; resolution: string; jobs: number; ids: string[] }>;
  /** What `run --rerender-changed` would submit (edited jobs); absent when none. */
  rerender_changed?: SpendLineJson;
}

/** The note every estimate carries. */
export const ESTIMATE_NOTE = "estimates from your own price list, not a bill";

/**
 * The estimate as JSON-ready data: amounts as exact decimal text (never floats).
 *
 * @param estimate The estimate.
 * @returns An object for `plan --json` and report.json.
 */
export function estimateJson(estimate: Estimate): EstimateJson {
  const line = (spend: SpendLine): SpendLineJson => ({
    jobs: spend.jobs,
    seconds: spend.seconds,
    amount: formatDecimal(spend.amount),
    unpriced: spend.unpriced,
  });
  const { byCategory } = estimate;
  return {
    note: ESTIMATE_NOTE,
    currency: estimate.currency,
    prices: estimate.prices,
    total: line(estimate.total),
    to_come: line(byCategory.to_come),
    running: line(byCategory.running),
    done: line(byCategory.done),
    uncertain: line(byCategory.uncertain),
    failed: line(byCategory.failed),
    by_model: estimate.rows.map((row): SpendRowJson => {
      // An unpriced row has no amounts at all: never 0.
      const amount = (spend: SpendLine): string | null =>
        row.perSecond === undefined ? null : formatDecimal(spend.amount);
      return {
        model: row.model,
        resolution: row.resolution,
        price_per_second: row.perSecond === undefined ? null : formatDecimal(row.perSecond),
        jobs: row.total.jobs,
        seconds: row.total.seconds,
        amount: amount(row.total),
        unpriced: row.total.unpriced,
        to_come: amount(row.byCategory.to_come),
        running: amount(row.byCategory.running),
        done: amount(row.byCategory.done),
        uncertain: amount(row.byCategory.uncertain),
        failed: amount(row.byCategory.failed),
      };
    }),
    unpriced: estimate.unpriced.map((group) => ({
      model: group.model,
      resolution: group.resolution,
      jobs: group.ids.length,
      ids: group.ids,
    })),
    ...(estimate.rerender === undefined ? {} : { rerender_changed: line(estimate.rerender) }),
  };
}
