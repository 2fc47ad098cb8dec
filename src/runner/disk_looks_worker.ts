/**
 * The Worker of {@linkcode ./disk_looks.ts}: answers each chunk of paths it
 * is sent with what the disk shows for them, as transferred typed arrays.
 * It needs read permission only (a Worker inherits its parent's).
 *
 * Started by `lookAtFiles()` from its module's URL; `deno compile` must
 * be given `--include src/runner/disk_looks_worker.ts` (deno.json's `compile`
 * task) for a compiled binary to hold it.
 *
 * @module
 */
import { type LookAnswer, lookInto, type LookRequest, type LookResend } from "./disk_looks.ts";

/** The part of a Worker's global scope used here (the default lib types `self` as a window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<LookRequest>) => void) | null;
  postMessage(message: LookAnswer | LookResend, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { id, prefix, paths, count } = event.data;
  const list = typeof paths === "string" ? paths.split("\0") : paths;
  if (list.length !== count) {
    // A path held a NUL: the split cannot say which. Ask for the list itself.
    scope.postMessage({ id, unsplit: true }, []);
    return;
  }
  const kinds = new ArrayBuffer(list.length);
  const sizes = new ArrayBuffer(list.length * 8);
  const mtimes = new ArrayBuffer(list.length * 8);
  const answer: LookAnswer = {
    id,
    kinds: new Uint8Array(kinds),
    sizes: new Float64Array(sizes),
    mtimesMs: new Float64Array(mtimes),
  };
  lookInto(prefix, list, 0, list.length, answer, 0);
  scope.postMessage(answer, [kinds, sizes, mtimes]);
};
