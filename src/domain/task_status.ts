/**
 * A video task's status at the service, as the tool names it whichever of
 * the service's two dialects answered. The API client normalises to it, the
 * journal records it.
 *
 * @module
 */

/** A task status normalised from either of the service's dialects. */
export type TaskStatus = "queued" | "in_progress" | "succeeded" | "failed" | "error" | "unknown";
