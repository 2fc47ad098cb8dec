/**
 * The two file-system steps every durable writer needs: writing a whole
 * buffer (`FsFile.write` may write less than it is given) and making a
 * folder's entries durable after a create or a rename.
 *
 * @module
 */

/**
 * Writes every byte of `bytes` at the file's current position (or its end,
 * for a file opened to append).
 *
 * @param file An open file.
 * @param bytes What to write.
 */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
}

/**
 * Makes a folder's entries durable (a file created or renamed in it), so the
 * file cannot vanish in a crash after its data was synced. Best effort: not
 * every platform can open or fsync a folder, and the file's own sync still
 * holds its data.
 *
 * @param folder The folder to sync.
 */
export async function syncFolder(folder: string): Promise<void> {
  try {
    using handle = await Deno.open(folder, { read: true });
    await handle.sync();
  } catch {
    // See above: best effort.
  }
}
