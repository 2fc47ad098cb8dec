/**
 * Writes the report files into the output folder, each atomically (a
 * temporary name, then a rename), so a reader never sees half a report.
 *
 * @module
 */
import { join } from "node:path";
import type { ReportModel } from "./summary.ts";
import { renderReportJson } from "./json.ts";
import { renderReportCsv } from "./csv.ts";
import { renderReportMarkdown } from "./markdown.ts";
import { renderReportHtml } from "./html.ts";

/** Renderers per report file name. */
const RENDERERS: Record<string, (report: ReportModel) => string> = {
  "report.json": renderReportJson,
  "report.csv": renderReportCsv,
  "report.md": renderReportMarkdown,
  "report.html": renderReportHtml,
};

/**
 * Write every report file.
 *
 * @param outDir The output folder.
 * @param report The report model.
 * @returns The paths written.
 */
export async function writeReports(outDir: string, report: ReportModel): Promise<string[]> {
  const written: string[] = [];
  for (const [name, render] of Object.entries(RENDERERS)) {
    const path = join(outDir, name);
    const temporary = `${path}.tmp-${Deno.pid}`;
    await Deno.writeTextFile(temporary, render(report));
    await Deno.rename(temporary, path);
    written.push(path);
  }
  return written;
}
