import { describe, expect, it } from "vitest";
import { SaxesParser } from "saxes";
import { escapeAttr, offlineDelayXml, withOfflineDelay } from "../../src/core/delay.ts";
import { readMessage } from "../../src/core/stanza.ts";
import { addOfflineDelay } from "../../src/core/time.ts";
import { prepare } from "../../src/core/prepare.ts";
import { BACKENDS, chat, makeStore } from "./helpers.ts";

const TS = Date.parse("2026-01-01T00:00:00Z");

/** A strict, namespace-aware XML parser's reading of a document: the root's last child element, or a parse error. */
function strictLastChild(xml: string): { name: string; ns: string; attrs: Record<string, string>; text: string } {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Array<{ name: string; ns: string; attrs: Record<string, string>; text: string }> = [];
  let last: (typeof stack)[number] | null = null;
  parser.on("error", (e) => {
    throw e;
  });
  parser.on("opentag", (t) => {
    const attrs = Object.fromEntries(Object.values(t.attributes).map((a) => [a.name, a.value]));
    stack.push({ name: t.local, ns: t.uri, attrs, text: "" });
  });
  parser.on("text", (s) => stack.length && (stack.at(-1)!.text += s));
  parser.on("closetag", () => {
    const el = stack.pop()!;
    if (stack.length === 1) last = el;
  });
  parser.write(xml).close();
  if (!last) throw new Error("no child element");
  return last;
}

/** The old way: parse, append the element, serialise. */
function byTree(packet: string, domain: string, ts: number): string {
  const el = readMessage(packet, Infinity);
  addOfflineDelay(el, domain, ts);
  return el.toString();
}

/** What the store keeps for a stanza: prepare's serialisation. */
function stored(stanza: string): string {
  const p = prepare(stanza, TS, 1 << 20, {});
  if (p.kind !== "store") throw new Error("not stored");
  return p.record.packet;
}

describe("offline delay by string assembly", () => {
  const samples = [
    chat("bob@localhost", "plain"),
    chat("bob@localhost", "tricky &amp; &lt;b&gt; &quot;quotes&quot; ' \u00e9\u{1F600}", "<active xmlns='http://jabber.org/protocol/chatstates'/>"),
    `<message to='bob@localhost' type='chat' id='a"b'><body>x</body></message>`,
    `<message to='bob@localhost' from='alice@localhost' type='chat' id='n'><body>q</body><delay xmlns='urn:xmpp:delay' stamp='2025-01-01T00:00:00Z'/></message>`,
  ];

  it.each(samples)("gives the same XML as the parse path, and a strict parser reads the delay: %s", (stanza) => {
    const packet = stored(stanza);
    const out = withOfflineDelay(packet, "localhost", TS);
    expect(out).toBe(byTree(packet, "localhost", TS));
    expect(strictLastChild(out!)).toEqual({
      name: "delay",
      ns: "urn:xmpp:delay",
      attrs: { xmlns: "urn:xmpp:delay", from: "localhost", stamp: "2026-01-01T00:00:00.000Z" },
      text: "Offline Storage",
    });
  });

  it("handles a self-closed message element", () => {
    const out = withOfflineDelay(`<message to="bob@localhost"/>`, "localhost", TS);
    expect(out).toBe(byTree(`<message to="bob@localhost"/>`, "localhost", TS));
    expect(strictLastChild(out!).name).toBe("delay");
  });

  it("escapes the attributes it writes", () => {
    expect(escapeAttr(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f");
    const out = withOfflineDelay(`<message to="x"><body>b</body></message>`, `evil"><x/>`, TS)!;
    expect(strictLastChild(out).attrs.from).toBe(`evil"><x/>`);
    expect(offlineDelayXml(`d"`, TS)).toContain(`from="d&quot;"`);
  });

  it("declines what is not a stored message, so the caller parses", () => {
    expect(withOfflineDelay(`<iq/>`, "localhost", TS)).toBeNull();
    expect(withOfflineDelay(`<message to="x"><body>b</body>`, "localhost", TS)).toBeNull();
  });
});

describe.each(BACKENDS)("pop adds the delay without parsing (%s)", (_name, backend) => {
  it("popped stanzas are well-formed with one offline delay; expiry still refreshed", async () => {
    let now = TS;
    const store = makeStore(backend(), { now: () => now });
    await store.write([chat("bob@localhost", "a &amp; b"), chat("bob@localhost", "e", "<x xmlns='jabber:x:expire' seconds='60'/>")]);
    now += 20_000;
    const [plain, expiring] = await store.pop("bob@localhost");
    expect(strictLastChild(plain!.stanza)).toMatchObject({ name: "delay", attrs: { from: "localhost", stamp: "2026-01-01T00:00:00.000Z" } });
    expect(plain!.stanza.match(/<delay /g)).toHaveLength(1);
    expect(readMessage(plain!.stanza).getChildText("body")).toBe("a & b");
    expect(readMessage(expiring!.stanza).getChild("x", "jabber:x:expire")!.attrs.seconds).toBe("40");
    expect(strictLastChild(expiring!.stanza).name).toBe("delay");
  });
});
