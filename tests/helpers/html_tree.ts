/**
 * A strict little HTML reader for the report tests: it turns a page into an
 * element tree and throws on what a well-formed report must never contain (a
 * stray `<`, an unclosed or misnested element). Enough for pages we write and
 * for Chromium's `--dump-dom`; not a general HTML parser.
 *
 * @module
 */

/** One element: its name, attributes (decoded) and children. */
export interface HtmlElement {
  name: string;
  attributes: Record<string, string>;
  children: HtmlNode[];
}

/** A node: an element, or decoded text. */
export type HtmlNode = HtmlElement | string;

const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
]);
const RAW_TEXT = new Set(["style", "script", "title", "textarea"]);
const TOKEN =
  /<!--[\s\S]*?-->|<!doctype[^>]*>|<\/([a-zA-Z][a-zA-Z0-9-]*)\s*>|<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/giy;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/**
 * Read a page into a tree under a synthetic `#document` element.
 *
 * @param html The page.
 * @returns The document element.
 * @throws Error when a `<` is not a tag, or an element is unclosed or misnested.
 */
export function parseHtml(html: string): HtmlElement {
  const document: HtmlElement = { name: "#document", attributes: {}, children: [] };
  const open: HtmlElement[] = [document];
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > at) addText(open.at(-1)!, html.slice(at, textEnd));
    if (lt === -1) break;
    TOKEN.lastIndex = lt;
    const token = TOKEN.exec(html);
    if (token === null) throw new Error(`Stray "<" at offset ${lt}: ${html.slice(lt, lt + 40)}`);
    at = TOKEN.lastIndex;
    const [, closing, opening, attributeText] = token;
    if (closing !== undefined) {
      const top = open.pop();
      if (top === undefined || top.name !== closing.toLowerCase()) {
        throw new Error(`Misnested </${closing}> at offset ${lt}, open: ${top?.name}`);
      }
    } else if (opening !== undefined) {
      const element: HtmlElement = {
        name: opening.toLowerCase(),
        attributes: readAttributes(attributeText ?? ""),
        children: [],
      };
      open.at(-1)!.children.push(element);
      if (RAW_TEXT.has(element.name)) {
        const end = html.toLowerCase().indexOf(`</${element.name}`, at);
        if (end === -1) throw new Error(`Unclosed <${element.name}> at offset ${lt}`);
        const raw = html.slice(at, end);
        if (raw !== "") element.children.push(element.name === "title" ? decode(raw) : raw);
        at = end;
        open.push(element);
      } else if (!VOID.has(element.name)) {
        open.push(element);
      }
    }
  }
  if (open.length !== 1) {
    throw new Error(`Unclosed elements: ${open.map((e) => e.name).join(" > ")}`);
  }
  return document;
}

/**
 * Every element under `root` (depth first) that matches.
 *
 * @param root Where to look.
 * @param match The test.
 * @returns The matching elements in document order.
 */
export function findAll(
  root: HtmlElement,
  match: (element: HtmlElement) => boolean,
): HtmlElement[] {
  const found: HtmlElement[] = [];
  for (const child of root.children) {
    if (typeof child === "string") continue;
    if (match(child)) found.push(child);
    found.push(...findAll(child, match));
  }
  return found;
}

/**
 * Whether an element has a class.
 *
 * @param element The element.
 * @param name The class name.
 * @returns True when `class` lists it.
 */
export function hasClass(element: HtmlElement, name: string): boolean {
  return (element.attributes.class ?? "").split(/\s+/).includes(name);
}

/**
 * The element's text, decoded, with its descendants' text.
 *
 * @param node An element or text.
 * @returns The text.
 */
export function textOf(node: HtmlNode): string {
  return typeof node === "string" ? node : node.children.map(textOf).join("");
}

function addText(parent: HtmlElement, raw: string): void {
  if (raw.includes(">") && parent.name !== "#document") {
    // Our pages escape ">" in text; Chromium's serializer does too.
    throw new Error(`Unescaped ">" in text: ${raw.slice(0, 40)}`);
  }
  parent.children.push(decode(raw));
}

function readAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, double, single, bare] of text.matchAll(ATTRIBUTE)) {
    attributes[name.toLowerCase()] = decode(double ?? single ?? bare ?? "");
  }
  return attributes;
}

function decode(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos|nbsp);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith("#x")) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith("#")) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" }[lower]!;
  });
}
