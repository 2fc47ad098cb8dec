/**
 * The in-house CSV scanner (bytes in, records out, fed whole or a piece at a
 * time) against csv-parse, and the piecewise file reader against reading
 * the whole file: same records, same lines, same refusals.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { CsvSplitter, splitCsvRecords } from "../src/manifest/csv_split.ts";
import { readCsvFileJobs } from "../src/manifest/csv_file.ts";
import type { CsvJobSink } from "../src/manifest/csv.ts";
import { parseManifest } from "../src/manifest/load.ts";
import type { RawJob } from "../src/manifest/raw.ts";
import { ManifestError } from "../src/errors.ts";
import { withTempDir } from "./helpers/temp_dir.ts";
import { createRandom } from "../src/simulator/random.ts";

/** Pieces that make CSV hard: separators, quotes, line breaks, multi-byte text, a BOM character. */
const PIECES = [
  "a",
  "b c",
  ",",
  '"',
  '""',
  "\n",
  "\r\n",
  " ",
  "é",
  "日本",
  "🎬",
  "\ufeff",
  "x|y",
  "",
];

/** A generated CSV: each record's cells, and its text with records starting on known lines. */
function tricky(next: () => number): { text: string; records: string[][]; lines: number[] } {
  const crlf = next() < 0.5;
  const eol = crlf ? "\r\n" : "\n";
  const records: string[][] = [];
  const lines: number[] = [];
  let text = next() < 0.2 ? "\ufeff" : "";
  let line = 1;
  const count = 1 + Math.floor(next() * 6);
  for (let r = 0; r < count; r += 1) {
    while (next() < 0.15) {
      text += eol; // an empty line, skipped
      line += 1;
    }
    const cells: string[] = [];
    const width = 1 + Math.floor(next() * 4);
    for (let c = 0; c < width; c += 1) {
      let cell = "";
      const parts = Math.floor(next() * 4);
      for (let p = 0; p < parts; p += 1) cell += PIECES[Math.floor(next() * PIECES.length)];
      // A record of one empty cell would be an empty line.
      if (width === 1 && cell === "") cell = "z";
      // A cell starting with U+FEFF is quoted, so it is not taken for a BOM.
      const needsQuotes = /[",\r\n]|^\ufeff/.test(cell) || (r === 0 && c === 0 && cell === "");
      cells.push(crlf ? cell.replaceAll(/\r?\n/g, "\r\n") : cell.replaceAll("\r\n", "\n"));
      const written = cells[c];
      text += (c > 0 ? "," : "") +
        (needsQuotes || next() < 0.2 ? `"${written.replaceAll('"', '""')}"` : written);
    }
    records.push(cells);
    lines.push(line);
    for (const cell of cells) line += (cell.match(/\r\n|\n/g) ?? []).length;
    if (r < count - 1 || next() < 0.7) {
      text += eol;
      line += 1;
    }
  }
  return { text, records, lines };
}

/** Records and lines from the in-house splitter, or undefined when it hands over to csv-parse. */
function split(bytes: Uint8Array): { records: string[][]; lines: number[] } | undefined {
  const records: string[][] = [];
  const lines: number[] = [];
  const sure = splitCsvRecords(bytes, (cells, line) => {
    records.push([...cells]);
    lines.push(line);
  });
  return sure ? { records, lines } : undefined;
}

/** The same, fed in pieces cut at the given sizes (what is left over is handed over again). */
function splitInPieces(
  bytes: Uint8Array,
  sizes: () => number,
): { records: string[][]; lines: number[] } | undefined {
  const records: string[][] = [];
  const lines: number[] = [];
  const splitter = new CsvSplitter((cells, line) => {
    records.push([...cells]);
    lines.push(line);
  });
  let start = 0;
  let end = 0;
  for (;;) {
    end = Math.min(bytes.length, end + sizes());
    const final = end === bytes.length;
    const used = splitter.feed(bytes.subarray(start, end), final);
    if (used === false) return undefined;
    start += used;
    if (final) return { records, lines };
  }
}

Deno.test("splitCsvRecords() reads generated tricky CSV exactly as csv-parse does, with each record's line", () => {
  // Seeded, so a failure can be replayed.
  const next = createRandom(20261129);
  let sure = 0;
  for (let round = 0; round < 600; round += 1) {
    const { text, records, lines } = tricky(next);
    const bytes = new TextEncoder().encode(text);
    const expected = parseCsv(text.replace(/^\ufeff/, ""), {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
    const ours = split(bytes);
    if (ours === undefined) continue; // csv-parse reads it instead
    sure += 1;
    assert.deepEqual(ours.records, expected, JSON.stringify(text));
    assert.deepEqual(ours.records, records, JSON.stringify(text));
    assert.deepEqual(ours.lines, lines, JSON.stringify(text));
    const pieces = splitInPieces(bytes, () => 1 + Math.floor(next() * 9));
    assert.deepEqual(pieces, ours, `in pieces: ${JSON.stringify(text)}`);
  }
  // The generator makes mostly text the splitter is sure of, so the comparison means something.
  assert.ok(sure > 400, `only ${sure} of 600 were split in house`);
});

Deno.test("splitCsvRecords() hands over to csv-parse what it is unsure of", () => {
  const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
  for (
    const text of [
      'a,b "c" d\n', // a quote inside an unquoted cell
      '"a" b,c\n', // text after a closing quote
      '"unclosed,b\n', // an unclosed quote
      "a,b\rc,d\r", // a lone CR
      "a,b\r\nc,d\ne,f\n", // mixed line breaks
    ]
  ) {
    assert.equal(split(encode(text)), undefined, JSON.stringify(text));
    assert.equal(splitInPieces(encode(text), () => 2), undefined, `in pieces: ${text}`);
  }
});

/** Every job the piecewise file reader hands over, with the problems it returns. */
async function readInPieces(
  path: string,
  pieceBytes: number,
): Promise<{ jobs: RawJob[]; problems: unknown[] }> {
  let jobs: RawJob[] = [];
  const sink: CsvJobSink = {
    onHeader: () => {},
    onJob: (job) => {
      jobs.push(job);
    },
    onRestart: () => {
      jobs = [];
    },
  };
  const { problems } = await readCsvFileJobs(path, sink, pieceBytes);
  return { jobs, problems };
}

/** The same manifest read whole by `parseManifest()` (the loader's path). */
function readWhole(text: string): { jobs: RawJob[]; problems: unknown[] } {
  const raw = parseManifest(new TextEncoder().encode(text), { file: "m.csv", format: "csv" });
  return { jobs: raw.jobs, problems: raw.problems };
}

/** What reading the text as m.csv in pieces of each size refuses, or reads. */
async function eachPieceSize(
  text: string | Uint8Array,
  check: (outcome: { jobs: RawJob[]; problems: unknown[] } | ManifestError, size: number) => void,
): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "m.csv");
    if (typeof text === "string") await Deno.writeTextFile(path, text);
    else await Deno.writeFile(path, text);
    for (const size of [1, 2, 3, 5, 8, 64, 4096]) {
      try {
        check(await readInPieces(path, size), size);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        check(error, size);
      }
    }
  });
}

/** The CSV edge cases, each read in pieces of every size and whole. */
const EDGE_CASES: Record<string, string> = {
  "quotes and doubled quotes": 'id,prompt,model\na,"say ""hi"", then go",m\nb,"""",m\n',
  "CRLF with quoted line breaks": 'id,prompt,model\r\na,"one\r\ntwo\r\nthree",m\r\nb,x,m\r\n',
  "LF with quoted line breaks and empty lines": 'id,prompt,model\n\na,"one\ntwo",m\n\n\nb,x,m\n',
  "a BOM, no final line break": "\ufeffid,prompt,model\na,x,m\nb,y,m",
  "a trailing empty line": "id,prompt,model\na,x,m\n\n",
  "ragged rows": "id,prompt,model\na,x\nb,y,m,extra\n,,\nc,z,m,\n",
  "multi-byte text across pieces": "id,prompt,model\na,Über den Wolken 日本の港 🎬,m\nb,é,m\n",
  "a cell starting with U+FEFF": 'id,prompt,model\na,"\ufeffx",m\n',
  "csv-parse reads it (a lone CR)": "id,prompt,model\ra,x,m\rb,y,m\r",
  "an image list": "id,prompt,model,image\na,x,m,p.png | q.png\n",
};

Deno.test("validate's piecewise CSV reader gives the jobs, lines and problems of reading the file whole", async (t) => {
  for (const [name, text] of Object.entries(EDGE_CASES)) {
    await t.step(name, async () => {
      const whole = readWhole(text);
      await eachPieceSize(text, (outcome, size) => {
        assert.ok(!(outcome instanceof ManifestError), `${size}: ${outcome}`);
        assert.deepEqual(outcome, whole, `pieces of ${size} bytes`);
      });
    });
  }
  await t.step("lines of records after quoted line breaks", () => {
    const { jobs } = readWhole(EDGE_CASES["CRLF with quoted line breaks"]);
    assert.deepEqual(jobs.map((job) => job.line), [2, 5]);
    const lf = readWhole(EDGE_CASES["LF with quoted line breaks and empty lines"]);
    assert.deepEqual(lf.jobs.map((job) => job.line), [3, 7]);
  });
});

Deno.test("validate's piecewise CSV reader refuses what reading the file whole refuses, with the same message", async (t) => {
  const refusals: [string, string | Uint8Array, RegExp][] = [
    [
      "a header separated by ;",
      "id;prompt;model\na;x;m\n",
      /^Cannot read manifest .*m\.csv:1: the header separates its columns with ";"/,
    ],
    ["a header but no jobs", "id,prompt,model\n\n", /it has a header but no jobs/],
    ["blank", " \n\t\r\n", /: it is empty$/],
    ["an empty file", "", /: it is empty$/],
    [
      "a NUL byte far into the file",
      "id,prompt,model\n" + "a,x,m\n".repeat(50) + "b,\0,m\n",
      /a NUL byte at offset 318\), not text/,
    ],
    [
      "invalid UTF-8, then a NUL byte",
      new Uint8Array([...new TextEncoder().encode("id,prompt\na,"), 0xff, 0x0a, 0x62, 0x2c, 0x00]),
      /a NUL byte at offset 16\)/,
    ],
    [
      "a ; header, then invalid UTF-8",
      new Uint8Array([...new TextEncoder().encode("id;prompt;model\na;"), 0xc3, 0x28, 0x0a]),
      /it is not UTF-8 text; save it as UTF-8/,
    ],
    [
      "an unfinished character at the end",
      new Uint8Array([...new TextEncoder().encode("id,prompt\na,"), 0xe6, 0x97]),
      /it is not UTF-8 text/,
    ],
    ["an unclosed quote (csv-parse words it)", 'id,prompt\na,"x\n', /^Cannot parse .*m\.csv/],
  ];
  for (const [name, content, message] of refusals) {
    await t.step(name, async () => {
      const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
      let wholeError: ManifestError | undefined;
      try {
        parseManifest(bytes, { file: "m.csv", format: "csv" });
      } catch (error) {
        if (error instanceof ManifestError) wholeError = error;
      }
      assert.ok(wholeError, "reading it whole refuses it");
      assert.match(wholeError.message, message);
      await eachPieceSize(content, (outcome, size) => {
        assert.ok(outcome instanceof ManifestError, `pieces of ${size} bytes: not refused`);
        assert.equal(outcome.code, wholeError?.code, `pieces of ${size} bytes`);
        assert.equal(
          outcome.message.replace(/manifest \S*m\.csv/, "manifest m.csv").replace(
            /Cannot parse \S*m\.csv/,
            "Cannot parse m.csv",
          ),
          wholeError?.message,
          `pieces of ${size} bytes`,
        );
      });
    });
  }
});
