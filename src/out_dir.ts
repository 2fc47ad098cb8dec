/**
 * The output folder: its layout (journal, lock, videos, reports and their
 * temporary names) and the rules that make it the tool's own.
 *
 * - **No link is written through.** Temporary files are created exclusively
 *   after any leftover entry is removed (removing a symbolic link removes the
 *   link, never its target); the journal and the `videos/` folder are checked
 *   with `lstat` and refused when they are links, since replacing them could
 *   lose what the tool recorded. A rename onto a final name that is a link
 *   replaces the link itself.
 * - **No input is overwritten.** A manifest, reference image or `--models`
 *   file kept where the tool writes (a report's or the journal's name, the
 *   lock, a temporary name, anything under `videos/`) is refused before
 *   anything is sent.
 * - **A recorded video belongs to its job.** A name that holds a video the
 *   journal records as a done job's stays that job's while the file is there;
 *   another job that would write its video there is refused.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { ConfigError, ManifestError } from "./errors.ts";
import type { JobState } from "./journal/events.ts";
import type { Job } from "./manifest/job.ts";

/** The checkpoint journal's name in the output folder. */
export const JOURNAL_FILE = "state.jsonl";
/** The lock file's name in the output folder. */
export const LOCK_FILE = ".lock";
/** The videos folder's name in the output folder. */
export const VIDEOS_FOLDER = "videos";
/** The report files, in the order they are written. */
export const REPORT_FILES = ["report.json", "report.csv", "report.md", "report.html"] as const;
/** What a partial download's name adds to its final name. */
export const PART_SUFFIX = ".part";
/**
 * The resume index's name in the output folder: what a run that left
 * nothing to do knew (a cache; see src/resume_index.ts).
 */
export const RESUME_INDEX_FILE = ".resume-index";

/** Names of the files the tool writes directly in the output folder. */
const OWN_FILES = [JOURNAL_FILE, LOCK_FILE, RESUME_INDEX_FILE, ...REPORT_FILES];

/**
 * The temporary name a report is written under before its rename.
 *
 * @param name The report's name, e.g. `report.json`.
 * @param pid The writing process.
 * @returns E.g. `report.json.tmp-4242`.
 */
export function reportTemporaryName(name: string, pid: number): string {
  return `${name}.tmp-${pid}`;
}

/**
 * Whether a name in the output folder is a report's temporary name (left by
 * an interrupted run; swept at the start of the next).
 *
 * @param name A file name.
 * @returns True for names like `report.json.tmp-4242`.
 */
export function isReportTemporary(name: string): boolean {
  return /^report\.[a-z]+\.tmp-\d+$/.test(name);
}

/**
 * The name a compaction writes the new journal under before its rename.
 *
 * @param journal The journal's file name (`state.jsonl`).
 * @param pid The compacting process.
 * @returns E.g. `state.jsonl.compact-4242`.
 */
export function compactTemporaryName(journal: string, pid: number): string {
  return `${journal}.compact-${pid}`;
}

/**
 * Whether a name in the output folder is a compaction's temporary (left by
 * a killed run; never read as the journal, swept by the next run).
 *
 * @param name A file name.
 * @returns True for names like `state.jsonl.compact-4242`.
 */
export function isCompactTemporary(name: string): boolean {
  return /^state\.jsonl\.compact-\d+$/.test(name);
}

/**
 * The name the resume index is written under before its rename.
 *
 * @param pid The writing process.
 * @returns E.g. `.resume-index.tmp-4242`.
 */
export function resumeIndexTemporaryName(pid: number): string {
  return `${RESUME_INDEX_FILE}.tmp-${pid}`;
}

/**
 * Whether a name in the output folder is the resume index's temporary name
 * (left by a killed run; swept by the next).
 *
 * @param name A file name.
 * @returns True for names like `.resume-index.tmp-4242`.
 */
export function isResumeIndexTemporary(name: string): boolean {
  return /^\.resume-index\.tmp-\d+$/.test(name);
}

/**
 * Whether a name in `videos/` is a partial download.
 *
 * @param name A file name.
 * @returns True for names ending in `.part`.
 */
export function isPartialVideo(name: string): boolean {
  return name.endsWith(PART_SUFFIX);
}

// ---- links -----------------------------------------------------------------

/**
 * The entry at `path` without following a link, or undefined when there is none.
 *
 * @param path Any path.
 * @returns What `lstat` says, or undefined.
 */
export async function entryAt(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Refuse an entry of the output folder that is a symbolic link.
 *
 * @param path The entry.
 * @param kind What it should be, for the message when it is neither a link nor that.
 * @returns What `lstat` says of it, or undefined when it does not exist.
 * @throws {ConfigError} (code `out_link`, exit 2) When it is a link, or not of `kind`.
 */
export async function refuseLink(
  path: string,
  kind: "file" | "folder",
): Promise<Deno.FileInfo | undefined> {
  const info = await entryAt(path);
  if (info === undefined) return undefined;
  if (info.isSymlink) {
    throw new ConfigError(
      `Cannot use ${path}: it is a symbolic link, and nothing in the output folder is written ` +
        `through a link; move the link away (the ${kind} it points to is not touched)`,
      { code: "out_link" },
    );
  }
  if (kind === "folder" ? !info.isDirectory : !info.isFile) {
    throw new ConfigError(
      `Cannot use ${path}: it is not a ${kind}; move it out of the output folder`,
      { code: "out_dir" },
    );
  }
  return info;
}

/**
 * Create a file of the tool's own (a temporary name) for writing, never
 * through a link: any entry already there is removed first (a link is removed,
 * not its target), then the file is created exclusively.
 *
 * @param path The file to create.
 * @returns The open file, empty, for writing.
 * @throws {Deno.errors.AlreadyExists} When something recreated the entry in between.
 */
export async function createFresh(path: string): Promise<Deno.FsFile> {
  // `createNew` (O_EXCL) never follows a link: the usual case, nothing there,
  // costs one call; an entry in the way is removed and the create tried again.
  // The first try is a synchronous open: an exclusive create neither waits on
  // a FIFO nor reads anything, and it spares the hand-off to a blocking thread
  // (two context switches per file on a loaded machine, bench/NOTES.md).
  try {
    return Deno.openSync(path, { write: true, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return await Deno.open(path, { write: true, createNew: true });
}

/**
 * Open the journal to append, creating it when absent, never through a link.
 *
 * @param path The journal (`<out>/state.jsonl`).
 * @returns The open file (read and append).
 * @throws {ConfigError} When the journal is a link or not a file, or was
 * replaced by one while it was being opened.
 */
export async function openJournalFile(path: string): Promise<Deno.FsFile> {
  const before = await refuseLink(path, "file");
  // `createNew` never follows a link: a link made in between fails here.
  const file = before === undefined
    ? await Deno.open(path, { read: true, append: true, createNew: true })
    : await Deno.open(path, { read: true, append: true });
  try {
    if (before !== undefined && !sameFile(await file.stat(), await Deno.lstat(path))) {
      await refuseLink(path, "file");
      throw new ConfigError(`Cannot use ${path}: it was replaced while being opened`, {
        code: "out_link",
      });
    }
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}

/**
 * Whether two file infos are one file (`ino` is null where the platform does
 * not report it; then they are taken to be one).
 *
 * @param a One file's info.
 * @param b The other's.
 * @returns True when they are the same file.
 */
export function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  if (a.ino === null || b.ino === null) return true;
  return a.ino === b.ino && a.dev === b.dev;
}

/**
 * Check the entries a run writes into and cannot safely replace: the journal
 * and the `videos/` folder must be a file and a folder of their own, not links.
 * Call it while holding the folder's lock, before sweeping or writing.
 *
 * @param outDir The output folder.
 * @throws {ConfigError} (exit 2) When one of them is a link or of the wrong kind.
 */
export async function checkLayout(outDir: string): Promise<void> {
  await refuseLink(join(outDir, JOURNAL_FILE), "file");
  await refuseLink(join(outDir, VIDEOS_FOLDER), "folder");
}

// ---- inputs ----------------------------------------------------------------

/** A file a command reads. */
export interface InputFile {
  /** The path as given or resolved. */
  path: string;
  /** What it is, for the message: `the manifest`, `the image of job "a"`, `the --models file`. */
  role: string;
}

/**
 * Refuse inputs the tool would overwrite or remove: a file kept in the output
 * folder under one of its own names (the journal, the lock, a report, a
 * report's temporary name) or anywhere under `videos/`. Ordinary layouts pass:
 * the default `<manifest>.out/` next to the manifest, or `--out` naming the
 * manifest's own folder.
 *
 * @param outDir The output folder (it need not exist yet).
 * @param inputs The files the command reads.
 * @param action What the command does, completing "Cannot <action>", e.g. `run batch.yaml`.
 * @throws {ConfigError} (code `out_dir_input`, exit 2) Naming the first such input.
 */
export async function refuseInputsInside(
  outDir: string,
  inputs: readonly InputFile[],
  action: string,
): Promise<void> {
  const folder = await statOrUndefined(outDir);
  // A folder that does not exist (or a file, refused later) holds no input.
  if (!folder?.isDirectory) return;
  const videos = await statOrUndefined(join(outDir, VIDEOS_FOLDER));
  const own: { name: string; info: Deno.FileInfo }[] = [];
  for (const name of OWN_FILES) {
    const info = await entryAt(join(outDir, name));
    if (info !== undefined) own.push({ name, info });
  }
  const isFolder = (info: Deno.FileInfo, target: Deno.FileInfo | undefined): boolean =>
    target !== undefined && info.isDirectory && sameFile(info, target);
  const given = new Set<string>();
  const seen = new Set<string>();
  const folders = new Map<string, { inOut: boolean; inVideos: boolean }>();
  for (const input of inputs) {
    // Many jobs often share one image: look at each path once.
    if (given.has(input.path)) continue;
    given.add(input.path);
    let real: string;
    try {
      // Synchronous: a 100,000-job manifest may name as many images, and
      // the async call's overhead would dominate.
      real = Deno.realPathSync(input.path);
    } catch {
      continue; // Not readable: validation has said so already.
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const parent = dirname(real);
    let where = folders.get(parent);
    if (where === undefined) {
      where = { inOut: false, inVideos: false };
      for (let at = parent;; at = dirname(at)) {
        const info = await statOrUndefined(at);
        if (info !== undefined) {
          if (at === parent && isFolder(info, folder)) where.inOut = true;
          if (isFolder(info, videos)) where.inVideos = true;
        }
        if (dirname(at) === at) break;
      }
      folders.set(parent, where);
    }
    const refuse = (what: string): never => {
      throw new ConfigError(
        `Cannot ${action}: ${input.role} ${input.path} is ${what}; nothing was sent. ` +
          `Keep it outside ${outDir}, or choose another --out`,
        { code: "out_dir_input" },
      );
    };
    if (where.inVideos) refuse(`inside ${join(outDir, VIDEOS_FOLDER)}, which holds the videos`);
    if (!where.inOut) continue;
    if (isReportTemporary(basename(real))) {
      refuse(`a report's temporary name in the output folder, which a run removes`);
    }
    if (isCompactTemporary(basename(real))) {
      refuse(`a journal compaction's temporary name in the output folder, which a run removes`);
    }
    if (isResumeIndexTemporary(basename(real))) {
      refuse(`the resume index's temporary name in the output folder, which a run removes`);
    }
    const info = await statOrUndefined(real);
    const match = info && own.find((entry) => sameFile(entry.info, info));
    if (match) refuse(`the output folder's ${match.name}, which the tool writes`);
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

// ---- recorded outputs ------------------------------------------------------

/** A job that would write its video where the journal records another job's. */
export interface OutputCollision {
  /** The job that would write there. */
  job: Job;
  /** The recorded path, relative to the output folder, as the journal wrote it. */
  output: string;
  /** The id of the job whose video the journal records there. */
  owner: string;
}

/**
 * Where the journal records each done job's video, by name without case (on
 * macOS and Windows `X.mp4` and `x.mp4` are one file, and a batch behaves the
 * same everywhere). When two jobs are recorded at one name, the later
 * download holds it.
 *
 * @param states The journal's states.
 * @returns Recorded output (lower-case) → the owning job and the path as recorded.
 */
export function recordedOutputs(
  states: ReadonlyMap<string, JobState>,
): Map<string, { owner: string; output: string; at: string }> {
  const owners = new Map<string, { owner: string; output: string; at: string }>();
  for (const state of states.values()) {
    if (state.phase !== "done") continue;
    const key = state.output.toLowerCase();
    const at = state.downloadedAt;
    const current = owners.get(key);
    if (current === undefined || current.at <= at) {
      owners.set(key, { owner: state.job, output: state.output, at });
    }
  }
  return owners;
}

/**
 * The jobs whose output names a video the journal records as another job's
 * (pure; {@linkcode findOutputCollisions} keeps only names still on disk).
 *
 * @param jobs The jobs a run would work on.
 * @param states The journal's states.
 * @returns The collisions, in manifest order.
 */
export function outputCollisions(
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
): OutputCollision[] {
  const owners = recordedOutputs(states);
  if (owners.size === 0) return [];
  const collisions: OutputCollision[] = [];
  for (const job of jobs) {
    const owner = owners.get(job.output.toLowerCase());
    if (owner !== undefined && owner.owner !== job.id) {
      collisions.push({ job, output: owner.output, owner: owner.owner });
    }
  }
  return collisions;
}

/**
 * Whether every done video the journal records lies at its own job's output
 * in `jobs` (the usual resume): then no job can want another's name, since a
 * validated manifest's outputs differ from each other even without case.
 * Counted, with no map of a million names.
 */
function ownVideosOnly(jobs: readonly Job[], states: ReadonlyMap<string, JobState>): boolean {
  let done = 0;
  for (const state of states.values()) if (state.phase === "done") done++;
  let own = 0;
  for (const job of jobs) {
    const state = states.get(job.id);
    if (state?.phase === "done" && state.output === job.output) own++;
  }
  return own === done;
}

/**
 * The collisions whose recorded file is still in the output folder: moving or
 * deleting the file gives up its name (the journal then no longer holds a
 * video there to protect).
 *
 * @param outDir The output folder.
 * @param jobs The validated jobs a run would work on: their outputs differ
 *   from each other even without case, as `validateManifest()` makes them
 *   (so a journal whose every video lies at its own job's output, the usual
 *   resume, is settled by counting, with no map of a million names).
 * @param states The journal's states.
 * @returns The collisions that stand.
 */
export async function findOutputCollisions(
  outDir: string,
  jobs: readonly Job[],
  states: ReadonlyMap<string, JobState>,
): Promise<OutputCollision[]> {
  if (ownVideosOnly(jobs, states)) return [];
  const standing: OutputCollision[] = [];
  for (const collision of outputCollisions(jobs, states)) {
    if (await entryAt(join(outDir, collision.output)) !== undefined) standing.push(collision);
  }
  return standing;
}

/**
 * Refuse a run whose jobs would overwrite recorded videos: print each
 * collision (the newcomer with its manifest line, the owner per the journal,
 * and how to resolve it), then throw.
 *
 * @param collisions From {@linkcode findOutputCollisions}.
 * @param context The manifest as the user wrote it, the journal's path, and where to print.
 * @throws {ManifestError} (code `output_taken`, exit 2) When there is any collision.
 */
export function refuseCollisions(
  collisions: readonly OutputCollision[],
  context: { manifest: string; journal: string; print: (line: string) => void },
): void {
  if (collisions.length === 0) return;
  for (const { job, output, owner } of collisions) {
    context.print(
      `${context.manifest}:${job.line}: job "${job.id}": its output ${job.output}` +
        (output === job.output ? "" : ` differs only in case from ${output}, which`) +
        ` holds the video of job "${owner}" (recorded in ${context.journal}); ` +
        `give job "${job.id}" another output, or move ${output} out of the output folder ` +
        `(or delete it) to give up job "${owner}"'s claim`,
    );
  }
  const [first] = collisions;
  throw new ManifestError(
    collisions.length === 1
      ? `Cannot run ${context.manifest}: job "${first.job.id}" at line ${first.job.line} ` +
        `would overwrite ${first.output}, the video of job "${first.owner}"; nothing was sent`
      : `Cannot run ${context.manifest}: ${collisions.length} jobs would overwrite ` +
        `other jobs' videos; nothing was sent`,
    { file: context.manifest, line: first.job.line, field: "output", code: "output_taken" },
  );
}
