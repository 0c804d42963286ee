// Reading a message (core/stanza.ts): the size cap, the nesting cap and the root's name and
// namespace, from text and from an element alike; and the copies it makes never alias the caller's.
import { describe, expect, it } from "vitest";
import { MalformedStanzaError, OversizedStanzaError } from "../../src/core/errors.ts";
import { cloneElement, Element, MAX_STANZA_DEPTH, readMessage, readMessageText, readStored, removeChildren, xml } from "../../src/core/stanza.ts";

/** A message whose serialisation is exactly `bytes` bytes long (UTF-8), with `unit` as its body's repeated character. */
function messageOf(bytes: number, unit = "a"): string {
  const shell = "<message to='b@x'><body></body></message>";
  const unitBytes = new TextEncoder().encode(unit).length;
  const left = bytes - shell.length;
  if (left % unitBytes) throw new Error("no such message");
  return `<message to='b@x'><body>${unit.repeat(left / unitBytes)}</body></message>`;
}

/** A message whose body nests `depth` elements below the message (the message itself is one more level). */
function nested(depth: number): Element {
  const root = xml("message", { to: "b@x" });
  let at = root;
  for (let i = 0; i < depth; i++) at = at.c("n");
  return root;
}

describe("reading a message", () => {
  it("takes a message of exactly the cap, from text or an element; one byte more is refused with both sizes", () => {
    for (const unit of ["a", "€"]) {
      const text = messageOf(300 - ((300 - 41) % new TextEncoder().encode(unit).length), unit);
      const bytes = new TextEncoder().encode(text).length;
      expect(readMessage(text, bytes).getChildText("body")).toContain(unit);
      expect(readMessage(readMessage(text, Infinity), bytes).getChildText("body")).toContain(unit);
      expect(() => readMessage(text, bytes - 1)).toThrow(new OversizedStanzaError(bytes, bytes - 1));
      expect(() => readMessage(readMessage(text, Infinity), bytes - 1)).toThrow(new OversizedStanzaError(bytes, bytes - 1));
    }
  });

  it("takes an element nested to the cap; one level more is refused, saying so", () => {
    expect(readMessage(nested(MAX_STANZA_DEPTH - 1)).name).toBe("message");
    expect(() => readMessage(nested(MAX_STANZA_DEPTH))).toThrow(new MalformedStanzaError(`Malformed XML: elements nest deeper than ${MAX_STANZA_DEPTH} levels.`));
  });

  it("refuses what is not a <message/> of jabber:client, and what is neither text nor an element, saying which", () => {
    expect(() => readMessage("<iq to='b@x'/>")).toThrow(new MalformedStanzaError("Expected <message/>, got <iq/>."));
    expect(() => readMessage(xml("presence", {}))).toThrow(new MalformedStanzaError("Expected <message/>, got <presence/>."));
    expect(() => readMessage("<message xmlns='urn:x' to='b@x'/>")).toThrow(new MalformedStanzaError("Unexpected message namespace urn:x."));
    expect(() => readMessage(42)).toThrow(new MalformedStanzaError("A stanza must be an XML string or an @xmpp/xml element."));
    expect(readMessage("<message xmlns='jabber:client' to='b@x'/>").attrs.to).toBe("b@x");
  });

  it("a second reading of a stored message is a deep copy: changing it changes nothing of the first", () => {
    const stored = readMessage("<message to='b@x'><body>hi</body><x xmlns='urn:x'><y/></x></message>").toString();
    const first = readStored(stored);
    const again = readMessage(first);
    expect(again.toString()).toBe(stored);
    again.getChild("x", "urn:x")!.getChild("y")!.attrs.changed = "yes";
    again.getChild("body")!.children.push(" there");
    expect(first.toString()).toBe(stored);
  });

  it("an element built in code reads as the text it serialises to, or is refused with a typed error", () => {
    const { element, text } = readMessageText(xml("message", { to: "b@x" }, xml("body", {}, "a < b")));
    expect(text).toBe("<message to=\"b@x\"><body>a &lt; b</body></message>");
    expect(element.getChildText("body")).toBe("a < b");
    expect(() => readMessage(xml("message", { to: "b@x" }, xml("bad name", {})))).toThrow(MalformedStanzaError);
  });

  it("cloneElement copies deeply; removeChildren keeps text and other children", () => {
    const el = xml("message", { to: "b@x" }, "text ", xml("request", { xmlns: "urn:xmpp:receipts" }), xml("body", {}, "hi"));
    const copy = cloneElement(el);
    copy.getChild("body")!.attrs.lang = "en";
    expect(el.getChild("body")!.attrs.lang).toBeUndefined();
    removeChildren(copy, "request", "urn:xmpp:receipts");
    expect(copy.toString()).toBe("<message to=\"b@x\">text <body lang=\"en\">hi</body></message>");
    expect(el.getChild("request", "urn:xmpp:receipts")).toBeDefined();
  });
});
