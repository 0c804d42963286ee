import { Element, xml } from "./xml.ts";
import { MalformedStanzaError, OversizedStanzaError } from "./errors.ts";
import { NS } from "./namespaces.ts";
import { depthOf, MAX_STANZA_DEPTH, readXml } from "./xml-read.ts";

export { MAX_STANZA_DEPTH };

export { Element, xml };

/** Default cap on one stanza's serialised size: 256 KiB. */
export const DEFAULT_MAX_STANZA_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/**
 * Parses exactly one complete, well-formed XML element (see {@link readXml}):
 * anything a strict parser such as Prosody's expat would refuse is a
 * `malformed-stanza` error here, in every context alike.
 */
export function parseElement(text: string): Element {
  return readXml(text);
}

/**
 * The text some elements were read from: those of {@link readStored} and
 * of a second reading. An element that still serialises to exactly that
 * text needs no second reading: the strict reader gives the same text the
 * same verdict. A drained message is read once by the drain and again by
 * the relay that sends it; this makes the second reading a copy. Elements
 * handed to an app (received messages) are not kept here, nor their text.
 */
const readFrom = new WeakMap<Element, string>();

/**
 * A copy of `el`, or null if it holds anything but elements, strings and
 * string attributes (then it is read the long way): a number may serialise
 * as the string a parser would read, and the copy must be what it reads.
 */
function plainCopy(el: Element): Element | null {
  for (const v of Object.values(el.attrs)) if (typeof v !== "string") return null;
  const copy = new Element(el.name, el.attrs); // the attributes are copied
  for (const child of el.children) {
    const c = typeof child === "string" ? child : child instanceof Element ? plainCopy(child) : null;
    if (c === null) return null;
    copy.append(c);
  }
  return copy;
}

/**
 * An element's serialised form, proven to read back (an element built in
 * code may hold names or characters no parser would accept, or nest past
 * the cap: those are refused), and what a parser reads from it, remembered
 * for the next reading.
 */
function readBack(el: Element): { text: string; read: Element } {
  if (depthOf(el) > MAX_STANZA_DEPTH) throw new MalformedStanzaError(`Malformed XML: elements nest deeper than ${MAX_STANZA_DEPTH} levels.`);
  const text = el.toString();
  const read = (readFrom.get(el) === text && plainCopy(el)) || readXml(text);
  readFrom.set(read, text);
  return { text, read };
}

/** UTF-8 length of `text`, or a bound below `cap` (3 bytes a UTF-16 unit at most) without encoding it. */
function byteSize(text: string, cap: number): number {
  return text.length > cap / 3 ? encoder.encode(text).length : text.length;
}

/**
 * Reads a `<message/>` stanza from text or an element, enforcing the size
 * cap before any parsing work is spent on it.
 */
export function readMessage(input: unknown, maxBytes = DEFAULT_MAX_STANZA_BYTES): Element {
  return readMessageText(input, maxBytes).element;
}

/**
 * {@link readMessage}, with the text the message was read from: what a relay
 * puts on the wire, with no second serialisation.
 */
export function readMessageText(input: unknown, maxBytes = DEFAULT_MAX_STANZA_BYTES): { element: Element; text: string } {
  let el: Element;
  let text: string;
  if (typeof input === "string") {
    const size = byteSize(input, maxBytes);
    if (size > maxBytes) throw new OversizedStanzaError(size, maxBytes);
    el = parseElement(input);
    text = input;
  } else if (input instanceof Element) {
    // Our own reading of the caller's tree: what we keep is what a parser reads from it.
    const back = readBack(input);
    const size = byteSize(back.text, maxBytes);
    if (size > maxBytes) throw new OversizedStanzaError(size, maxBytes);
    el = back.read;
    text = back.text;
  } else {
    throw new MalformedStanzaError("A stanza must be an XML string or an @xmpp/xml element.");
  }
  if (el.name !== "message") throw new MalformedStanzaError(`Expected <message/>, got <${el.name}/>.`);
  const ns = el.attrs.xmlns;
  if (ns !== undefined && ns !== NS.client) throw new MalformedStanzaError(`Unexpected message namespace ${ns}.`);
  return { element: el, text };
}

/**
 * Reads a message this library stored, to send it: no size cap (it was
 * checked when written), and its text remembered, so that the relay's own
 * reading of the element is a copy, not a second parse.
 */
export function readStored(text: string): Element {
  const el = readMessage(text, Infinity);
  readFrom.set(el, text);
  return el;
}

/** The `type` of a message, `normal` when absent (RFC 6121 §5.2.2). */
export function messageType(el: Element): string {
  return el.attrs.type ?? "normal";
}

/** Deep copy, so that stored stanzas never alias what the caller holds. */
export function cloneElement(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const child of el.children) copy.append(typeof child === "string" ? child : cloneElement(child));
  return copy;
}

/** Removes every direct child matching name and namespace. */
export function removeChildren(el: Element, name: string, ns: string): void {
  el.children = el.children.filter((c) => typeof c === "string" || !c.is(name, ns));
}
