/**
 * A tiny terminal screen for the live view's tests: it understands exactly
 * what the view writes (text, line feeds, carriage returns, cursor up and
 * erase to the end of the screen) and fails on any other escape sequence.
 *
 * @module
 */

/** What is on a screen with unlimited height. */
export class Screen {
  #lines: string[] = [""];
  #row = 0;
  #col = 0;
  #columns: number;
  /** Every write, as it came. */
  readonly writes: string[] = [];

  /** @param columns Lines longer than this wrap onto the next row. */
  constructor(columns = Infinity) {
    this.#columns = columns;
  }

  /**
   * Make the screen narrower, wrapping its lines as most terminals do; the
   * cursor must be at the start of the last row.
   */
  resize(columns: number): void {
    if (this.#col !== 0 || this.#row !== this.#lines.length - 1) {
      throw new Error("resize() expects the cursor at the start of the last row");
    }
    this.#columns = columns;
    this.#lines = this.#lines.flatMap((line) => {
      const rows: string[] = [];
      for (let i = 0; i < line.length; i += columns) rows.push(line.slice(i, i + columns));
      return rows.length === 0 ? [""] : rows;
    });
    this.#row = this.#lines.length - 1;
  }

  /** Apply one write. */
  write(text: string): void {
    this.writes.push(text);
    let i = 0;
    while (i < text.length) {
      // deno-lint-ignore no-control-regex -- reading escape sequences is the point
      const escape = /^\x1b\[(\d*)([A-Za-z])/.exec(text.slice(i));
      if (escape) {
        const [all, count, letter] = escape;
        if (letter === "A") this.#row = Math.max(0, this.#row - Number(count || 1));
        else if (letter === "J") {
          this.#lines[this.#row] = this.#lines[this.#row].slice(0, this.#col);
          this.#lines.length = this.#row + 1;
        } else throw new Error(`unexpected escape sequence ${JSON.stringify(all)}`);
        i += all.length;
        continue;
      }
      const char = text[i++];
      if (char === "\x1b") throw new Error("a lone ESC was written");
      if (char === "\n") {
        this.#row++;
        this.#col = 0;
        while (this.#lines.length <= this.#row) this.#lines.push("");
      } else if (char === "\r") this.#col = 0;
      else {
        if (this.#col >= this.#columns) {
          this.#row++;
          this.#col = 0;
          while (this.#lines.length <= this.#row) this.#lines.push("");
        }
        const line = this.#lines[this.#row].padEnd(this.#col);
        this.#lines[this.#row] = line.slice(0, this.#col) + char + line.slice(this.#col + 1);
        this.#col++;
      }
    }
  }

  /** The screen's lines, the trailing empty ones left out. */
  get lines(): string[] {
    const lines = [...this.#lines];
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }
}
