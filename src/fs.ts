/**
 * The file-system steps the writers and readers share: writing a whole
 * buffer (`FsFile.write` may write less than it is given), reading a whole
 * range, and making a folder's entries durable after a create or a rename.
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
 * Fills `into` from `offset` of the file (`FsFile.read` may read less than
 * asked).
 *
 * @param file An open file.
 * @param offset Where to start reading.
 * @param into Where the bytes go.
 * @returns The count of bytes read: less than `into` holds at the end of the file.
 */
export async function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): Promise<number> {
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < into.length) {
    const n = await file.read(into.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
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
    // Opened synchronously (a folder's open is a metadata call; the fsync,
    // which waits for the disk, stays off the JS thread), and only a folder
    // (or a link to one): opening a FIFO put in its place would wait forever.
    if (!Deno.statSync(folder).isDirectory) return;
    using handle = Deno.openSync(folder, { read: true });
    await handle.sync();
  } catch {
    // See above: best effort.
  }
}

/**
 * Folder syncs shared by concurrent writers (group commit): a sync asked for
 * while another of the same folder is running waits for it to end and is
 * then served by one more sync, shared by everyone who asked meanwhile. A
 * caller's sync always starts after its request, so the entries it created
 * or renamed before asking are covered.
 */
export class FolderSyncs {
  readonly #sync: (folder: string) => Promise<void>;
  readonly #folders = new Map<string, { running?: Promise<void>; next?: Promise<void> }>();
  #count = 0;

  /** @param sync Syncs one folder. @default {@linkcode syncFolder} */
  constructor(sync: (folder: string) => Promise<void> = syncFolder) {
    this.#sync = sync;
  }

  /** How many folder syncs were made. */
  get count(): number {
    return this.#count;
  }

  /**
   * Make a folder's entries durable, sharing the sync with concurrent callers.
   *
   * @param folder The folder to sync.
   * @returns A promise that resolves once a sync of the folder that started
   *   after this call has ended.
   */
  sync(folder: string): Promise<void> {
    let group = this.#folders.get(folder);
    if (group === undefined) this.#folders.set(folder, group = {});
    if (group.next !== undefined) return group.next;
    const entry = group;
    const before = entry.running ?? Promise.resolve();
    const start = async (): Promise<void> => {
      entry.next = undefined;
      entry.running = next;
      this.#count += 1;
      try {
        await this.#sync(folder);
      } finally {
        entry.running = undefined;
        if (entry.next === undefined && this.#folders.get(folder) === entry) {
          this.#folders.delete(folder);
        }
      }
    };
    // A failed sync of others does not fail this one: it makes its own.
    const next: Promise<void> = before.then(start, start);
    entry.next = next;
    return next;
  }
}
