/**
 * The `run --max-spend AMOUNT` guard: before anything is sent, the estimate
 * of what this run may submit is held against the limit. Larger, or any such
 * job unpriced, and the run is refused (exit 2) with the estimate, the limit
 * and the largest contributors printed. Exactly at the limit, it runs.
 * Pure but for the lines it hands to `print`; it sends and writes nothing.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { estimateSubmissions } from "./estimate.ts";
import { estimateLines } from "./estimate_text.ts";
import type { JobAction } from "./plan.ts";
import { formatMoney, type PriceList } from "./prices.ts";
import { plural } from "./text.ts";

/** How many model × resolution rows a refusal names as the largest contributors. */
const CONTRIBUTORS_SHOWN = 5;

/**
 * Hold what a run may submit against `--max-spend`.
 *
 * @param actions The run's plan (its submit actions are what it may pay for).
 * @param options The price list, the limit in millionths, where lines go (standard error
 * for the CLI), and the manifest's name for the message.
 * @throws {ConfigError} With code `max_spend` (exit 2) when the run may spend more than the
 * limit, or when any job it may submit has no price.
 */
export function checkSpendLimit(
  actions: readonly JobAction[],
  options: { prices: PriceList; limit: bigint; print: (line: string) => void; manifest: string },
): void {
  const { prices, limit, print, manifest } = options;
  const estimate = estimateSubmissions(actions, prices);
  const money = (micros: bigint): string => formatMoney(micros, prices.currency);
  const { total } = estimate;
  if (total.unpriced === 0 && total.amount <= limit) {
    print(
      `Estimated spend of this run: ${money(total.amount)} for ${
        plural(total.jobs, "submission")
      }, within --max-spend ${money(limit)} (an estimate from ${prices.file})`,
    );
    return;
  }
  for (const line of estimateLines(estimate)) print(line);
  print(`Limit (--max-spend): ${money(limit)}`);
  const contributors = estimate.rows
    .filter((row) => row.perSecond !== undefined && row.total.amount > 0n)
    .sort((
      a,
      b,
    ) => (a.total.amount < b.total.amount ? 1 : a.total.amount > b.total.amount ? -1 : 0))
    .slice(0, CONTRIBUTORS_SHOWN);
  if (contributors.length > 0) {
    print("Largest contributors:");
    for (const row of contributors) {
      print(
        `  ${row.model} ${row.resolution}: ${
          plural(row.total.jobs, "job")
        }, ${row.total.seconds} s, ${money(row.total.amount)}`,
      );
    }
  }
  const reasons: string[] = [];
  if (total.amount > limit) {
    reasons.push(
      `its estimated spend, ${money(total.amount)}, is more than --max-spend ${money(limit)}`,
    );
  }
  if (total.unpriced > 0) {
    reasons.push(
      `${plural(total.unpriced, "job")} it may submit ${
        total.unpriced === 1 ? "has" : "have"
      } no price in ${prices.file}, so the spend cannot be held to --max-spend ${money(limit)}`,
    );
  }
  const why = reasons.join(", and ");
  throw new ConfigError(`Cannot run ${manifest}: ${why}; nothing was sent`, { code: "max_spend" });
}
