/**
 * Where each checked job goes: {@linkcode HeldJobs} keeps every job (the
 * `ValidationResult` of `validateManifest()`, which `plan`, `run`, `status`
 * and `report` work from), {@linkcode CountedJobs} keeps only what the
 * `validate` command prints (the counts, the errors and the warnings), so
 * 1,000,000 valid jobs are checked and let go. Both find clashing ids and
 * outputs over the whole manifest, and give the same errors and warnings in
 * the same order. Pure.
 *
 * @module
 */
import type { Job } from "./job.ts";
import type { RawProblem } from "./raw.ts";
import { type CheckedJob, type Draft, draftOf, entryOf, isDraft, toInvalid } from "./draft.ts";
import { findClashes, flagDuplicates, JobKeys } from "./duplicates.ts";
import { type InvalidJob, type Issue, jobIssue } from "./issues.ts";
import type { ValidationResult } from "./validate.ts";

/** What a collector is told of the manifest once every job is checked. */
export interface ManifestFacts {
  /** Absolute path of the manifest. */
  manifest: string;
  /** How many entries the file holds, when some fan out. */
  entries?: number;
  /** The manifest's own errors (they come first). */
  errors: Issue[];
  /** The combination an expanded job was made from, by index, for its messages. */
  combinationOf: (index: number) => string | undefined;
}

/** Receives each checked job, then makes the result. */
export interface JobCollector<Result> {
  /** A job, checked (in any order: jobs naming images may come after the others). */
  add(job: CheckedJob): void;
  /** Forget the jobs seen so far (the manifest is read again from the start). */
  reset(): void;
  /** About how many jobs are coming in all (a guess), to make room for them at once. */
  reserve?(jobs: number): void;
  /** Every job was added: flag clashes and make the result. */
  finish(facts: ManifestFacts): Result;
}

/** Keeps every job: the full {@linkcode ValidationResult}. */
export class HeldJobs implements JobCollector<ValidationResult> {
  // A job without problems or warnings is kept as its Job alone (no draft), so
  // 100,000 clean jobs cost little more than the jobs themselves.
  #entries: (Job | Draft)[] = [];
  // The jobs hold their ids: the keys keep the same strings rather than copies.
  #keys = new JobKeys({ strings: true });

  /**
   * @param size How many jobs are coming, when known (the list is made that long at once).
   */
  constructor(size = 0) {
    if (size > 0) {
      this.#entries = new Array(size);
      this.#keys.reserve(size);
    }
  }

  add(job: CheckedJob): void {
    this.#keys.add(job);
    const entries = this.#entries;
    while (entries.length < job.index) entries.push(undefined as unknown as Job);
    entries[job.index] = entryOf(job);
  }

  reset(): void {
    this.#entries = [];
    this.#keys = new JobKeys({ strings: true });
  }

  reserve(jobs: number): void {
    this.#keys.reserve(jobs);
  }

  finish(facts: ManifestFacts): ValidationResult {
    const entries = this.#entries;
    flagDuplicates(entries, this.#keys);
    const jobs: Job[] = [];
    const invalid: InvalidJob[] = [];
    const errors: Issue[] = facts.errors;
    const warnings: Issue[] = [];
    const manifestInvalid = manifestInvalidIssue(facts.errors);
    for (const entry of entries) {
      if (!isDraft(entry)) {
        if (manifestInvalid) {
          invalid.push(toInvalid(draftOf(entry), [manifestInvalid(entry)]));
        } else {
          jobs.push(entry);
        }
        continue;
      }
      const issues = issuesOf(entry, facts, errors, warnings);
      if (manifestInvalid) issues.push(manifestInvalid(entry));
      if (issues.length > 0 || !entry.job) {
        invalid.push(toInvalid(entry, issues));
      } else {
        jobs.push(entry.job);
      }
    }
    return {
      manifest: facts.manifest,
      jobs,
      invalid,
      errors,
      warnings,
      total: entries.length,
      entries: facts.entries,
    };
  }
}

/** What {@linkcode CountedJobs} finds: the counts, and every error and warning. */
export interface ValidationCounts {
  /** Absolute path of the manifest. */
  manifest: string;
  /** How many of the jobs counted are valid. */
  valid: number;
  /** How many of the jobs counted are invalid. */
  invalid: number;
  /** Every error: manifest-level ones first, then by job (of the jobs counted). */
  errors: Issue[];
  /** Every warning, by job (of the jobs counted). */
  warnings: Issue[];
  /** How many jobs were counted (all of them unless a filter left some out). */
  total: number;
  /** How many jobs the manifest holds (after `variants` and `matrix` are expanded). */
  manifestTotal: number;
  /** How many entries the file holds, when some of them fan out (`variants`, `matrix`). */
  entries?: number;
}

/**
 * Keeps only the counts, the jobs with problems or warnings (as drafts), and
 * what the clash checks need of every job (see {@linkcode JobKeys}).
 */
export class CountedJobs implements JobCollector<ValidationCounts> {
  readonly #only: ((id: string) => boolean) | undefined;
  #keys = new JobKeys();
  #drafts: Draft[] = [];
  #counted = 0;

  /**
   * @param only Which jobs to count, by id (all when left out); their
   * issues alone are kept. Clashes are still found over every job.
   */
  constructor(only?: (id: string) => boolean) {
    this.#only = only;
  }

  add(job: CheckedJob): void {
    this.#keys.add(job);
    if (this.#only === undefined || this.#only(job.id)) this.#counted += 1;
    if (job.problems.length > 0 || job.warnings.length > 0) {
      this.#drafts.push(entryOf(job) as Draft);
    }
  }

  reset(): void {
    this.#keys = new JobKeys();
    this.#drafts = [];
    this.#counted = 0;
  }

  reserve(jobs: number): void {
    this.#keys.reserve(jobs);
  }

  finish(facts: ManifestFacts): ValidationCounts {
    const keys = this.#keys;
    const only = this.#only;
    const clashes = findClashes(keys);
    // The jobs with something to say, in manifest order: those with problems or
    // warnings of their own, and clean jobs found to clash.
    const drafts = this.#drafts;
    const drafted = new Set(drafts.map((draft) => draft.index));
    for (const at of clashes.keys()) {
      if (drafted.has(at)) continue;
      drafts.push({
        index: at,
        line: keys.lineAt(at),
        id: keys.idAt(at) as string,
        readable: true,
        safeId: "",
        output: "",
        problems: [],
        warnings: [],
      });
    }
    drafts.sort((a, b) => a.index - b.index);
    // A problem of the manifest as a whole makes every job invalid.
    const manifestInvalid = facts.errors.length > 0;
    const errors: Issue[] = facts.errors;
    const warnings: Issue[] = [];
    let invalid = 0;
    for (const draft of drafts) {
      const clash = clashes.get(draft.index);
      if (clash) draft.problems.push(clash);
      if (only !== undefined && !only(draft.id)) continue;
      if (issuesOf(draft, facts, errors, warnings).length > 0 || !draft.job) invalid += 1;
    }
    if (manifestInvalid) invalid = this.#counted;
    return {
      manifest: facts.manifest,
      valid: this.#counted - invalid,
      invalid,
      errors,
      warnings,
      total: this.#counted,
      manifestTotal: keys.count,
      entries: facts.entries,
    };
  }
}

/**
 * A draft's problems as issues, added to the errors, and its warnings to the warnings.
 *
 * @returns The draft's error issues.
 */
function issuesOf(
  draft: Draft,
  facts: ManifestFacts,
  errors: Issue[],
  warnings: Issue[],
): Issue[] {
  const inCombination = (problem: RawProblem): RawProblem => {
    const combination = facts.combinationOf(draft.index);
    return combination === undefined
      ? problem
      : { ...problem, message: `${problem.message} (${combination})` };
  };
  const issues = draft.problems.map((problem) => jobIssue(draft, inCombination(problem)));
  for (const issue of issues) errors.push(issue);
  for (const problem of draft.warnings) warnings.push(jobIssue(draft, inCombination(problem)));
  return issues;
}

/**
 * The issue every job carries when the manifest as a whole has an error, or
 * undefined when it has none.
 */
function manifestInvalidIssue(
  manifestErrors: readonly Issue[],
): ((job: { id: string; index: number; line: number }) => Issue) | undefined {
  const first = manifestErrors[0];
  if (first === undefined) return undefined;
  return (job) =>
    jobIssue(job, {
      code: "manifest_invalid",
      field: null,
      message: `the manifest has an error${
        first.line ? ` at line ${first.line}` : ""
      }: ${first.message}`,
    });
}
