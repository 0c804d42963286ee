import { Element } from "./xml.ts";
import { MalformedStanzaError } from "./errors.ts";

/**
 * Deepest element nesting a stanza may have, the same in every context
 * (page, worker, Node). Real stanzas nest a handful of levels (a forwarded
 * carbon is six); the cap keeps every recursive walk (serialise, clone)
 * far from any stack limit.
 */
export const MAX_STANZA_DEPTH = 64;

// XML 1.0 Char: anything else (C0 controls, U+FFFE/FFFF, lone surrogates) is not XML at all.
const ILLEGAL_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// Names: ASCII NCNames with at most one prefix, a subset every XML parser (expat included) accepts.
const QNAME = "[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?";
const START_TAG = new RegExp(`<(${QNAME})`, "y");
const ATTR = new RegExp(`[ \\t\\r\\n]+(${QNAME})[ \\t\\r\\n]*=[ \\t\\r\\n]*(?:"([^<"]*)"|'([^<']*)')`, "y");
const TAG_END = /[ \t\r\n]*(\/?)>/y;
const END_TAG = new RegExp(`</(${QNAME})[ \\t\\r\\n]*>`, "y");
const TEXT = /[^<&]+/y;
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/y;
const REF = /&(?:(lt|gt|amp|apos|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;
const REFS = /&(?:(lt|gt|amp|apos|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));|&/g;
const SPACE = /[ \t\r\n]*/y;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
const XML_NS = "http://www.w3.org/XML/1998/namespace";

// Adjacent text runs (text, references, CDATA) become one string, as a parser reports them.
function addText(el: Element, s: string): void {
  const n = el.children.length;
  if (n && typeof el.children[n - 1] === "string") el.children[n - 1] += s;
  else el.t(s);
}

function fail(message: string): never {
  throw new MalformedStanzaError(`Malformed XML: ${message}`);
}

function charRef(dec: string | undefined, hex: string | undefined): string {
  const cp = dec !== undefined ? parseInt(dec, 10) : parseInt(hex!, 16);
  const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : "\u0000";
  if (ILLEGAL_CHAR.test(ch)) fail(`character reference to U+${cp.toString(16).toUpperCase()} is not an XML character.`);
  return ch;
}

function resolve(name: string | undefined, dec: string | undefined, hex: string | undefined): string {
  return name !== undefined ? PREDEFINED[name]! : charRef(dec, hex);
}

// Line ends as an XML processor reports them (XML 1.0 §2.11); attribute whitespace per §3.3.3.
const lineEnds = (s: string) => (s.includes("\r") ? s.replace(/\r\n?/g, "\n") : s);

function attrValue(raw: string): string {
  const text = lineEnds(raw).replace(/[\t\n]/g, " ");
  if (!text.includes("&")) return text;
  return text.replace(REFS, (m, name, dec, hex) => (m === "&" ? fail("a bare & in an attribute value.") : resolve(name, dec, hex)));
}

interface Open {
  el: Element;
  /** Prefixes bound here (name → namespace), inherited from the parent. */
  ns: Map<string, string>;
}

function bindings(attrs: Record<string, string>, parent: Map<string, string>): Map<string, string> {
  let ns = parent;
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith("xmlns:")) continue;
    const prefix = k.slice(6);
    if (v === "") fail(`prefix ${prefix} bound to an empty namespace.`);
    if (prefix === "xmlns" || (prefix === "xml") !== (v === XML_NS)) fail(`reserved prefix or namespace in ${k}.`);
    if (ns === parent) ns = new Map(parent);
    ns.set(prefix, v);
  }
  return ns;
}

function checkPrefix(name: string, ns: Map<string, string>, attr: boolean): void {
  const colon = name.indexOf(":");
  if (colon === -1) return;
  const prefix = name.slice(0, colon);
  if (attr && prefix === "xmlns") return;
  if (prefix === "xml" || ns.has(prefix)) return;
  fail(`prefix ${prefix} of <${name}> is not bound to a namespace.`);
}

/**
 * Reads exactly one element from text with the rules of a strict XML 1.0
 * parser with namespaces (Prosody's expat): legal characters only, legal
 * names, quoted attributes without `<` or a bare `&`, no duplicate
 * attribute, bound prefixes, one root and nothing after it but whitespace,
 * and no comment, processing instruction or DTD (RFC 6120 §11.1). An
 * explicit stack, never recursion, with {@link MAX_STANZA_DEPTH} checked
 * as each element opens.
 */
export function readXml(text: string): Element {
  const bad = ILLEGAL_CHAR.exec(text);
  if (bad) fail(`U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} is not an XML character.`);
  const stack: Open[] = [];
  let root: Element | null = null;
  SPACE.lastIndex = 0;
  SPACE.test(text);
  let i = SPACE.lastIndex;
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i = re.lastIndex;
    return m;
  };
  while (i < text.length) {
    const top = stack[stack.length - 1];
    if (!top && root) {
      SPACE.lastIndex = i;
      SPACE.test(text);
      if (SPACE.lastIndex < text.length) fail("content after the root element.");
      break;
    }
    if (text[i] === "<") {
      if (text.startsWith("</", i)) {
        const m = at(END_TAG) ?? fail("bad end tag.");
        if (!top || m[1] !== top.el.name) fail(`</${m[1]}> does not close <${top?.el.name ?? ""}>.`);
        stack.pop();
      } else if (text.startsWith("<![CDATA[", i)) {
        if (!top) fail("text outside the root element.");
        const m = at(CDATA) ?? fail("unterminated CDATA section.");
        addText(top.el, lineEnds(m[1]!));
      } else if (text.startsWith("<!", i) || text.startsWith("<?", i)) {
        fail("comments, processing instructions and DTDs are not allowed in XMPP (RFC 6120 §11.1).");
      } else {
        const name = (at(START_TAG) ?? fail("bad element name."))[1]!;
        const attrs: Record<string, string> = {};
        for (let a = at(ATTR); a; a = at(ATTR)) {
          const key = a[1]!;
          if (Object.hasOwn(attrs, key)) fail(`duplicate attribute ${key}.`);
          // An element's attributes are a plain object: this one name would not survive in it.
          if (key === "__proto__") fail("an attribute named __proto__ is not supported.");
          attrs[key] = attrValue(a[2] ?? a[3]!);
        }
        const end = at(TAG_END) ?? fail(`bad attribute or tag end in <${name}>.`);
        if (stack.length >= MAX_STANZA_DEPTH) fail(`elements nest deeper than ${MAX_STANZA_DEPTH} levels.`);
        if (!top && root) fail("more than one root element.");
        const ns = bindings(attrs, top?.ns ?? new Map());
        checkPrefix(name, ns, false);
        for (const k of Object.keys(attrs)) checkPrefix(k, ns, true);
        const el = new Element(name, attrs);
        if (top) top.el.append(el);
        else root = el;
        if (end[1] !== "/") stack.push({ el, ns });
      }
    } else if (!top) {
      fail("text outside the root element.");
    } else if (text[i] === "&") {
      const m = at(REF) ?? fail("a bare & or an unknown entity.");
      addText(top.el, resolve(m[1], m[2], m[3]));
    } else {
      const m = at(TEXT)!;
      if (m[0].includes("]]>")) fail("]]> in text.");
      addText(top.el, lineEnds(m[0]));
    }
  }
  if (!root) fail("no element.");
  if (stack.length) fail(`<${stack[stack.length - 1]!.el.name}> is not closed.`);
  return root;
}

/** Depth of an element tree, walked with an explicit stack; stops counting past `cap`. */
export function depthOf(el: Element, cap = MAX_STANZA_DEPTH): number {
  let max = 0;
  const todo: Array<[Element, number]> = [[el, 1]];
  while (todo.length) {
    const [e, d] = todo.pop()!;
    if (d > max) max = d;
    if (max > cap) return max;
    for (const c of e.children) if (typeof c !== "string") todo.push([c, d + 1]);
  }
  return max;
}
