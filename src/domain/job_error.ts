/**
 * Why a job failed, or why it is held: the one shape the service's answers,
 * the journal, the run's events and the reports share.
 *
 * @module
 */

/** An error as kept in the journal and the report. */
export interface JobError {
  /** Stable machine-readable code, e.g. `content_policy`. */
  code: string;
  /** What happened, in words a user can act on. */
  message: string;
}
