// The XMPP relay's wiring to its client, with the test playing the client
// and the server (no Prosody): stream events, XEP-0198 negotiation and
// acks, our own disco#info answer, subscriptions, an owned client's start
// and stop. The same relay against Prosody: relay-xmpp.test.ts.
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { XmppRelay } from "../../src/relay/xmpp/relay.ts";
import { NS_DISCO_INFO } from "../../src/relay/xmpp/caps.ts";
import { NS } from "../../src/core/namespaces.ts";
import { InvalidOptionError, MalformedStanzaError, TimeoutError } from "../../src/core/errors.ts";
import type { XmppRelayOptions } from "../../src/relay/xmpp/types.ts";

const NS_SM = "urn:xmpp:sm:3";
type Handler = (ctx: { element?: Element }, next: () => unknown) => unknown;

/** A client online as alice@x/r that records what it writes; XEP-0198 optional. */
class FakeClient extends EventEmitter {
  status = "online";
  jid: { toString(): string } | null = { toString: () => "alice@x/r" };
  readonly sent: Element[] = [];
  readonly wrote = new EventEmitter();
  streamManagement?: EventEmitter & { enabled: boolean; outbound_q: Array<{ stanza: Element }> };
  readonly callee = new Map<string, Handler>();
  readonly iqCallee = { get: (ns: string, name: string, handler: Handler) => void this.callee.set(`${ns} ${name}`, handler) };
  failWrites = false;
  started = 0;
  stopped = 0;
  reconnectStopped = 0;
  readonly reconnect = { stop: () => void this.reconnectStopped++ };

  constructor(sm = false) {
    super();
    if (sm) this.streamManagement = Object.assign(new EventEmitter(), { enabled: true, outbound_q: [] as Array<{ stanza: Element }> });
  }

  async send(el: Element): Promise<void> {
    if (this.failWrites) throw new Error("socket closed");
    this.sent.push(el);
    if (this.streamManagement?.enabled && ["message", "presence", "iq"].includes(el.name)) this.streamManagement.outbound_q.push({ stanza: el });
    this.wrote.emit("sent", el);
  }

  async start(): Promise<void> {
    this.started++;
  }

  async stop(): Promise<void> {
    this.stopped++;
    this.status = "offline";
  }

  /** The next write of a `<name/>` (that matches). */
  next(name: string, match: (el: Element) => boolean = () => true): Promise<Element> {
    return new Promise((resolve) => {
      const on = (el: Element) => {
        if (el.name !== name || !match(el)) return;
        this.wrote.removeListener("sent", on);
        resolve(el);
      };
      this.wrote.on("sent", on);
    });
  }

  /** Plays the server: answers the iq with a result from `from` (default: its `to`). */
  answer(iq: Element, from = iq.attrs.to as string | undefined): void {
    this.emit("stanza", xml("iq", { type: "result", id: iq.attrs.id, ...(from && { from }) }));
  }
}

const relays: XmppRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

function relayOn(client: FakeClient, options: XmppRelayOptions = {}, owned?: { priority: number; startTimeoutMs: number }): XmppRelay {
  const r = new XmppRelay(client as never, options, owned);
  relays.push(r);
  return r;
}

/** Lets every pending promise job run: what the relay would write by now, it has written. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const chat = (to: string, id: string, ...extra: Element[]) => xml("message", { to, id, type: "chat" }, xml("body", {}, id), ...extra);

describe("XmppRelay wiring (fake client)", () => {
  it("knows its own bare JID from the client; the server reflecting our presence is never a peer", () => {
    const client = new FakeClient();
    const r = relayOn(client);
    expect(r.self).toBe("alice@x");
    client.emit("stanza", xml("presence", { from: "alice@x/other-tab" }));
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    expect(r.availablePeers()).toEqual(["bob@x"]);
    expect(r.isAvailable("not a jid@@")).toBe(false);
    // Before the client knows its JID, and after a fresh session tells it.
    const later = new FakeClient();
    later.jid = null;
    const r2 = relayOn(later);
    expect(r2.self).toBe("");
    later.jid = { toString: () => "carol@x/t" };
    later.emit("online");
    expect(r2.self).toBe("carol@x");
  });

  it("answers disco#info itself, with receipts unless they are off; a node query or a closed relay goes on", async () => {
    for (const [receipts, has] of [[undefined, true], [true, true], [false, false]] as const) {
      const client = new FakeClient();
      const r = relayOn(client, receipts === undefined ? {} : { receipts });
      const handler = client.callee.get(`${NS_DISCO_INFO} query`)!;
      const next = () => "next";
      const answer = handler({ element: xml("query", { xmlns: NS_DISCO_INFO }) }, next) as Element;
      const features = answer.getChildren("feature").map((f) => f.attrs.var);
      expect(features.includes(NS.receipts)).toBe(has);
      expect(features).toContain(NS_DISCO_INFO);
      expect(handler({ element: xml("query", { xmlns: NS_DISCO_INFO, node: "n#v" }) }, next)).toBe("next");
      await r.close();
      expect(handler({ element: xml("query", { xmlns: NS_DISCO_INFO }) }, next)).toBe("next");
    }
  });

  it("a message owing a receipt is answered once every listener took it, only while online, never with receipts off", async () => {
    const owing = (id: string) => xml("message", { from: "bob@x/phone", id, type: "chat" }, xml("body", {}, id), xml("request", { xmlns: NS.receipts }));
    const client = new FakeClient();
    const r = relayOn(client);
    const releases: Array<() => void> = [];
    r.onMessage(() => new Promise<void>((resolve) => releases.push(resolve)));
    r.onMessage(() => undefined);
    const receipt = client.next("message");
    client.emit("stanza", owing("m1"));
    await settled();
    expect(client.sent).toHaveLength(0); // a listener has not taken it yet
    releases[0]!();
    const r1 = await receipt;
    expect(r1.attrs.to).toBe("bob@x/phone");
    expect(r1.getChild("received", NS.receipts)?.attrs.id).toBe("m1");
    // Offline when the listener is done: no receipt.
    client.emit("stanza", owing("m2"));
    client.status = "disconnect";
    releases[1]!();
    await settled();
    client.status = "online";
    // A listener that rejects: no receipt either.
    const failing = new FakeClient();
    const f = relayOn(failing);
    f.onMessage(() => Promise.reject(new Error("could not take it")));
    failing.emit("stanza", owing("m3"));
    // Receipts off.
    const quiet = new FakeClient();
    const q = relayOn(quiet, { receipts: false });
    q.onMessage(() => undefined);
    quiet.emit("stanza", owing("m4"));
    await settled();
    expect(client.sent.filter((el) => el.getChild("received", NS.receipts))).toHaveLength(1);
    expect([...failing.sent, ...quiet.sent].filter((el) => el.name === "message")).toEqual([]);
  });

  it("an error message is a bounce, not a message; a receipt reaches onMessage too", async () => {
    const client = new FakeClient();
    const r = relayOn(client, { graceMs: 0 });
    const got: string[] = [];
    r.onMessage((m) => void got.push(m.attrs.id ?? ""));
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    const sending = r.send(chat("bob@x", "b1"));
    await client.next("iq"); // the ping that would confirm it
    client.emit("stanza", xml("message", { type: "error", id: "b1", from: "bob@x" }, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))));
    expect(await sending).toMatchObject({ status: "bounced", condition: "service-unavailable" });
    client.emit("stanza", xml("message", { from: "bob@x/phone", id: "r1" }, xml("received", { xmlns: NS.receipts, id: "zzz" })));
    expect(got).toEqual(["r1"]);
  });

  it("send refuses what is not a message; without a connection or once closed it answers unknown", async () => {
    const client = new FakeClient();
    const r = relayOn(client);
    await expect(r.send(xml("presence", { to: "bob@x" }))).rejects.toBeInstanceOf(MalformedStanzaError);
    await expect(r.send(xml("message", {}))).rejects.toThrow();
    client.status = "connecting";
    expect(await r.send(chat("bob@x", "n1"))).toMatchObject({ status: "unknown", reason: "not connected", id: "n1" });
    client.status = "online";
    client.failWrites = true;
    expect(await r.send(chat("bob@x", "n2"))).toMatchObject({ status: "unknown", reason: "write failed: socket closed" });
    client.failWrites = false;
    await r.close();
    expect(await r.send(chat("bob@x", "n3"))).toMatchObject({ status: "unknown", reason: "relay closed" });
  });

  it("strips the receipt request for a peer that does not answer receipts, keeps it for one that does", async () => {
    const client = new FakeClient();
    const r = relayOn(client, { graceMs: 0, discoTimeoutMs: 5000 });
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    client.emit("stanza", xml("presence", { from: "carol@x/pc" }));
    await settled();
    const discos = client.sent.filter((el) => el.getChild("query", NS_DISCO_INFO));
    expect(discos.map((d) => d.attrs.to)).toEqual(["bob@x/phone", "carol@x/pc"]);
    const toBob = r.send(chat("bob@x", "s1", xml("request", { xmlns: NS.receipts })));
    const toCarol = r.send(chat("carol@x", "s2", xml("request", { xmlns: NS.receipts })));
    expect(client.sent.some((el) => el.name === "message")).toBe(false); // both wait for the answers
    client.emit("stanza", xml("iq", { type: "result", id: discos[0]!.attrs.id, from: "bob@x/phone" }, xml("query", { xmlns: NS_DISCO_INFO })));
    client.emit("stanza", xml("iq", { type: "result", id: discos[1]!.attrs.id, from: "carol@x/pc" }, xml("query", { xmlns: NS_DISCO_INFO }, xml("feature", { var: NS.receipts }))));
    const ping = await client.next("iq", (el) => el.getChild("ping", "urn:xmpp:ping") !== undefined);
    const [bobMsg, carolMsg] = client.sent.filter((el) => el.name === "message");
    expect(bobMsg!.getChild("request", NS.receipts)).toBeUndefined();
    expect(carolMsg!.getChild("request", NS.receipts)).toBeDefined();
    client.answer(ping, "x");
    const bobOutcome = await toBob;
    expect(bobOutcome).toMatchObject({ status: "delivered", via: "ping" });
    expect(bobOutcome.stanza.getChild("request", NS.receipts)).toBeUndefined(); // our copy as sent
    expect(r.answersReceipts("carol@x/any")).toBeInstanceOf(Promise);
    client.emit("stanza", xml("message", { from: "carol@x/pc" }, xml("received", { xmlns: NS.receipts, id: "s2" })));
    expect(await toCarol).toMatchObject({ status: "delivered", via: "receipt" });
    expect(r.answersReceipts("carol@x")).toBe(true);
  });

  it("with XEP-0198: one <r/> per burst, acks confirm, a failed stanza is unknown, a resumption keeps presence", async () => {
    const client = new FakeClient(true);
    const r = relayOn(client, { graceMs: 0 });
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    const sends = [r.send(chat("bob@x", "a1")), r.send(chat("bob@x", "a2"))];
    const request = await client.next("r");
    expect(request.attrs.xmlns).toBe(NS_SM);
    const [w1, w2] = client.sent.filter((el) => el.name === "message");
    client.streamManagement!.emit("ack", w1);
    client.streamManagement!.emit("fail", w2);
    expect(await sends[0]).toMatchObject({ status: "delivered", via: "ack" });
    expect(await sends[1]).toMatchObject({ status: "unknown", reason: "stream management gave up on it" });
    expect(client.sent.filter((el) => el.name === "r")).toHaveLength(1);
    // The stream drops and resumes: presence goes and comes back as it was.
    const changes: string[] = [];
    r.onPresence((c) => changes.push(`${c.peer} ${c.available}`));
    client.emit("disconnect");
    client.streamManagement!.emit("resumed");
    expect(changes).toEqual(["bob@x false", "bob@x true"]);
    // Not enabled (yet): no <r/> of ours; the module's own debounce covers it.
    client.streamManagement!.enabled = false;
    client.streamManagement!.outbound_q.push({ stanza: xml("message") });
    const before = client.sent.filter((el) => el.name === "r").length;
    const third = r.send(chat("bob@x", "a3"));
    const ping = await client.next("iq"); // not in outbound_q: a ping confirms it instead
    client.answer(ping, "x");
    expect(await third).toMatchObject({ status: "delivered", via: "ping" });
    expect(client.sent.filter((el) => el.name === "r")).toHaveLength(before);
  });

  it("a long burst asks for an ack after every 25 messages and at its end, so acks come back while it is written", async () => {
    const client = new FakeClient(true);
    const r = relayOn(client, { graceMs: 0 });
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    await settled();
    const last = client.next("r", () => client.sent.filter((el) => el.name === "message").length === 60);
    const sends = Array.from({ length: 60 }, (_, i) => r.send(chat("bob@x", `l${i}`)));
    await last;
    const order = client.sent.filter((el) => el.name === "message" || el.name === "r").map((el) => (el.name === "r" ? "r" : "m"));
    expect(order.join("")).toBe(`${"m".repeat(25)}r${"m".repeat(25)}r${"m".repeat(10)}r`);
    for (const el of client.sent.filter((e) => e.name === "message")) client.streamManagement!.emit("ack", el);
    expect((await Promise.all(sends)).every((o) => o.status === "delivered")).toBe(true);
  });

  it("writes nothing while XEP-0198 is being negotiated; <enabled/> or <failed/> lets it go on", async () => {
    for (const end of ["enabled", "failed"]) {
      const client = new FakeClient(true);
      client.streamManagement!.enabled = false;
      const r = relayOn(client, { graceMs: 0 });
      client.emit("nonza", xml("features", { xmlns: "http://etherx.jabber.org/streams" }, xml("sm", { xmlns: NS_SM })));
      client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
      const sending = r.send(chat("bob@x", `w-${end}`));
      const synced = r.sync(5000);
      const written = client.next("message");
      await new Promise((resolve) => setImmediate(resolve));
      expect(client.sent.filter((el) => el.name !== "iq" || !el.getChild("query", NS_DISCO_INFO))).toEqual([]);
      client.emit("nonza", xml(end, { xmlns: NS_SM }));
      await written;
      const pings = client.sent.filter((el) => el.getChild("ping", "urn:xmpp:ping"));
      for (const p of pings) client.answer(p, "x");
      await synced;
      await r.close();
      await sending;
    }
    // Features without XEP-0198: nothing to wait for.
    const plain = new FakeClient(true);
    plain.streamManagement!.enabled = false;
    const r = relayOn(plain);
    plain.emit("nonza", xml("features", { xmlns: "http://etherx.jabber.org/streams" }));
    const synced = r.sync(5000);
    plain.answer(await plain.next("iq"), "x");
    await synced;
  });

  it("sync: a ping to our server; no answer in time is a TimeoutError; our stream going down fails it at once", async () => {
    const client = new FakeClient();
    const r = relayOn(client);
    const written = client.next("iq");
    const ok = r.sync(5000);
    const ping = await written;
    expect(ping.attrs.to).toBe("x");
    expect(ping.getChild("ping", "urn:xmpp:ping")).toBeDefined();
    client.emit("stanza", xml("iq", { type: "error", id: ping.attrs.id })); // an error answer is an answer
    await ok;
    await expect(r.sync(1)).rejects.toBeInstanceOf(TimeoutError);
    const pinged = client.next("iq");
    const down = r.sync(60_000);
    await pinged;
    client.emit("disconnect");
    await expect(down).rejects.toBeInstanceOf(TimeoutError);
    client.emit("stanza", xml("iq", { type: "get", id: "x1" })); // a request, not an answer: ignored
  });

  it("our stream going down settles what is in flight; offline (client stopped) forgets presence", async () => {
    const client = new FakeClient();
    const r = relayOn(client, { graceMs: 0 });
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    const first = r.send(chat("bob@x", "d1"));
    await client.next("iq");
    client.emit("disconnect");
    expect(await first).toMatchObject({ status: "unknown", reason: "disconnected" });
    expect(r.isAvailable("bob@x")).toBe(false);
    client.emit("online");
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    const second = r.send(chat("bob@x", "d2"));
    await client.next("iq");
    client.emit("offline");
    expect(await second).toMatchObject({ status: "unknown", reason: "client stopped" });
    client.status = "online";
    client.emit("online");
    expect(r.isAvailable("bob@x")).toBe(false); // forgotten: the server tells it again
  });

  it("subscription requests: told to the app; accepted when asked to (all, or by a function)", async () => {
    for (const [accept, expected] of [
      [undefined, []],
      [false, []],
      [true, ["subscribed bob@x", "subscribe bob@x"]],
      [(peer: string) => peer !== "bob@x", []],
      [(peer: string) => peer === "bob@x", ["subscribed bob@x", "subscribe bob@x"]],
    ] as const) {
      const client = new FakeClient();
      const r = relayOn(client, accept === undefined ? {} : { acceptSubscriptions: accept });
      const requests: string[] = [];
      r.onSubscriptionRequest((p) => requests.push(p));
      client.emit("stanza", xml("presence", { from: "bob@x/phone", type: "subscribe" }));
      client.emit("stanza", xml("presence", { from: "alice@x/other", type: "subscribe" })); // ourselves: nothing
      expect(requests).toEqual(["bob@x"]);
      const presences = () => client.sent.filter((el) => el.name === "presence").map((el) => `${el.attrs.type} ${el.attrs.to}`);
      if (expected.length) {
        const ping = await client.next("iq");
        client.answer(ping, "x");
      }
      expect(presences()).toEqual(expected);
    }
  });

  it("a disco#info query carries the caps node of the presence that made it", async () => {
    const client = new FakeClient();
    relayOn(client);
    client.emit("stanza", xml("presence", { from: "bob@x/phone" }, xml("c", { xmlns: "http://jabber.org/protocol/caps", node: "https://client", ver: "abc=", hash: "sha-1" })));
    await settled();
    const query = client.sent.find((el) => el.name === "iq")!.getChild("query", NS_DISCO_INFO)!;
    expect(query.attrs.node).toBe("https://client#abc=");
    client.emit("stanza", xml("presence", { from: "carol@x/pc" }));
    await settled();
    expect(client.sent.at(-1)!.getChild("query", NS_DISCO_INFO)!.attrs.node).toBeUndefined();
  });

  it("an owned client: start logs in, waits for XEP-0198, announces its priority, syncs; close says goodbye and stops it", async () => {
    const client = new FakeClient();
    const r = relayOn(client, {}, { priority: 5, startTimeoutMs: 5000 });
    const errors: unknown[] = [];
    r.onError((e) => errors.push(e));
    client.emit("error", new Error("boom"));
    expect(errors).toHaveLength(1);
    const started = r.start();
    const presence = await client.next("presence");
    expect(presence.getChildText("priority")).toBe("5");
    client.answer(await client.next("iq"), "x");
    await started;
    expect(client.started).toBe(1);
    await expect(r.start()).rejects.toBeInstanceOf(InvalidOptionError); // once
    // A fresh session later: presence announced again.
    const again = client.next("presence");
    client.emit("online");
    expect((await again).getChildText("priority")).toBe("5");
    await r.close();
    expect(client.sent.at(-1)).toMatchObject({ name: "presence", attrs: { type: "unavailable" } });
    expect([client.stopped, client.reconnectStopped]).toEqual([1, 1]);
    client.emit("error", new Error("after close"));
    expect(errors).toHaveLength(1);
    // A plugged-in client is not ours to start, stop or report.
    const app = new FakeClient();
    const plugged = relayOn(app);
    await expect(plugged.start()).rejects.toBeInstanceOf(InvalidOptionError);
    const appErrors: unknown[] = [];
    plugged.onError((e) => appErrors.push(e));
    app.on("error", () => undefined);
    app.emit("error", new Error("theirs"));
    await plugged.close();
    expect([appErrors, app.stopped, app.sent.some((el) => el.attrs.type === "unavailable")]).toEqual([[], 0, false]);
  });

  it("priority 0 is announced without a <priority/>", async () => {
    const client = new FakeClient();
    const r = relayOn(client, {}, { priority: 0, startTimeoutMs: 5000 });
    const started = r.start();
    const presence = await client.next("presence");
    expect(presence.getChild("priority")).toBeUndefined();
    client.answer(await client.next("iq"), "x");
    await started;
  });
});
