/**
 * The live view's thin shell around {@linkcode renderStatusBlock}: on a
 * terminal, one status block redrawn in place below the scrolling event lines
 * (each frame built whole and written in one write); off a terminal, the
 * event lines plus a plain status line at a steady interval. The clock, the
 * timer and the terminal are injected.
 *
 * @module
 */
import type { RunEvent } from "../runner/events.ts";
import { escapeControlsKeepingLines } from "../text.ts";
import {
  initialLiveState,
  type LiveState,
  reduceLive,
  renderStatusBlock,
  renderStatusLine,
} from "./live_state.ts";
import type { Terminal } from "./tty.ts";

/** Calls `fn` every `ms` milliseconds until the returned function is called. */
export type Ticker = (ms: number, fn: () => void) => () => void;

/** The real timer. */
export const realTicker: Ticker = (ms, fn) => {
  const id = setInterval(fn, ms);
  return () => clearInterval(id);
};

/** Settings of {@linkcode LiveView}. */
export interface LiveViewOptions {
  /** Given: the block is redrawn on it. Absent: plain lines through `print`. */
  terminal?: Terminal;
  /** Writes one plain line (off a terminal). */
  print: (line: string) => void;
  /** The bound on tasks in flight. */
  concurrency: number;
  /** The time, in ms. @default Date.now */
  now?: () => number;
  /** @default the real timer */
  ticker?: Ticker;
  /** How often the block may be redrawn on a terminal. @default 250 */
  redrawMs?: number;
  /** How often the status line is printed off a terminal. @default 30000 */
  statusEveryMs?: number;
  /** No block and no status line (`--quiet`). */
  quiet?: boolean;
  /** Width when the terminal does not tell. @default 80 */
  defaultWidth?: number;
}

/** The ANSI sequences the view uses: cursor up `n` lines, erase to the end of the screen. */
function eraseLines(count: number): string {
  return count === 0 ? "" : `\r\x1b[${count}A\x1b[J`;
}

/** The run's live view: feed it events and lines; `finish()` at the end. */
export class LiveView {
  #state: LiveState = initialLiveState();
  /** Widths of the block's lines on the screen (empty: no block shown). */
  #shown: number[] = [];
  #lastFrame = "";
  #stop: (() => void) | undefined;
  readonly #o: LiveViewOptions;
  readonly #now: () => number;

  /** @param options The terminal or plain output, the clock and the timer. */
  constructor(options: LiveViewOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The run's state so far. */
  get state(): LiveState {
    return this.#state;
  }

  /**
   * Take one run event into the state (printing is the event printer's job).
   * The first event starts the timer.
   *
   * @param event The run's event.
   */
  event(event: RunEvent): void {
    this.#state = reduceLive(this.#state, event, this.#now());
    if (this.#stop === undefined && !this.#o.quiet && this.#state.startedAt !== undefined) {
      this.#start();
    }
  }

  /**
   * Print a line above the block (or plainly off a terminal).
   *
   * @param line One line (or a few, joined by line feeds).
   */
  print(line: string): void {
    const terminal = this.#o.terminal;
    if (terminal === undefined || this.#o.quiet) {
      this.#o.print(line);
      return;
    }
    const block = this.#block();
    terminal.write(
      eraseLines(this.#rowsShown()) + escapeControlsKeepingLines(line) + "\n" + block.text,
    );
    this.#shown = block.widths;
    this.#lastFrame = block.text;
  }

  /** Stop the timer and clear the block, so that the summary follows the event lines. */
  finish(): void {
    this.#stop?.();
    this.#stop = undefined;
    if (this.#o.terminal !== undefined && this.#shown.length > 0) {
      this.#o.terminal.write(eraseLines(this.#rowsShown()));
    }
    this.#shown = [];
    this.#lastFrame = "";
  }

  #start(): void {
    const ticker = this.#o.ticker ?? realTicker;
    if (this.#o.terminal !== undefined) {
      this.#redraw();
      this.#stop = ticker(this.#o.redrawMs ?? 250, () => this.#redraw());
    } else {
      this.#stop = ticker(this.#o.statusEveryMs ?? 30_000, () => {
        this.#o.print(
          renderStatusLine(this.#state, { now: this.#now(), concurrency: this.#o.concurrency }),
        );
      });
    }
  }

  /**
   * The rows the block shown takes now: a terminal made narrower since it
   * was drawn wraps its lines.
   */
  #rowsShown(): number {
    const columns = this.#columns();
    return this.#shown.reduce((rows, width) => rows + Math.max(1, Math.ceil(width / columns)), 0);
  }

  #columns(): number {
    return Math.max(2, this.#o.terminal?.columns() ?? this.#o.defaultWidth ?? 80);
  }

  /** The block as text ending in a line feed, and the width of each line. */
  #block(): { text: string; widths: number[] } {
    const columns = this.#columns();
    // One column spare: a full-width line would leave the cursor in the
    // terminal's pending-wrap state, and some terminals then skip a line.
    const lines = renderStatusBlock(this.#state, {
      now: this.#now(),
      width: Math.max(1, columns - 1),
      concurrency: this.#o.concurrency,
    });
    return {
      text: lines.map((line) => line + "\n").join(""),
      widths: lines.map((line) => [...line].length),
    };
  }

  /** Redraw the block when it changed: one write, erase and draw together. */
  #redraw(): void {
    const terminal = this.#o.terminal;
    if (terminal === undefined) return;
    const block = this.#block();
    if (block.text === this.#lastFrame) return;
    terminal.write(eraseLines(this.#rowsShown()) + block.text);
    this.#shown = block.widths;
    this.#lastFrame = block.text;
  }
}
