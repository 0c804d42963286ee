// Reading what an XMPP peer or server says back: stanza errors as data, which of them are
// permanent (dead letters), and which messages owe a XEP-0184 receipt. Pure functions of
// src/relay/xmpp/in-flight.ts and receipts.ts, on stanzas as servers send them.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { isPermanent, readStanzaError } from "../../src/relay/xmpp/in-flight.ts";
import { owesReceipt, receiptFor, receivedId } from "../../src/relay/xmpp/receipts.ts";

const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const bounce = (type: string | undefined, condition: string, text?: string, extra: Element[] = []): Element =>
  xml(
    "message",
    { type: "error", id: "m1", from: "bob@localhost" },
    xml("error", type ? { type } : {}, ...extra, xml(condition, { xmlns: STANZAS }), ...(text ? [xml("text", { xmlns: STANZAS }, text)] : [])),
  );

describe("stanza errors as data", () => {
  it("reads type, defined condition and text; the condition is the first child in the stanzas namespace that is not <text/>", () => {
    const appSpecific = xml("too-many", { xmlns: "urn:example:app" });
    expect(readStanzaError(bounce("modify", "not-acceptable", "too big", [appSpecific]))).toEqual({ type: "modify", condition: "not-acceptable", text: "too big" });
    expect(readStanzaError(bounce("wait", "resource-constraint"))).toEqual({ type: "wait", condition: "resource-constraint" });
  });

  it("an error without type is cancel; one without a defined condition is undefined-condition; no <error/> at all reads the same", () => {
    expect(readStanzaError(bounce(undefined, "item-not-found"))).toEqual({ type: "cancel", condition: "item-not-found" });
    const onlyText = xml("message", { type: "error" }, xml("error", { type: "auth" }, xml("text", { xmlns: STANZAS }, "who are you")));
    expect(readStanzaError(onlyText)).toEqual({ type: "auth", condition: "undefined-condition", text: "who are you" });
    expect(readStanzaError(xml("message", { type: "error" }))).toEqual({ type: "cancel", condition: "undefined-condition" });
  });

  it("permanent: cancel, modify and auth errors, but not 'peer offline' (it may come back), nor wait errors; groupchat to a bare JID is refused for good", () => {
    const chat = xml("message", { type: "chat", to: "bob@localhost" });
    const groupchat = xml("message", { type: "groupchat", to: "bob@localhost" });
    const cases: Array<[string, string, Element, boolean]> = [
      ["cancel", "not-allowed", chat, true],
      ["modify", "not-acceptable", chat, true],
      ["auth", "forbidden", chat, true],
      ["wait", "resource-constraint", chat, false],
      ["cancel", "service-unavailable", chat, false],
      ["cancel", "recipient-unavailable", chat, false],
      ["cancel", "service-unavailable", groupchat, true],
      ["cancel", "recipient-unavailable", groupchat, false],
      ["wait", "service-unavailable", groupchat, false],
    ];
    expect(cases.map(([type, condition, sent]) => isPermanent({ type, condition }, sent))).toEqual(cases.map((c) => c[3]));
  });
});

describe("receipts owed", () => {
  const asking = (attrs: Record<string, string>) => xml("message", attrs, xml("body", {}, "x"), xml("request", { xmlns: "urn:xmpp:receipts" }));

  it("only a message with an id and a sender that asks, and is neither an error nor groupchat", () => {
    expect(owesReceipt(asking({ id: "a", from: "alice@x/r", type: "chat" }))).toBe(true);
    expect(owesReceipt(asking({ id: "a", from: "alice@x/r" }))).toBe(true);
    expect(owesReceipt(asking({ from: "alice@x/r", type: "chat" }))).toBe(false);
    expect(owesReceipt(asking({ id: "a", type: "chat" }))).toBe(false);
    expect(owesReceipt(asking({ id: "a", from: "alice@x/r", type: "error" }))).toBe(false);
    expect(owesReceipt(asking({ id: "a", from: "room@x/alice", type: "groupchat" }))).toBe(false);
    expect(owesReceipt(xml("message", { id: "a", from: "alice@x/r" }, xml("body", {}, "x")))).toBe(false);
  });

  it("the receipt goes to the sender and names the message; a <received/> is read back by its id", () => {
    const r = receiptFor(asking({ id: "a1", from: "alice@x/r" }), "r9");
    expect([r.attrs.to, r.attrs.id, receivedId(r)]).toEqual(["alice@x/r", "r9", "a1"]);
    expect(receivedId(xml("message", {}, xml("received", { xmlns: "urn:xmpp:receipts" })))).toBeUndefined();
  });
});
