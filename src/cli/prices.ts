/**
 * `--prices FILE` for the commands that take it: the price list read
 * against the catalog the user chose.
 *
 * @module
 */
import { loadCatalog } from "../catalog_file.ts";
import { type LoadedPrices, loadPrices } from "../prices.ts";

/**
 * Read the `--prices` file, if one was given.
 *
 * @param command The optional `--prices` and `--models` files.
 * @returns The price list and its warnings, or undefined without `--prices`.
 * @throws {ManifestError} When either file cannot be read or is not valid.
 */
export async function pricesOf(
  command: { prices?: string; models?: string },
): Promise<LoadedPrices | undefined> {
  if (command.prices === undefined) return undefined;
  return await loadPrices(command.prices, await loadCatalog(command.models));
}
