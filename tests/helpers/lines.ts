/**
 * Splits a text stream into lines (what @std/streams' TextLineStream does;
 * JSR is not reachable here).
 *
 * @module
 */

/** A transform from text chunks to lines without their line breaks. */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let buffer = "";
    super({
      transform(chunk, controller): void {
        buffer += chunk;
        const lines = buffer.split(/\r?\n/);
        buffer = lines.pop() ?? "";
        for (const line of lines) controller.enqueue(line);
      },
      flush(controller): void {
        if (buffer !== "") controller.enqueue(buffer);
      },
    });
  }
}
