// XMPP signalling for the WebRTC relay (XmppSignalling, Negotiator): offers and answers
// carried in messages between two users, over a stand-in peer connection
// (rtc-channels.ts) and an in-memory switchboard standing for the XMPP server.
// The same signalling over Prosody and Chromium's WebRTC: test/e2e/webrtc.e2e.ts.
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { WebRtcRelay } from "../../src/relay/webrtc/relay.ts";
import { SIGNAL_NS, XmppSignalling, type SignallingClient } from "../../src/relay/webrtc/xmpp-signalling.ts";
import { Negotiator } from "../../src/relay/webrtc/negotiator.ts";
import { NS } from "../../src/core/namespaces.ts";
import { bareJid } from "../../src/core/jid.ts";
import { TestPeerConnection } from "./rtc-channels.ts";

/** The server's part: routes a message to a full JID, or to every session of a bare one; stamps `from`. */
class Switchboard {
  readonly sessions = new Map<string, Session>();
  readonly routed: Element[] = [];

  session(jid: string): Session {
    const s = new Session(this, jid);
    this.sessions.set(jid, s);
    return s;
  }

  route(from: string, stanza: Element): void {
    const copy = xml(stanza.name, { ...stanza.attrs, from }, ...(stanza.children as Element[]));
    this.routed.push(copy);
    const to = stanza.attrs.to as string;
    const targets = to.includes("/") ? [this.sessions.get(to)] : [...this.sessions.values()].filter((s) => bareJid(s.jid.toString()) === to);
    for (const t of targets) if (t) setTimeout(() => t.emit("stanza", copy), 0);
  }
}

class Session extends EventEmitter implements SignallingClient {
  readonly jid: { toString(): string };
  constructor(
    private readonly board: Switchboard,
    jid: string,
  ) {
    super();
    this.jid = { toString: () => jid };
  }
  async send(stanza: Element): Promise<void> {
    this.board.route(this.jid.toString(), stanza);
  }
}

const ALICE = "alice@rtc.local";
const BOB = "bob@rtc.local";
const open: Array<{ close(): unknown }> = [];
let board: Switchboard;
beforeEach(() => {
  vi.stubGlobal("RTCPeerConnection", TestPeerConnection);
  board = new Switchboard();
});
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function user(jid: string) {
  const relay = new WebRtcRelay({ self: jid, heartbeatMs: 60_000 });
  const session = board.session(relay.address);
  const signalling = new XmppSignalling(relay, session);
  open.push(relay, signalling);
  return { relay, session, signalling };
}

function available(relay: WebRtcRelay, peer: string): Promise<void> {
  if (relay.isAvailable(peer)) return Promise.resolve();
  return new Promise((resolve) => {
    const off = relay.onPresence((p) => {
      if (p.peer !== peer || !p.available) return;
      off();
      resolve();
    });
  });
}

const signal = (to: string, sid: string, kind: string, sdp: string, type = "normal") =>
  xml("message", { to, type }, xml("signal", { xmlns: SIGNAL_NS, sid, kind }, sdp));

describe("XMPP signalling", () => {
  it("alice dials bob: an offer to his bare JID, his answer to her full JID, and a channel both relays use", async () => {
    const alice = user(ALICE);
    const bob = user(BOB);
    await alice.signalling.connect(`${BOB}/whatever`);
    await Promise.all([available(alice.relay, BOB), available(bob.relay, ALICE)]);
    const [offer, answer] = board.routed;
    expect([offer!.attrs.to, offer!.attrs.type, answer!.attrs.to]).toEqual([BOB, "normal", alice.relay.address]);
    for (const m of [offer!, answer!]) {
      expect(m.getChild("no-store", NS.hints)).toBeDefined();
      expect(m.getChild("no-copy", NS.hints)).toBeDefined();
    }
    expect(offer!.getChild("signal", SIGNAL_NS)?.attrs).toMatchObject({ kind: "offer" });
    expect(answer!.getChild("signal", SIGNAL_NS)?.attrs.sid).toBe(offer!.getChild("signal", SIGNAL_NS)?.attrs.sid);
    const got: string[] = [];
    bob.relay.onMessage((el) => void got.push(el.getChildText("body") ?? ""));
    expect(await alice.relay.send(xml("message", { to: BOB }, xml("body", {}, "over the channel")))).toEqual({ status: "delivered" });
    expect(got).toEqual(["over the channel"]);
    // Dialing again while the channel is up sends nothing.
    await alice.signalling.connect(BOB);
    expect(board.routed).toHaveLength(2);
  });

  it("ignores what is not a signal for it: errors, other payloads, bad signals, its own, answers to dials it never made", async () => {
    const bob = user(BOB);
    const mallory = board.session("mallory@rtc.local/x");
    const tab2 = board.session(`${BOB}/tab2`);
    // Offers that would be answered, were they taken.
    const offer = async () => {
      const pc = new TestPeerConnection();
      pc.createDataChannel();
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription!.sdp!;
    };
    for (const [from, stanza] of [
      [mallory, signal(BOB, "s1", "offer", await offer(), "error")],
      [mallory, xml("message", { to: BOB }, xml("body", {}, "hi"))],
      [mallory, signal(BOB, "bad sid!", "offer", "x")],
      [mallory, signal(BOB, "s2", "candidate", "x")],
      [mallory, signal(BOB, "s3", "offer", "")],
      [mallory, signal(BOB, "s4", "answer", "answer:pc0")], // no dial of bob's has that sid
      [mallory, signal(BOB, "s5", "offer", "offer:none")], // an offer no connection made: fails quietly
      [tab2, signal(BOB, "s6", "offer", await offer())], // another tab of bob is not a peer
    ] as const) {
      await from.send(stanza);
    }
    // Then a good offer: signals are read in order, so once it is answered, all of the above were read.
    const answered = new Promise<Element>((resolve) => mallory.once("stanza", resolve));
    await mallory.send(signal(BOB, "s7", "offer", await offer()));
    expect((await answered).getChild("signal", SIGNAL_NS)?.attrs).toMatchObject({ sid: "s7", kind: "answer" });
    expect(board.routed.filter((m) => m.attrs.from === bob.relay.address)).toHaveLength(1);
    expect(bob.relay.hasChannel(BOB)).toBe(false);
  });

  it("an answer from another peer than the one dialed is not taken", async () => {
    const alice = user(ALICE);
    // Bob's side played by hand, so that mallory's answer comes first.
    const bobSession = board.session(`${BOB}/t`);
    const bobRelay = new WebRtcRelay({ self: `${BOB}/t`, heartbeatMs: 60_000 });
    open.push(bobRelay);
    const gotOffer = new Promise<Element>((resolve) => bobSession.once("stanza", resolve));
    void alice.signalling.connect(BOB);
    const offered = await gotOffer;
    const sid = offered.getChild("signal", SIGNAL_NS)!.attrs.sid as string;
    const answerFrom = async (pc: TestPeerConnection) => {
      await pc.setRemoteDescription({ type: "offer", sdp: offered.getChildText("signal", SIGNAL_NS)! });
      await pc.setLocalDescription(await pc.createAnswer());
      return xml("message", { to: alice.relay.address }, xml("signal", { xmlns: SIGNAL_NS, sid, kind: "answer" }, pc.localDescription!.sdp!));
    };
    const malloryPc = new TestPeerConnection();
    let malloryChannel = false;
    malloryPc.addEventListener("datachannel", () => (malloryChannel = true));
    const bobPc = new TestPeerConnection();
    bobPc.addEventListener("datachannel", (e) => bobRelay.attach(ALICE, (e as unknown as { channel: RTCDataChannel }).channel));
    await board.session("mallory@rtc.local/x").send(await answerFrom(malloryPc));
    await bobSession.send(await answerFrom(bobPc));
    await available(alice.relay, BOB); // bob's answer, the second, is the one taken
    expect(malloryChannel).toBe(false);
  });

  it("after close it answers no offer, and its unanswered dials are closed", async () => {
    const alice = user(ALICE);
    const bob = user(BOB);
    bob.signalling.close();
    expect(bob.session.listenerCount("stanza")).toBe(0); // it hears no more offers
    await alice.signalling.connect(BOB);
    expect(board.routed.map((m) => m.getChild("signal", SIGNAL_NS)?.attrs.kind)).toEqual(["offer"]);
    expect(alice.relay.hasChannel(BOB)).toBe(true); // dialing
    alice.signalling.close();
    expect(alice.relay.hasChannel(BOB)).toBe(false);
  });

  it("a dial nobody answers is given up after four gathering times; an offer whose channel never comes is closed", async () => {
    vi.useFakeTimers();
    const relay = new WebRtcRelay({ self: ALICE, heartbeatMs: 60_000 });
    open.push(relay);
    const carried: string[] = [];
    const negotiator = new Negotiator(relay, (to, s) => void carried.push(`${to} ${s.kind}`), {}, 100);
    await negotiator.dial(BOB);
    expect(carried).toEqual([`${BOB} offer`]);
    await vi.advanceTimersByTimeAsync(399);
    expect(relay.hasChannel(BOB)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(relay.hasChannel(BOB)).toBe(false);
    // Answering an offer: the answer goes to where the offer came from.
    const offerer = new TestPeerConnection();
    offerer.createDataChannel();
    await offerer.setLocalDescription(await offerer.createOffer());
    const made: TestPeerConnection[] = [];
    vi.stubGlobal("RTCPeerConnection", class extends TestPeerConnection {
      constructor() {
        super();
        made.push(this);
      }
    });
    await negotiator.receive("carol@rtc.local", "carol@rtc.local/t1", { sid: "s1", kind: "offer", sdp: offerer.localDescription!.sdp! });
    expect(carried.at(-1)).toBe("carol@rtc.local/t1 answer");
    await vi.advanceTimersByTimeAsync(400);
    expect(made[0]!.closed).toBe(true); // the offerer never applied the answer: no channel came
  });
});
