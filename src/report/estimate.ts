/**
 * The spend estimate in the reports (`run --prices`, `report --prices`):
 * added to the report model as added fields — report.json's `estimate`
 * object and each job's `estimated_cost`, report.csv's `estimated_cost`
 * column, a section in report.md and report.html — each labelled as an
 * estimate. Without `--prices` none of them appear, so the reports read
 * exactly as before. Pure.
 *
 * @module
 */
import type { JobState } from "../journal/events.ts";
import type { Job } from "../manifest/job.ts";
import {
  type EstimateJson,
  estimateJson,
  estimateSpend,
  jobCost,
  SPEND_CATEGORIES,
  SPEND_LABELS,
} from "../estimate.ts";
import { formatDecimal, type PriceList } from "../prices.ts";
import type { ReportModel } from "./summary.ts";

/**
 * Add the estimate to a report model: its `estimate`, and each row's
 * `estimated_cost` (decimal text, null for an unpriced or invalid job).
 *
 * @param report The report model (its rows are given their cost in place).
 * @param input The valid jobs, the journal's states and the price list.
 * @returns The model with `estimate` set.
 */
export function withEstimate(
  report: ReportModel,
  input: { jobs: readonly Job[]; states: ReadonlyMap<string, JobState>; prices: PriceList },
): ReportModel {
  const costs = new Map<string, string | null>();
  for (const job of input.jobs) {
    const cost = jobCost(input.prices, job);
    costs.set(job.id, cost === undefined ? null : formatDecimal(cost));
  }
  for (const row of report.jobs) {
    row.estimated_cost = row.status === "invalid" ? null : costs.get(row.id) ?? null;
  }
  return {
    ...report,
    estimate: estimateJson(estimateSpend(input.jobs, input.states, input.prices)),
  };
}

/**
 * The estimate as Markdown lines: a section with the categories and the model rows.
 *
 * @param estimate The report's estimate.
 * @param inline Escapes text for inline Markdown.
 * @returns The lines, the section's heading first, ending with a blank line.
 */
export function estimateMarkdown(
  estimate: EstimateJson,
  inline: (text: string) => string,
): string[] {
  const money = (amount: string | null): string =>
    amount === null ? "unpriced" : `${amount} ${inline(estimate.currency)}`;
  const lines = [
    "## Estimated spend",
    "",
    `Estimates at the prices in ${inline(estimate.prices)} (${inline(estimate.note)}).`,
    "",
    "| spend | jobs | seconds | amount | unpriced jobs |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const category of SPEND_CATEGORIES) {
    const line = estimate[category];
    lines.push(
      `| ${SPEND_LABELS[category]} | ${line.jobs} | ${line.seconds} | ${
        money(line.amount)
      } | ${line.unpriced} |`,
    );
  }
  lines.push(
    `| total | ${estimate.total.jobs} | ${estimate.total.seconds} | ${
      money(estimate.total.amount)
    } | ${estimate.total.unpriced} |`,
    "",
  );
  if (estimate.by_model.length > 0) {
    lines.push(
      "| model | resolution | per second | jobs | seconds | amount |",
      "| --- | --- | ---: | ---: | ---: | ---: |",
    );
    for (const row of estimate.by_model) {
      lines.push(
        `| ${inline(row.model)} | ${inline(row.resolution)} | ${
          money(row.price_per_second)
        } | ${row.jobs} | ${row.seconds} | ${money(row.amount)} |`,
      );
    }
    lines.push("");
  }
  return lines;
}

/**
 * The estimate as an HTML section (text escaped by the caller's escaper).
 *
 * @param estimate The report's estimate.
 * @param escape Escapes text for HTML.
 * @returns The section's markup.
 */
export function estimateHtml(estimate: EstimateJson, escape: (text: string) => string): string {
  const money = (amount: string | null): string =>
    amount === null ? "unpriced" : `${escape(amount)} ${escape(estimate.currency)}`;
  const rows = [
    ...SPEND_CATEGORIES.map((category) => [SPEND_LABELS[category], estimate[category]] as const),
    ["total", estimate.total] as const,
  ].map(([label, line]) =>
    `<tr><th scope="row">${escape(label)}</th><td>${line.jobs}</td><td>${line.seconds}</td>` +
    `<td>${money(line.amount)}</td><td>${line.unpriced}</td></tr>`
  );
  return [
    `<section class="estimate" aria-label="Estimated spend">`,
    `<h2>Estimated spend</h2>`,
    `<p>Estimates at the prices in <code>${escape(estimate.prices)}</code> (${
      escape(estimate.note)
    }).</p>`,
    `<table><thead><tr><th>spend</th><th>jobs</th><th>seconds</th><th>amount</th>` +
    `<th>unpriced jobs</th></tr></thead><tbody>`,
    ...rows,
    `</tbody></table>`,
    `</section>`,
  ].join("\n");
}
