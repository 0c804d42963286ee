import { Element, xml } from "@xmpp/xml";
import Parser from "@xmpp/xml/lib/Parser.js";
import { MalformedStanzaError, OversizedStanzaError } from "./errors.ts";
import { NS } from "./namespaces.ts";

export { Element, xml };

/** Default cap on one stanza's serialised size: 256 KiB. */
export const DEFAULT_MAX_STANZA_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/**
 * Parses exactly one complete XML element. `@xmpp/xml`'s own `parse`
 * returns a half-built tree for truncated input; this one demands the end
 * tag of the root and nothing after it.
 */
export function parseElement(text: string): Element {
  const parser = new Parser();
  let root: Element | null = null;
  let ended = false;
  let error: Error | null = null;
  parser.on("start", (el: Element) => (root = el));
  parser.on("element", (el: Element) => root?.append(el));
  parser.on("end", () => (ended = true));
  parser.on("error", (e: Error) => (error ??= e));
  try {
    parser.write(text);
    parser.end();
  } catch (e) {
    error ??= e as Error;
  }
  if (error) throw new MalformedStanzaError(`Malformed XML: ${(error as Error).message}`);
  if (!root || !ended) throw new MalformedStanzaError("Malformed XML: the element is incomplete.");
  return root;
}

/**
 * Reads a `<message/>` stanza from text or an element, enforcing the size
 * cap before any parsing work is spent on it.
 */
export function readMessage(input: unknown, maxBytes = DEFAULT_MAX_STANZA_BYTES): Element {
  let el: Element;
  if (typeof input === "string") {
    const size = input.length > maxBytes / 3 ? encoder.encode(input).length : input.length;
    if (size > maxBytes) throw new OversizedStanzaError(size, maxBytes);
    el = parseElement(input);
  } else if (input instanceof Element) {
    el = input;
    const size = encoder.encode(el.toString()).length;
    if (size > maxBytes) throw new OversizedStanzaError(size, maxBytes);
  } else {
    throw new MalformedStanzaError("A stanza must be an XML string or an @xmpp/xml element.");
  }
  if (el.name !== "message") throw new MalformedStanzaError(`Expected <message/>, got <${el.name}/>.`);
  const ns = el.attrs.xmlns;
  if (ns !== undefined && ns !== NS.client) throw new MalformedStanzaError(`Unexpected message namespace ${ns}.`);
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
