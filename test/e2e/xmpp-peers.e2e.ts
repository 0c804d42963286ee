// Receiving peers that are not offline-edge: a plain @xmpp/client session in
// Node (no inbox, no origin-id dedupe), once answering XEP-0184 receipts and
// once not, and a StanzaJS client (a second, independent library, over
// WebSocket), against alice's drain in Chromium through the test Prosody. And:
// a poison head, a sender page closed mid-drain, and bob signing in in a
// profile that holds alice's queue for him.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { client, type Client } from "@xmpp/client";
import { xml, type Element } from "@xmpp/xml";
import { createClient as createStanzaClient, type Agent } from "stanza";
import { UNLIMITED, browserPerFile, openHarness, range } from "./browser.ts";
import type { LeaveAfter } from "./chat-harness.ts";

const ALICE = "alice@localhost";
const BOB = "bob@localhost";
const NS_RECEIPTS = "urn:xmpp:receipts";
const NS_DISCO = "http://jabber.org/protocol/disco#info";
const NS_SID = "urn:xmpp:sid:0";
/** The drain's default window (2 × batch of 100): the most a receiver without dedupe can see twice after a sender dies. */
const WINDOW = 200;

const context = browserPerFile();
let plain: Client[] = [];
let stanzas: Agent[] = [];
beforeEach(() => {
  plain = [];
  stanzas = [];
});
// Registered after browserPerFile's: runs before the contexts close.
afterEach(async () => {
  await Promise.all(plain.map((c) => c.stop().catch(() => undefined)));
  for (const c of stanzas) c.disconnect();
});

async function login(ctx: BrowserContext, self: string, config?: object, leaveAfter?: LeaveAfter, drainBatch?: number): Promise<Page> {
  const page = await openHarness(ctx);
  await page.evaluate(
    ({ self, service, config, leaveAfter, drainBatch }) =>
      window.harness.startChat({ self, relay: "xmpp", service, store: { config }, leaveAfter, drainBatch }).then((c) => void (window.chat = c)),
    { self, service: inject("xmppWsUrl"), config, leaveAfter, drainBatch },
  );
  return page;
}

const queue = (page: Page, bodies: string[], type = "chat") =>
  page.evaluate(({ bodies, to, type }) => Promise.all(bodies.map((b) => window.chat.send(to, b, "", type))), { bodies, to: BOB, type });
const count = (page: Page) => page.evaluate((to) => window.chat.store.count(to), BOB);

interface PlainPeer {
  got: Array<{ body: string; id: string | null; askedReceipt: boolean }>;
  /** disco#info queries it was asked (StanzaJS peers only). */
  discoAsked?: number;
}

/**
 * bob as a plain @xmpp/client session in Node, over TCP: no offline-edge
 * code. With `receipts` it answers XEP-0184 requests and says so in its
 * disco#info (as Conversations, Gajim, Dino do); without, it answers neither
 * (@xmpp/client refuses the disco query with service-unavailable).
 */
async function plainBob(receipts: boolean, leaveAfter = Infinity): Promise<PlainPeer> {
  const bob = client({ service: inject("xmppTcpUrl"), domain: "localhost", username: "bob", password: "secret", resource: `plain-${Math.random().toString(36).slice(2, 8)}` });
  plain.push(bob);
  const peer: PlainPeer = { got: [] };
  if (receipts) {
    (bob as unknown as { iqCallee: { get(ns: string, name: string, h: () => Element): void } }).iqCallee.get(NS_DISCO, "query", () =>
      xml("query", { xmlns: NS_DISCO }, xml("feature", { var: NS_DISCO }), xml("feature", { var: NS_RECEIPTS })),
    );
  }
  bob.on("stanza", (s: Element) => {
    if (!s.is("message") || s.attrs.type === "error") return;
    const body = s.getChildText("body");
    if (body === null) return;
    const askedReceipt = s.getChild("request", NS_RECEIPTS) !== undefined;
    // With receipts, one read by a session on its way out was never its app's (no receipt says otherwise);
    // without, the server's ack is all the proof there is: what the socket read counts as had.
    if (receipts && peer.got.length >= leaveAfter) return;
    peer.got.push({ body, id: s.getChild("origin-id", NS_SID)?.attrs.id ?? null, askedReceipt });
    if (peer.got.length >= leaveAfter) {
      if (peer.got.length === leaveAfter) void bob.stop(); // logs out in the middle of the drain, this message unanswered
      return;
    }
    if (receipts && askedReceipt && s.attrs.id) {
      void bob.send(xml("message", { to: s.attrs.from, id: `r-${s.attrs.id}` }, xml("received", { xmlns: NS_RECEIPTS, id: s.attrs.id })));
    }
  });
  bob.on("error", () => undefined);
  // @xmpp/client 0.14 resolves start() before its XEP-0198 <enabled/>; a stanza read with it (alice's
  // disco#info query, sent the moment bob's presence shows) is counted, then forgotten, and Prosody
  // later kills bob's stream for acking too few. A real client sends presence after <enabled/>.
  const enabled = new Promise((resolve) => bob.on("nonza", (n: Element) => n.name === "enabled" && setTimeout(resolve, 0)));
  await bob.start();
  await enabled;
  await bob.send(xml("presence"));
  return peer;
}

/**
 * bob as a StanzaJS client in Node, over Prosody's WebSocket (with the `ws`
 * package): a library we did not write and that shares no code with
 * @xmpp/client. Set up as a chat app sets it up: XEP-0198 on, XEP-0115
 * caps in its presence, XEP-0184 in its disco#info, a receipt for every
 * message that asks for one.
 */
async function stanzaBob(): Promise<PlainPeer> {
  const bob = createStanzaClient({ jid: BOB, password: "secret", resource: `stanza-${Math.random().toString(36).slice(2, 8)}`, transports: { websocket: inject("xmppWsUrl"), bosh: false } });
  stanzas.push(bob);
  const peer: PlainPeer = { got: [], discoAsked: 0 };
  bob.on("iq:get:disco", () => void peer.discoAsked!++); // StanzaJS answers it itself; this only counts
  bob.on("message", (m) => {
    if (m.type === "error" || m.body === undefined) return;
    peer.got.push({ body: m.body, id: m.originId ?? null, askedReceipt: m.receipt?.type === "request" });
  });
  const started = new Promise<void>((resolve, reject) => {
    bob.once("session:started", () => resolve());
    bob.once("auth:failed", () => reject(new Error("StanzaJS bob could not log in")));
  });
  bob.connect();
  await started;
  // As a StanzaJS chat app announces itself: XEP-0115 caps (SHA-1 over its disco#info) in its presence.
  bob.updateCaps();
  await bob.sendPresence({ legacyCapabilities: bob.getCurrentCaps()?.legacyCapabilities });
  return peer;
}

async function settle(check: () => Promise<boolean> | boolean, ms = 90_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const bodies = (p: PlainPeer) => p.got.map((g) => g.body);
/** The peer's bodies with repeats left out: what it saw, first time each. */
const firsts = (p: PlainPeer) => [...new Set(bodies(p))];

describe("XMPP drain to peers that are not offline-edge (plain @xmpp/client in Node)", () => {
  for (const receipts of [true, false]) {
    it(`1,000 queued messages to a peer ${receipts ? "answering" : "not answering"} receipts: all arrive once, in order; receipts asked only of a peer that answers them`, async () => {
      const alice = await login(await context(), ALICE, UNLIMITED);
      const n = 1000;
      expect((await queue(alice, range(n))).every((s) => s.state === "queued")).toBe(true);
      const bob = await plainBob(receipts);
      await settle(async () => (await count(alice)) === 0 && bob.got.length >= n, 120_000, "the drain");
      expect(bodies(bob)).toEqual(range(n)); // nothing lost, nothing twice, in order
      expect(bob.got.every((g) => g.askedReceipt === receipts)).toBe(true);
      expect(bob.got.every((g) => g.id !== null)).toBe(true); // XEP-0359 origin-id on every message, for clients that dedupe
      await expect.poll(() => alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "delivered").length)).toBe(n);
    });
  }

  it("1,000 queued messages to a StanzaJS peer (another library, receipts by its defaults): all arrive once, in order; its disco#info is read, so receipts are asked of it", async () => {
    const alice = await login(await context(), ALICE, UNLIMITED);
    const n = 1000;
    await queue(alice, range(n));
    const bob = await stanzaBob();
    await settle(async () => (await count(alice)) === 0 && bob.got.length >= n, 120_000, "the drain");
    expect(bodies(bob)).toEqual(range(n));
    // Its caps and disco#info (StanzaJS's, not ours) were read: receipts were asked of it.
    expect(bob.got.every((g) => g.askedReceipt)).toBe(true);
    expect(bob.got.every((g) => g.id !== null)).toBe(true);
    await expect.poll(() => alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "delivered").length)).toBe(n);
    expect(bob.discoAsked).toBe(1);
  });

  it("a StanzaJS client's caps, verified against its disco#info, are kept: after a reload alice asks it nothing and still asks for receipts", async () => {
    const aliceContext = await context();
    let alice = await login(aliceContext, ALICE, UNLIMITED);
    await queue(alice, ["first"]);
    const bob = await stanzaBob();
    await settle(async () => (await count(alice)) === 0 && bob.got.length >= 1, 30_000, "the first drain");
    // Our XEP-0115 hash of its answer equals the ver StanzaJS computed for its presence: only then is it kept.
    const kept = await alice.evaluate(() => JSON.parse(localStorage.getItem("offline-edge:xmpp-caps") ?? "{}") as Record<string, string[]>);
    expect(Object.entries(kept)).toEqual([[expect.stringMatching(/^https:\/\/stanzajs\.org#/), expect.arrayContaining(["urn:xmpp:receipts"])]]);
    await alice.close();
    alice = await login(aliceContext, ALICE, UNLIMITED);
    await queue(alice, ["second"]);
    await settle(async () => (await count(alice)) === 0 && bob.got.length >= 2, 30_000, "the second drain");
    expect(bodies(bob)).toEqual(["first", "second"]);
    expect(bob.got.map((g) => g.askedReceipt)).toEqual([true, true]);
    expect(bob.discoAsked).toBe(1); // the first page's query only
  });

  it("alice's page closed mid-drain and reopened: what bob had confirmed is not sent again", async () => {
    const aliceContext = await context();
    let alice = await login(aliceContext, ALICE, UNLIMITED, { delivered: 150 });
    await queue(alice, range(500));
    const bob = await plainBob(true);
    await alice.waitForFunction(() => window.chat.left, null, { timeout: 60_000 });
    // Each delivered status follows its ack's commit: these left the queue before the page died.
    const confirmed = await alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "delivered").map((s) => s.id));
    expect(confirmed.length).toBeGreaterThanOrEqual(150);
    await alice.close();
    alice = await login(aliceContext, ALICE);
    await settle(async () => (await count(alice)) === 0 && firsts(bob).length >= 500, 90_000, "the second drain");
    expect(firsts(bob)).toEqual(range(500));
    const times = new Map<string, number>();
    for (const g of bob.got) times.set(g.id!, (times.get(g.id!) ?? 0) + 1);
    expect(confirmed.filter((id) => times.get(id) !== 1)).toEqual([]);
    // Only what was in flight and unconfirmed when the page died can come twice.
    expect(bob.got.length - 500).toBeLessThanOrEqual(WINDOW);
  });

  for (const receipts of [true, false]) {
    it(`a peer ${receipts ? "answering" : "not answering"} receipts logs out mid-drain and back in: nothing lost, the rest in order${receipts ? ", repeats only of what it left unconfirmed" : ""}`, async () => {
      const alice = await login(await context(), ALICE, UNLIMITED);
      const n = 600;
      await queue(alice, range(n));
      const first = await plainBob(receipts, 250);
      const busy = () => alice.evaluate((to) => window.chat.relay.isAvailable(to) || window.chat.messenger.drain.isDraining(to), BOB);
      await settle(async () => first.got.length >= 250 && !(await busy()), 60_000, "bob gone, the drain stopped");
      expect(await count(alice)).toBeGreaterThan(0);
      const second = await plainBob(receipts);
      await settle(async () => (await count(alice)) === 0, 90_000, "the drain after bob came back");
      // What bob's two sessions saw, first time each, in arrival order: the whole queue, in order.
      const all = [...bodies(first), ...bodies(second)];
      expect([...new Set(all)]).toEqual(range(n));
      if (receipts) expect(all.length - n).toBeLessThanOrEqual(WINDOW);
    });
  }

  it("a poison head (groupchat to bob's bare JID, refused for good) is dead-lettered; the good ones arrive once; nothing is re-sent", async () => {
    const alice = await login(await context(), ALICE, { ...UNLIMITED, storeGroupchatMessages: true });
    const [poison] = await queue(alice, ["poison"], "groupchat");
    expect(poison!.state).toBe("queued");
    await queue(alice, ["g1", "g2", "g3"]);
    const bob = await plainBob(true);
    await settle(async () => (await count(alice)) === 0 && bob.got.length >= 3, 60_000, "the drain");
    const failed = await alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "failed"));
    expect(failed).toEqual([expect.objectContaining({ id: poison!.id, to: BOB, stanzaError: expect.objectContaining({ type: "cancel", condition: "service-unavailable" }) })]);
    const dead = await alice.evaluate(() => window.chat.store.deadLetters("bob@localhost"));
    expect(dead.map((d) => [d.record.id, d.error.condition])).toEqual([[poison!.id, "service-unavailable"]]);
    // While bob stays online, a later message goes alone: the queue behind the poison is not sent again.
    await queue(alice, ["later"]);
    await settle(() => bob.got.length >= 4, 30_000, "the later message");
    await alice.evaluate(() => (window.chat.relay as unknown as { sync(): Promise<void> }).sync());
    expect(bodies(bob)).toEqual(["g1", "g2", "g3", "later"]);
  });
});

describe("our own presence is never a peer", () => {
  it("bob signing in in a profile that holds alice's queue for him leaves it untouched", async () => {
    const profile = await context();
    const alice = await login(profile, ALICE);
    await queue(alice, ["for bob 1", "for bob 2", "for bob 3"]);
    expect(await count(alice)).toBe(3);
    await alice.close();
    const bob = await login(profile, BOB);
    // bob's own presence is reflected to him: his relay knows it, and never takes it for a peer.
    await bob.evaluate(() => (window.chat.relay as unknown as { sync(): Promise<void> }).sync());
    expect(await bob.evaluate((me) => window.chat.relay.isAvailable(me), BOB)).toBe(false);
    expect(await bob.evaluate((me) => window.chat.messenger.drain.drain(me), BOB)).toBeNull();
    expect(await count(bob)).toBe(3);
  });
});
