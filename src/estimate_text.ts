/**
 * The spend estimate as text lines, as `plan --prices`, the `--max-spend`
 * refusal and report.md show it. Every amount carries its currency. Pure.
 *
 * @module
 */
import { type Estimate, SPEND_CATEGORIES, SPEND_LABELS, type SpendLine } from "./estimate.ts";
import { formatMoney } from "./prices.ts";
import { plural } from "./text.ts";

/** How many ids of an unpriced group are printed before "and N more". */
const IDS_SHOWN = 5;

/**
 * The estimate as lines: one per category, then one per model × resolution, then the
 * unpriced jobs.
 *
 * @param estimate The estimate.
 * @returns The lines, without newlines.
 */
export function estimateLines(estimate: Estimate): string[] {
  const money = (micros: bigint): string => formatMoney(micros, estimate.currency);
  const lines = [
    `Estimated spend at the prices in ${estimate.prices} (estimates, not a bill):`,
  ];
  const labelWidth = Math.max(...SPEND_CATEGORIES.map((category) => SPEND_LABELS[category].length));
  const amounts = SPEND_CATEGORIES.map((category) => money(estimate.byCategory[category].amount));
  const amountWidth = Math.max(...amounts.map((amount) => amount.length));
  SPEND_CATEGORIES.forEach((category, at) => {
    const line = estimate.byCategory[category];
    lines.push(
      `  ${SPEND_LABELS[category].padEnd(labelWidth)}  ${counts(line)}  ${
        amounts[at].padStart(amountWidth)
      }${unpricedNote(line)}`,
    );
  });
  if (estimate.rerender !== undefined) {
    const line = estimate.rerender;
    lines.push(
      `  of the failed, ${plural(line.jobs, "job")} edited since submitted: re-rendering ` +
        `them (--rerender-changed) would cost ${money(line.amount)}${unpricedNote(line)}`,
    );
  }
  if (estimate.rows.length > 0) {
    const modelWidth = Math.max(5, ...estimate.rows.map((row) => row.model.length));
    const prices = estimate.rows.map((row) =>
      row.perSecond === undefined ? "no price" : money(row.perSecond)
    );
    const priceWidth = Math.max(10, ...prices.map((price) => price.length));
    const toCome = estimate.rows.map((row) => money(row.byCategory.to_come.amount));
    const totals = estimate.rows.map((row) => money(row.total.amount));
    const toComeWidth = Math.max(7, ...toCome.map((text) => text.length));
    const totalWidth = Math.max(5, ...totals.map((text) => text.length));
    lines.push(
      `  ${"model".padEnd(modelWidth)}  resolution  ${"per second".padStart(priceWidth)}  ${
        "jobs".padStart(6)
      }  ${"seconds".padStart(8)}  ${"to come".padStart(toComeWidth)}  ${
        "total".padStart(totalWidth)
      }`,
    );
    estimate.rows.forEach((row, at) => {
      const unpriced = row.perSecond === undefined;
      lines.push(
        `  ${row.model.padEnd(modelWidth)}  ${row.resolution.padEnd(10)}  ${
          prices[at].padStart(priceWidth)
        }  ${String(row.total.jobs).padStart(6)}  ${String(row.total.seconds).padStart(8)}  ${
          (unpriced ? "unpriced" : toCome[at]).padStart(toComeWidth)
        }  ${(unpriced ? "unpriced" : totals[at]).padStart(totalWidth)}`,
      );
    });
  }
  if (estimate.unpriced.length > 0) {
    lines.push(
      `Unpriced: ${
        plural(estimate.total.unpriced, "job")
      } have no price in ${estimate.prices} (not counted as 0):`,
    );
    for (const group of estimate.unpriced) {
      const shown = group.ids.slice(0, IDS_SHOWN).join(", ");
      const more = group.ids.length > IDS_SHOWN ? ` and ${group.ids.length - IDS_SHOWN} more` : "";
      lines.push(
        `  ${group.model} ${group.resolution}: ${plural(group.ids.length, "job")}: ${shown}${more}`,
      );
    }
  }
  return lines;
}

function counts(line: SpendLine): string {
  return `${plural(line.jobs, "job").padStart(11)}  ${`${line.seconds} s`.padStart(9)}`;
}

function unpricedNote(line: SpendLine): string {
  return line.unpriced === 0 ? "" : ` + ${plural(line.unpriced, "unpriced job")}`;
}
