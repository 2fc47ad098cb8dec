/**
 * report.json: the report model as pretty JSON. Pure.
 *
 * @module
 */
import type { ReportModel } from "./summary.ts";

/**
 * Render report.json.
 *
 * @param report The report model.
 * @returns The file's text.
 */
export function renderReportJson(report: ReportModel): string {
  return JSON.stringify(report, null, 2) + "\n";
}
