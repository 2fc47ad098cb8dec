/**
 * How the benchmarks write their figures in bench/RESULTS.md.
 *
 * @module
 */

/**
 * Milliseconds as seconds, e.g. `1.23 s`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Kibibytes as whole mebibytes, e.g. `190 MB`.
 *
 * @param kb Kibibytes.
 * @returns The text.
 */
export function kbToMb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

/**
 * Bytes as mebibytes to one decimal, e.g. `20.4 MB`.
 *
 * @param bytes Bytes.
 * @returns The text.
 */
export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
