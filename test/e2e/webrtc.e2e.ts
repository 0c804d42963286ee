import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { UNLIMITED, baseUrl, history, browserPerFile, openHarness, range, until } from "./browser.ts";
import type { ChatOptions, LeaveAfter, Received } from "./chat-harness.ts";

// Each user in a browser context of their own (separate storage: separate
// users on one machine), WebRTC data channels over loopback host candidates
// (no STUN/TURN), signalled over XMPP (the test Prosody), a PeerJS server, or
// by the test itself (bring your own channel). One browser for the file.
const ALICE = "alice@localhost";
const BOB = "bob@localhost";
const CAROL = "carol@localhost";

const context = browserPerFile();

interface Join {
  sink?: Received[];
  unlimited?: boolean;
  leaveAfter?: LeaveAfter;
  signalling?: ChatOptions["signalling"];
  dial?: string[];
}

/** Opens a tab as `self` in `ctx` on the WebRTC relay; it dials `dial` at start; what its app gets is pushed to `sink`. */
async function join(ctx: BrowserContext, self: string, o: Join = {}): Promise<Page> {
  const page = await openHarness(ctx);
  if (o.sink) {
    const sink = o.sink;
    await page.exposeFunction("onReceived", (r: Received) => void sink.push(r));
  }
  const options: ChatOptions = {
    self,
    relay: "webrtc",
    signalling: o.signalling ?? "peerjs",
    peerPort: inject("peerPort"),
    service: inject("xmppWsUrl"),
    dial: o.dial ?? [],
    store: { config: o.unlimited ? UNLIMITED : undefined },
    history: true,
    leaveAfter: o.leaveAfter,
  };
  await page.evaluate((options) => window.harness.startChat(options).then((c) => void (window.chat = c)), options);
  return page;
}

const send = (page: Page, to: string, bodies: string[]) =>
  page.evaluate(({ bodies, to }) => Promise.all(bodies.map((b) => window.chat.send(to, b))), { bodies, to });
const count = (page: Page, to: string) => page.evaluate((to) => window.chat.store.count(to), to);
const available = (page: Page, peer: string) => page.waitForFunction((peer) => window.chat.relay.isAvailable(peer), peer);
const unavailable = (page: Page, peer: string) => page.waitForFunction((peer) => !window.chat.relay.isAvailable(peer), peer);

describe("WebRTC relay between browser contexts", () => {
  it("XMPP signalling: carol leaves; alice's 3 for her are queued; carol returns and gets them in order with delay, once; alice's queue empties", async () => {
    const [ca, cb, cc] = [await context(), await context(), await context()];
    const signalling = "xmpp" as const;
    const alice = await join(ca, ALICE, { signalling });
    const bob = await join(cb, BOB, { signalling, dial: [ALICE] });
    const got: Received[] = [];
    let carol = await join(cc, CAROL, { signalling, dial: [ALICE, BOB], sink: got });
    await Promise.all([available(alice, BOB), available(alice, CAROL), available(bob, CAROL)]);
    await carol.close();
    await unavailable(alice, CAROL);
    const states = await send(alice, CAROL, ["one", "two", "three"]);
    expect(states.map((s) => s.state)).toEqual(["queued", "queued", "queued"]);
    expect(await count(alice, CAROL)).toBe(3);
    carol = await join(cc, CAROL, { signalling, dial: [ALICE, BOB], sink: got });
    await expect.poll(() => count(alice, CAROL), { timeout: 30_000 }).toBe(0);
    await until(() => got.length >= 3);
    expect(got.map((r) => r.body)).toEqual(["one", "two", "three"]);
    expect(got.every((r) => r.delay === "Offline Storage" && r.stamp && r.from.startsWith(ALICE))).toBe(true);
    await expect.poll(() => alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "delivered").length)).toBe(3);
    expect(await history(carol, CAROL)).toEqual(["one", "two", "three"]);
    // Live messages now go straight through the channel.
    const [live] = await send(alice, CAROL, ["live"]);
    expect(live!.state).toBe("sent");
    await until(() => got.length === 4);
    expect(await carol.evaluate(() => window.chat.messenger.inbox.stats.duplicates)).toBe(0);
  });

  it("PeerJS signalling: bob's tab closes at his 100th of a 500-message drain and reopens: the union is the 500, each once, in order", async () => {
    const [ca, cb] = [await context(), await context()];
    const alice = await join(ca, ALICE, { unlimited: true });
    expect((await send(alice, BOB, range(500))).every((s) => s.state === "queued")).toBe(true);
    let bob = await join(cb, BOB, { dial: [ALICE], leaveAfter: { received: 100 } });
    await bob.waitForFunction(() => window.chat.left, null, { timeout: 60_000 }); // pagehide at the 100th
    // The page hid at its 100th: its inbox hands nothing more over (what it had received waits for the next tab).
    expect(await history(bob, BOB)).toEqual(range(100));
    await bob.close();
    await unavailable(alice, BOB);
    expect(await count(alice, BOB)).toBeGreaterThan(0);
    bob = await join(cb, BOB, { dial: [ALICE] });
    await expect.poll(() => count(alice, BOB), { timeout: 60_000 }).toBe(0);
    expect(await history(bob, BOB)).toEqual(range(500));
  });

  it("alice's tab closes at her 100th delivered of a 500-message drain and reopens: nothing lost, nothing doubled", async () => {
    const [ca, cb] = [await context(), await context()];
    let alice = await join(ca, ALICE, { unlimited: true, leaveAfter: { delivered: 100 } });
    await send(alice, BOB, range(500));
    const bob = await join(cb, BOB, { dial: [ALICE] });
    await alice.waitForFunction(() => window.chat.left, null, { timeout: 60_000 });
    expect(await count(alice, BOB)).toBeGreaterThan(0); // stopped with messages still queued
    await alice.close();
    await unavailable(bob, ALICE);
    alice = await join(ca, ALICE, { dial: [BOB] });
    await expect.poll(() => count(alice, BOB), { timeout: 60_000 }).toBe(0);
    await expect.poll(async () => (await history(bob, BOB)).length, { timeout: 30_000 }).toBe(500);
    expect(await history(bob, BOB)).toEqual(range(500));
  });

  it("the 101st message to an offline peer is refused with the queue-full error", async () => {
    const alice = await join(await context(), ALICE);
    expect((await send(alice, CAROL, range(100))).every((s) => s.state === "queued")).toBe(true);
    const [over] = await send(alice, CAROL, ["one too many"]);
    expect(over).toMatchObject({ state: "bounced", reason: "resource-constraint" });
    expect(over!.error).toContain("Your contact offline message queue is full. The message has been discarded.");
    expect(await count(alice, CAROL)).toBe(100);
  });

  it("carol's renderer crashes (no close, no goodbye): alice sees her unavailable by missed heartbeats, and new messages queue", async () => {
    const [ca, cc] = [await context(), await context()];
    const alice = await join(ca, ALICE);
    const carol = await join(cc, CAROL, { dial: [ALICE] });
    await available(alice, CAROL);
    const cdp = await cc.newCDPSession(carol);
    void cdp.send("Page.crash").catch(() => undefined); // the call itself dies with the page, unanswered
    await unavailable(alice, CAROL);
    const drops = await alice.evaluate(() => (window.chat.relay as unknown as { stats: { drops: Record<string, number> } }).stats.drops);
    expect(drops["missed-heartbeats"]).toBe(1);
    expect(drops.left! + drops.closed!).toBe(0);
    const states = await send(alice, CAROL, ["after the crash"]);
    expect(states.map((s) => s.state)).toEqual(["queued"]);
    expect(await count(alice, CAROL)).toBe(1);
  });

  it("bring your own channel: malformed and spoofed frames get typed errors and change nothing; the channel still delivers", async () => {
    const [ca, cb] = [await context(), await context()];
    const got: Received[] = [];
    const alice = await join(ca, ALICE, { signalling: "byo", sink: got });
    const bob = await join(cb, BOB, { signalling: "byo" });
    // The app's own signalling: here the test carries the offer and answer.
    const offer = await bob.evaluate((peer) => window.chat.rtc!.byo.offer(peer), ALICE);
    const answer = await alice.evaluate(({ peer, offer }) => window.chat.rtc!.byo.answer(peer, offer), { peer: BOB, offer });
    await bob.evaluate(({ peer, answer }) => window.chat.rtc!.byo.accept(peer, answer), { peer: ALICE, answer });
    await Promise.all([available(alice, BOB), available(bob, ALICE)]);
    const address = await bob.evaluate(() => (window.chat.relay as unknown as { address: string }).address);
    const before = await alice.evaluate(() => window.chat.store.count("alice@localhost"));
    // Raw frames straight on bob's side of the channel.
    await bob.evaluate(
      ({ peer, address }) => {
        const ch = window.chat.rtc!.byo.channels.get(peer)!;
        const stanza = (from: string) => `<message type='chat' to='${peer}' from='${from}'><body>forged</body></message>`;
        const frame = (o: object) => JSON.stringify({ v: 1, kind: "message", to: peer, ref: "r1", ...o });
        ch.send("not json");
        ch.send(JSON.stringify({ v: 2, kind: "presence", from: address, available: true, interval: 200 }));
        ch.send(frame({ from: "dave@localhost/x", stanza: stanza("dave@localhost") }));
        ch.send(frame({ from: address, stanza: stanza("dave@localhost/x") }));
        ch.send(frame({ from: address, to: "carol@localhost", stanza: stanza(address) }));
      },
      { peer: ALICE, address },
    );
    await alice.waitForFunction(() => window.chat.rtc!.errors.length === 5);
    const errors = await alice.evaluate(() => window.chat.rtc!.errors);
    expect(errors.map((e) => [e.name, e.code, e.reason, e.peer])).toEqual([
      ["FrameRefusedError", "refused-frame", "malformed", BOB],
      ["FrameRefusedError", "refused-frame", "malformed", BOB],
      ["FrameRefusedError", "refused-frame", "spoofed", BOB],
      ["FrameRefusedError", "refused-frame", "spoofed", BOB],
      ["FrameRefusedError", "refused-frame", "misaddressed", BOB],
    ]);
    expect(got).toEqual([]);
    expect(await alice.evaluate(() => window.chat.relay.isAvailable("bob@localhost"))).toBe(true);
    expect(await alice.evaluate(() => window.chat.store.count("alice@localhost"))).toBe(before);
    // The same channel still carries bob's real messages.
    const [ok] = await send(bob, ALICE, ["genuine"]);
    expect(ok!.state).toBe("sent");
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ body: "genuine", delay: null });
    expect(got[0]!.from.startsWith(BOB)).toBe(true);
  });

  it("the demo with ?relay=webrtc: two profiles chat peer to peer; a message for a closed profile waits and arrives when it is back", async () => {
    const open = async (ctx: BrowserContext, who: string) => {
      const page = await ctx.newPage();
      await page.goto(`${baseUrl()}/?relay=webrtc&as=${who}&service=ws://127.0.0.1:${inject("peerPort")}/`);
      await page.getByRole("navigation", { name: "Contacts" }).waitFor();
      return page;
    };
    const contact = (page: Page, jid: string, presence: string) => page.getByRole("button", { name: new RegExp(`^${jid.replace(".", "\\.")} ${presence}`) });
    const [ca, cb] = [await context(), await context()];
    const alice = await open(ca, "alice");
    let bob = await open(cb, "bob");
    await contact(alice, "bob@mesh.local", "online").waitFor();
    await expect(alice.locator(".status-line").textContent()).resolves.toMatch(/relay: webrtc/);
    await bob.close();
    await contact(alice, "bob@mesh.local", "offline").waitFor();
    await contact(alice, "bob@mesh.local", "offline").click();
    const box = alice.getByRole("textbox", { name: "Message" });
    await box.fill("while you were away");
    await box.press("Enter");
    await alice.getByRole("log").getByText("queued", { exact: true }).waitFor();
    bob = await open(cb, "bob");
    await contact(bob, "alice@mesh.local", "online").click();
    await bob.getByRole("log").getByText("while you were away", { exact: true }).waitFor();
    await alice.getByRole("log").getByText("delivered", { exact: true }).waitFor();
  });
});
