/**
 * Validation issues as data: one shape for every error and warning, with its
 * job, line and field, formatted only at the edge. Pure.
 *
 * @module
 */
import type { ManifestProblem, RawProblem } from "./raw.ts";

/** One problem (error or warning), as data; formatted at the edge. */
export interface Issue {
  /** Stable machine-readable code, e.g. `out_of_range`, `unknown_field`. */
  code: string;
  /** The job's id, or null for a problem of the manifest as a whole. */
  job: string | null;
  /** 1-based position of the job in the manifest, or null. */
  index: number | null;
  /** 1-based line of the job (or of the manifest-level problem), when known. */
  line: number | null;
  /** The field at fault, when there is one. */
  field: string | null;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** A job that failed validation, with what could be read of it. */
export interface InvalidJob {
  /** 0-based position in the manifest. */
  index: number;
  /** 1-based line where the job starts. */
  line: number;
  /** Its id (given or derived from what could be read). */
  id: string;
  /** The model, as written. */
  model?: string;
  /** The seconds, when a whole number. */
  seconds?: number;
  /** The size, as written. */
  size?: string;
  /** The resolution, as written. */
  resolution?: string;
  /** Image paths as written. */
  images: string[];
  /** Its errors (warnings are only in `ValidationResult.warnings`). */
  issues: Issue[];
}

/**
 * A job's problem as an issue.
 *
 * @param draft The job's id, 0-based index and line.
 * @param problem The problem.
 * @returns The issue (its `index` 1-based).
 */
export function jobIssue(
  draft: { id: string; index: number; line: number },
  problem: RawProblem,
): Issue {
  return {
    code: problem.code,
    job: draft.id,
    index: draft.index + 1,
    line: draft.line,
    field: problem.field,
    message: problem.message,
  };
}

/**
 * A problem of the manifest as a whole as an issue.
 *
 * @param problem The problem, with its line.
 * @param prefix Where it was found, e.g. `defaults` (the field becomes `defaults.seconds`).
 * @returns The issue, with no job.
 */
export function manifestIssue(
  problem: ManifestProblem | RawProblem & { line: number },
  prefix?: string,
): Issue {
  return {
    code: problem.code,
    job: null,
    index: null,
    line: problem.line,
    field: prefix && problem.field ? `${prefix}.${problem.field}` : prefix ?? problem.field,
    message: problem.message,
  };
}
