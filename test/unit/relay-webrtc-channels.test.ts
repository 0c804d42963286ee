// The WebRTC relay's own rules, with the test playing the relay at the other end of
// an in-memory channel (rtc-channels.ts): presence, refused frames, acks, drops.
// The same relay over Chromium's channels: test/e2e/webrtc.e2e.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { WebRtcRelay, type DropReason, type WebRtcOptions } from "../../src/relay/webrtc/relay.ts";
import { Redial } from "../../src/relay/webrtc/redial.ts";
import { FrameRefusedError, type RefusedReason } from "../../src/relay/webrtc/errors.ts";
import { InvalidOptionError } from "../../src/core/errors.ts";
import { MAX_BATCH_CHARS, MAX_FRAMES_PER_POST } from "../../src/relay/mesh/frame.ts";
import { asChannel, asConnection, channelPair, TestConnection, type TestChannel } from "./rtc-channels.ts";

const ALICE = "alice@rtc.local";
const BOB = "bob@rtc.local";
const BOB_TAB = `${BOB}/tab1`;

const relays: WebRtcRelay[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

function relay(options: Partial<WebRtcOptions> = {}): WebRtcRelay {
  const r = new WebRtcRelay({ self: `${ALICE}/me`, heartbeatMs: 1000, ...options });
  relays.push(r);
  return r;
}

/** The test's end of a channel to `relay`: it speaks frames as bob's relay would. */
class Remote {
  readonly frames: Array<Record<string, unknown>> = [];
  /** How many frames each data-channel message carried (1 for a lone frame, which is not an array). */
  readonly posts: Array<number | "one"> = [];
  private waiters: Array<() => void> = [];

  constructor(
    readonly end: TestChannel,
    readonly from = BOB_TAB,
    /** Whether this relay announces that it reads posts of several frames (0.1.0 does not). */
    readonly batches = false,
  ) {
    end.addEventListener("message", (e) => {
      const data = JSON.parse((e as MessageEvent).data as string) as Record<string, unknown> | Array<Record<string, unknown>>;
      this.posts.push(Array.isArray(data) ? data.length : "one");
      this.frames.push(...(Array.isArray(data) ? data : [data]));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  post(frame: Record<string, unknown>): void {
    this.end.send(JSON.stringify({ v: 1, from: this.from, ...frame }));
  }

  present(available = true, interval = 1000): void {
    this.post({ kind: "presence", available, interval, ...(this.batches && { batches: true }) });
  }

  message(stanza: string, ref = "r1", to = `${ALICE}/me`): void {
    this.post({ kind: "message", to, ref, stanza });
  }

  /** Resolves with the first frame (from now on, or already here) that matches. */
  async next(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** A channel from `r` to bob, open, with the test at bob's end; `live` also announces bob. */
async function connect(r: WebRtcRelay, options: { live?: boolean; connection?: TestConnection; closeConnection?: boolean; from?: string; batches?: boolean } = {}) {
  const [mine, theirs] = channelPair();
  const detach = r.attach(BOB, asChannel(mine), {
    connection: options.connection && asConnection(options.connection),
    closeConnection: options.closeConnection,
  });
  const remote = new Remote(theirs, options.from, options.batches);
  mine.open();
  theirs.open();
  if (options.live ?? true) {
    remote.present();
    // Live once we answered its presence: our second presence frame (the first came when the channel opened).
    const answered = remote.next(() => remote.frames.filter((f) => f.kind === "presence").length >= 2);
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(1);
    await answered;
  }
  return { mine, theirs, remote, detach };
}

function nextPresence(r: WebRtcRelay, available: boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = r.onPresence((p) => {
      if (p.available !== available) return;
      off();
      resolve();
    });
  });
}

function nextDrop(r: WebRtcRelay): Promise<DropReason> {
  return new Promise((resolve) => {
    const off = r.onDrop(({ reason }) => {
      off();
      resolve(reason);
    });
  });
}

function nextRefusal(r: WebRtcRelay): Promise<FrameRefusedError> {
  return new Promise((resolve) => {
    const off = r.onError((e) => {
      off();
      resolve(e);
    });
  });
}

const chat = (to: string, body: string, id = "m1"): Element => xml("message", { to, id, type: "chat" }, xml("body", {}, body));

describe("WebRTC relay: channels and presence", () => {
  it("refuses a channel to ourselves, and any channel once closed", async () => {
    const r = relay();
    const [mine] = channelPair();
    expect(() => r.attach(`${ALICE}/other`, asChannel(mine))).toThrow(InvalidOptionError);
    await r.close();
    expect(() => r.attach(BOB, asChannel(mine))).toThrow(InvalidOptionError);
  });

  it("its address is the JID's own resource, the one given, or a random one; self is the bare JID", () => {
    expect(relay({ self: `${ALICE}/phone` }).address).toBe(`${ALICE}/phone`);
    const given = relay({ self: ALICE, resource: "tab7" });
    expect([given.self, given.address]).toEqual([ALICE, `${ALICE}/tab7`]);
    const random = relay({ self: ALICE });
    expect(random.address).toMatch(new RegExp(`^${ALICE}/[A-Za-z0-9_-]{8}$`));
    expect(relay({ self: ALICE }).address).not.toBe(random.address);
  });

  it("a channel already closed when attached is dropped at once", () => {
    const r = relay();
    const [mine] = channelPair();
    mine.readyState = "closed";
    const drops: DropReason[] = [];
    r.onDrop((d) => drops.push(d.reason));
    r.attach(BOB, asChannel(mine));
    expect(drops).toEqual(["closed"]);
    expect(r.hasChannel(BOB)).toBe(false);
  });

  it("a peer is available only once its relay announced itself on an open channel; we answer at once", async () => {
    const r = relay();
    const { remote } = await connect(r, { live: false });
    expect(r.hasChannel(`${BOB}/x`)).toBe(true);
    expect(r.isAvailable(BOB)).toBe(false);
    expect(r.peers()).toEqual([]);
    // We announce ourselves when the channel opens …
    await remote.next((f) => f.kind === "presence" && f.available === true && f.from === `${ALICE}/me` && f.interval === 1000);
    const seen: boolean[] = [];
    r.onPresence((p) => seen.push(p.available));
    const up = nextPresence(r, true);
    remote.present();
    await up;
    expect(r.isAvailable(`${BOB}/any`)).toBe(true);
    expect(r.peers()).toEqual([BOB]);
    // … and again as soon as its presence arrives, not at our next beat.
    await remote.next(() => remote.frames.filter((f) => f.kind === "presence").length === 2);
    remote.present(); // a beat: no second "available"
    const refused = nextRefusal(r);
    remote.end.send("{"); // frames are read in order: once this one is refused, the beat was read
    await refused;
    expect(seen).toEqual([true]);
    expect(r.isAvailable("not a jid@@")).toBe(false);
  });

  it("presence saying it leaves drops the channel: the peer goes unavailable", async () => {
    const r = relay();
    const { remote, mine } = await connect(r);
    const drop = nextDrop(r);
    const gone = nextPresence(r, false);
    remote.present(false);
    expect(await drop).toBe("left");
    await gone;
    expect(r.isAvailable(BOB)).toBe(false);
    expect(mine.readyState).toBe("closed");
    expect(r.stats.drops.left).toBe(1);
  });

  it("a peer whose beats stop is dropped after the missed beats", async () => {
    const r = relay({ heartbeatMs: 5, missedBeats: 2 });
    const { remote } = await connect(r, { live: false });
    const up = nextPresence(r, true);
    const started = Date.now();
    remote.present(true, 20); // one beat, then silence
    await up;
    const drop = await nextDrop(r);
    expect(drop).toBe("missed-heartbeats");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 20);
    expect(r.isAvailable(BOB)).toBe(false);
  });

  it("beats keep a peer: each frame moves its deadline", async () => {
    vi.useFakeTimers();
    const r = relay({ heartbeatMs: 10, missedBeats: 3 });
    const { remote } = await connect(r, { live: false });
    remote.present(true, 10);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.isAvailable(BOB)).toBe(true);
    for (let i = 0; i < 10; i++) {
      remote.present(true, 10);
      await vi.advanceTimersByTimeAsync(20); // under 3 × 10 between beats
    }
    expect(r.isAvailable(BOB)).toBe(true);
    // Our own beats went out all along, one per interval.
    expect(remote.frames.filter((f) => f.kind === "presence").length).toBeGreaterThanOrEqual(15);
    await vi.advanceTimersByTimeAsync(31 + 10);
    expect(r.isAvailable(BOB)).toBe(false);
    expect(r.stats.drops["missed-heartbeats"]).toBe(1);
  });

  it("ICE failing or the connection closing drops the channel at once; the connection is closed only when asked", async () => {
    for (const [state, reason] of [
      [{ connection: "failed" }, "ice-failed"],
      [{ ice: "failed" }, "ice-failed"],
      [{ connection: "closed" }, "closed"],
    ] as const) {
      const r = relay();
      const connection = new TestConnection();
      await connect(r, { connection });
      const drop = nextDrop(r);
      connection.set({ connection: "connecting" }); // not an end
      expect(r.isAvailable(BOB)).toBe(true);
      connection.set(state);
      expect(await drop).toBe(reason);
      expect(connection.closed).toBe(false);
    }
    const r = relay();
    const connection = new TestConnection();
    const { detach } = await connect(r, { connection, closeConnection: true });
    detach();
    expect(connection.closed).toBe(true);
    expect(r.stats.drops.detached).toBe(1);
  });

  it("a detached channel is heard no more: its frames reach no listener", async () => {
    const r = relay();
    const { mine, detach } = await connect(r);
    const got: string[] = [];
    r.onMessage((el) => void got.push(el.getChildText("body") ?? ""));
    const gone = nextPresence(r, false);
    detach();
    await gone;
    // Frames that were already on their way when it was dropped (dispatched here at once).
    const frame = { v: 1, from: BOB_TAB, kind: "message", to: `${ALICE}/me`, ref: "late", stanza: chat(ALICE, "late").toString() };
    mine.receive(JSON.stringify(frame));
    mine.receive(JSON.stringify({ v: 1, from: BOB_TAB, kind: "presence", available: true, interval: 1000 }));
    mine.receive("{");
    expect(got).toEqual([]);
    expect(r.isAvailable(BOB)).toBe(false);
    expect(r.stats.refused).toBe(0);
  });

  it("with two channels to a peer the newest carries sends; losing it leaves the peer available on the other", async () => {
    const r = relay();
    const older = await connect(r);
    const newer = await connect(r);
    const unavailable: string[] = [];
    r.onPresence((p) => p.available || unavailable.push(p.peer));
    void r.send(chat(BOB, "one"));
    await newer.remote.next((f) => f.kind === "message");
    expect(older.remote.frames.some((f) => f.kind === "message")).toBe(false);
    const drop = nextDrop(r);
    newer.detach();
    await drop;
    expect(r.isAvailable(BOB)).toBe(true);
    expect(unavailable).toEqual([]);
    void r.send(chat(BOB, "two"));
    await older.remote.next((f) => f.kind === "message");
  });
});

describe("WebRTC relay: sending", () => {
  it("delivered on the peer's ack naming the frame and the stanza's id", async () => {
    const r = relay();
    const { remote } = await connect(r);
    const outcome = r.send(chat(BOB, "hi", "m7"));
    const frame = await remote.next((f) => f.kind === "message");
    expect(frame).toMatchObject({ v: 1, from: `${ALICE}/me`, to: BOB_TAB });
    expect(String(frame.stanza)).toContain("<body>hi</body>");
    remote.post({ kind: "ack", to: `${ALICE}/me`, ref: frame.ref, id: "m7" });
    expect(await outcome).toEqual({ status: "delivered" });
  });

  it("an ack with another id, for another address, or on another channel does not deliver: the send times out", async () => {
    const r = relay({ ackTimeoutMs: 200 });
    const { remote } = await connect(r);
    const other = await connect(r, { from: `${BOB}/tab2` });
    const outcome = r.send(chat(BOB, "hi", "m7"));
    const frame = await other.remote.next((f) => f.kind === "message");
    const refused = nextRefusal(r);
    other.remote.post({ kind: "ack", to: `${ALICE}/me`, ref: frame.ref, id: "m8" });
    other.remote.post({ kind: "ack", to: `${ALICE}/else`, ref: frame.ref, id: "m7" });
    remote.post({ kind: "ack", to: `${ALICE}/me`, ref: frame.ref, id: "m7" });
    expect((await refused).reason).toBe("misaddressed");
    expect(await outcome).toEqual({ status: "unknown", reason: "timeout" });
  });

  it("bounced at once to a peer with no live channel; unknown once closed", async () => {
    const r = relay();
    expect(await r.send(chat(BOB, "anyone?"))).toEqual({ status: "bounced", condition: "service-unavailable" });
    await connect(r, { live: false });
    expect(await r.send(chat(BOB, "not yet"))).toMatchObject({ status: "bounced" });
    await r.close();
    expect(await r.send(chat(BOB, "after"))).toEqual({ status: "unknown", reason: "closed" });
  });

  it("a channel that will not take the frame: unknown at once", async () => {
    const r = relay();
    const { mine } = await connect(r);
    mine.refuseSends = true;
    expect(await r.send(chat(BOB, "too big"))).toEqual({ status: "unknown", reason: "send-failed" });
  });

  it("the channel dropping while a send waits for its ack: unknown, the peer left", async () => {
    const r = relay();
    const { remote, detach } = await connect(r);
    const outcome = r.send(chat(BOB, "hi"));
    await remote.next((f) => f.kind === "message");
    detach();
    expect(await outcome).toEqual({ status: "unknown", reason: "recipient-left" });
  });

  it("closing says we leave on every channel and settles what waits as unknown", async () => {
    const r = relay();
    const { remote, mine } = await connect(r);
    const outcome = r.send(chat(BOB, "hi"));
    await remote.next((f) => f.kind === "message");
    const drops: DropReason[] = [];
    r.onDrop((d) => drops.push(d.reason));
    await r.close();
    expect(await outcome).toMatchObject({ status: "unknown" });
    expect(mine.readyState).toBe("closed");
    expect(r.stats.drops["relay-closed"]).toBe(1);
    expect(drops).toEqual([]); // no events once closed
    expect(mine.sent.map((s) => JSON.parse(s) as Record<string, unknown>).filter((f) => f.kind === "presence").at(-1)).toMatchObject({ available: false });
    await r.close(); // twice is fine
  });
});

describe("WebRTC relay: several frames to a post", () => {
  it("to a relay that says it reads them, a task's sends go in one post, and so do the acks of what it takes together", async () => {
    const r = relay();
    const { remote } = await connect(r, { batches: true });
    remote.posts.length = 0;
    const outcomes = Array.from({ length: 20 }, (_, i) => r.send(chat(BOB, `b${i}`, `m${i}`)));
    await remote.next(() => remote.frames.filter((f) => f.kind === "message").length === 20);
    expect(remote.posts).toEqual([20]);
    // Its acks, in one post too: each is taken on its own.
    const sent = remote.frames.filter((f) => f.kind === "message");
    remote.end.send(JSON.stringify(sent.map((f, i) => ({ v: 1, from: BOB_TAB, kind: "ack", to: `${ALICE}/me`, ref: f.ref, id: `m${i}` }))));
    expect(await Promise.all(outcomes)).toEqual(sent.map(() => ({ status: "delivered" })));

    const got: string[] = [];
    r.onMessage((el) => void got.push(el.getChildText("body") ?? ""));
    remote.posts.length = 0;
    remote.end.send(JSON.stringify(["x", "y", "z"].map((b, i) => ({ v: 1, from: BOB_TAB, kind: "message", to: `${ALICE}/me`, ref: `in${i}`, stanza: `<message to='${ALICE}' id='i${i}'><body>${b}</body></message>` }))));
    await remote.next(() => remote.frames.filter((f) => f.kind === "ack").length === 3);
    expect(got).toEqual(["x", "y", "z"]);
    expect(remote.posts).toEqual([3]);
  });

  it("a long task is cut into posts under the size and frame bounds, in order; a post the channel refuses leaves its sends unknown", async () => {
    const r = relay();
    const { mine, remote } = await connect(r, { batches: true });
    remote.posts.length = 0;
    const body = "x".repeat(4000);
    void Promise.all(Array.from({ length: 40 }, (_, i) => r.send(chat(BOB, `${i} ${body}`, `m${i}`))));
    await remote.next(() => remote.frames.filter((f) => f.kind === "message").length === 40);
    expect(remote.posts.length).toBeGreaterThan(2);
    expect(mine.sent.slice(-remote.posts.length).every((text) => text.length <= 65_536 / 3)).toBe(true); // no connection: 64 KiB
    const bodies = remote.frames.filter((f) => f.kind === "message").map((f) => String(f.stanza).match(/<body>(\d+) /)![1]);
    expect(bodies).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));

    mine.refuseSends = true;
    const refused = await Promise.all([r.send(chat(BOB, "a")), r.send(chat(BOB, "b"))]);
    expect(refused).toEqual([
      { status: "unknown", reason: "send-failed" },
      { status: "unknown", reason: "send-failed" },
    ]);
  });

  it("closing sends the frames of the task still waiting, and then that we leave", async () => {
    const r = relay();
    const { mine } = await connect(r, { batches: true });
    void r.send(chat(BOB, "last"));
    await r.close();
    // What was written on the channel before it closed: one post, the message, then the leave.
    const last = JSON.parse(mine.sent.at(-1)!) as Array<Record<string, unknown>>;
    expect(last.map((f) => [f.kind, f.available ?? null])).toEqual([
      ["message", null],
      ["presence", false],
    ]);
  });

  it("posts follow the channel's negotiated message size, within the protocol's bound", async () => {
    for (const [maxMessageSize, bound] of [
      [30_000, 10_000],
      [1_000_000_000, MAX_BATCH_CHARS],
    ] as const) {
      const r = relay();
      const connection = new TestConnection();
      connection.sctp = { maxMessageSize };
      const { mine, remote } = await connect(r, { batches: true, connection });
      remote.posts.length = 0;
      void Promise.all(Array.from({ length: 60 }, (_, i) => r.send(chat(BOB, `${i} ${"y".repeat(3000)}`))));
      await remote.next(() => remote.frames.filter((f) => f.kind === "message").length === 60);
      const posts = mine.sent.slice(-remote.posts.length).map((t) => t.length);
      expect(Math.max(...posts)).toBeLessThanOrEqual(bound);
      expect(Math.max(...posts)).toBeGreaterThan(bound - 3500); // filled, not cut short
    }
  });

  it("to a relay of 0.1.0 (its presence does not say `batches`), every frame goes alone", async () => {
    const r = relay();
    const { remote } = await connect(r);
    remote.posts.length = 0;
    for (let i = 0; i < 3; i++) void r.send(chat(BOB, `b${i}`));
    await remote.next(() => remote.frames.filter((f) => f.kind === "message").length === 3);
    expect(remote.posts).toEqual(["one", "one", "one"]);
  });

  it("a post's bad entries are refused one by one; an empty post, or one of too many frames, is refused whole", async () => {
    const r = relay();
    const { remote } = await connect(r, { batches: true });
    const got: string[] = [];
    r.onMessage((el) => void got.push(el.getChildText("body") ?? ""));
    const errors: string[] = [];
    r.onError((e) => void errors.push(e.message));
    const message = (ref: string, b: string) => ({ v: 1, from: BOB_TAB, kind: "message", to: `${ALICE}/me`, ref, stanza: `<message to='${ALICE}'><body>${b}</body></message>` });
    remote.end.send(JSON.stringify([message("r1", "one"), 42, message("r2", "two")]));
    remote.end.send("[]");
    remote.end.send(JSON.stringify(Array.from({ length: MAX_FRAMES_PER_POST + 1 }, () => ({}))));
    remote.end.send(JSON.stringify(message("r3", "three")));
    await remote.next(() => remote.frames.filter((f) => f.kind === "ack").length === 3);
    expect(got).toEqual(["one", "two", "three"]);
    expect(r.stats.refused).toBe(3);
    expect(errors.filter((m) => m.includes(`more than ${MAX_FRAMES_PER_POST}`))).toHaveLength(2);
  });
});

describe("WebRTC relay: receiving", () => {
  it("hands a message to every listener with the channel's peer as sender, then acks it", async () => {
    const r = relay();
    const { remote } = await connect(r);
    const got: Element[] = [];
    r.onMessage((el) => void got.push(el));
    remote.message(`<message to='${ALICE}' id='x1'><body>hello</body></message>`, "ref9");
    const ack = await remote.next((f) => f.kind === "ack");
    expect(ack).toEqual({ v: 1, kind: "ack", from: `${ALICE}/me`, to: BOB_TAB, ref: "ref9", id: "x1" });
    expect(got.map((el) => [el.attrs.from, el.getChildText("body")])).toEqual([[BOB_TAB, "hello"]]);
    expect([r.stats.received, r.stats.acksSent]).toEqual([1, 1]);
  });

  it("no ack while a listener's promise is pending, none if it rejects, none when nobody listens", async () => {
    const r = relay();
    const { remote } = await connect(r);
    remote.message(`<message to='${ALICE}'><body>unheard</body></message>`, "ref0");
    const refused = nextRefusal(r);
    remote.end.send("{"); // frames are read in order: once this one is refused, "unheard" was read
    await refused;
    let release!: () => void;
    const off = r.onMessage((el) => {
      const body = el.getChildText("body");
      if (body === "slow") return new Promise<void>((resolve) => (release = resolve));
      if (body === "refused") return Promise.reject(new Error("no room"));
      return undefined;
    });
    remote.message(`<message to='${ALICE}'><body>slow</body></message>`, "ref1");
    remote.message(`<message to='${ALICE}'><body>refused</body></message>`, "ref2");
    remote.message(`<message to='${ALICE}'><body>quick</body></message>`, "ref3");
    await remote.next((f) => f.kind === "ack" && f.ref === "ref3");
    expect(remote.frames.filter((f) => f.kind === "ack").map((f) => f.ref)).toEqual(["ref3"]);
    release();
    await remote.next((f) => f.kind === "ack" && f.ref === "ref1");
    off();
    expect(remote.frames.filter((f) => f.kind === "ack").map((f) => f.ref)).toEqual(["ref3", "ref1"]);
    expect(r.stats.received).toBe(3); // "unheard" reached nobody: not counted
    expect(r.stats.acksSent).toBe(2);
  });

  const refusals: Array<[string, RefusedReason, (remote: Remote) => void]> = [
    ["not JSON", "malformed", (x) => x.end.send("{nope")],
    ["not a string", "malformed", (x) => x.end.other!.dispatchEvent(new MessageEvent("message", { data: new ArrayBuffer(4) }))],
    ["another version", "malformed", (x) => x.post({ v: 2, kind: "presence", available: true, interval: 1000 })],
    ["a stanza that is not XML", "malformed", (x) => x.message("<message to='alice@rtc.local'><body>")],
    ["from another user", "spoofed", (x) => x.post({ from: "mallory@rtc.local/x", kind: "presence", available: true, interval: 1000 })],
    ["from another tab of the peer on this channel", "spoofed", (x) => x.post({ from: `${BOB}/tab9`, kind: "presence", available: true, interval: 1000 })],
    ["a stanza from someone else", "spoofed", (x) => x.message(`<message to='${ALICE}' from='mallory@rtc.local'><body>hi</body></message>`)],
    ["a frame for another user", "misaddressed", (x) => x.message(`<message to='${ALICE}'><body>hi</body></message>`, "r", "carol@rtc.local")],
    ["a frame for another tab of ours", "misaddressed", (x) => x.message(`<message to='${ALICE}'><body>hi</body></message>`, "r", `${ALICE}/other`)],
    ["a stanza for another user", "misaddressed", (x) => x.message(`<message to='carol@rtc.local'><body>hi</body></message>`)],
    ["an ack for another tab of ours", "misaddressed", (x) => x.post({ kind: "ack", to: `${ALICE}/other`, ref: "r", id: "i" })],
  ];
  for (const [what, reason, send] of refusals) {
    it(`refuses ${what} (${reason}): reported, counted, handed to nobody, not acked`, async () => {
      const r = relay();
      const { remote } = await connect(r);
      const got: Element[] = [];
      r.onMessage((el) => void got.push(el));
      const refused = nextRefusal(r);
      send(remote);
      const e = await refused;
      expect(e).toBeInstanceOf(FrameRefusedError);
      expect([e.reason, e.peer]).toEqual([reason, BOB]);
      expect(r.stats.refused).toBe(1);
      expect(got).toEqual([]);
      expect(remote.frames.some((f) => f.kind === "ack")).toBe(false);
      expect(r.isAvailable(BOB)).toBe(true);
    });
  }

  it("a message to our bare JID or to this tab is taken", async () => {
    const r = relay();
    const { remote } = await connect(r);
    const got: string[] = [];
    r.onMessage((el) => void got.push(el.getChildText("body") ?? ""));
    remote.message(`<message to='${ALICE}'><body>bare</body></message>`, "a", ALICE);
    remote.message(`<message to='${ALICE}/me'><body>full</body></message>`, "b", `${ALICE}/me`);
    await remote.next((f) => f.kind === "ack" && f.ref === "b");
    expect(got).toEqual(["bare", "full"]);
    expect(r.stats.refused).toBe(0);
  });
});

describe("WebRTC redial", () => {
  it("dials a broken peer again with doubling pauses until it is back; never one that left", async () => {
    vi.useFakeTimers();
    const r = relay({ heartbeatMs: 60_000 });
    const dials: number[] = [];
    const redial = new Redial(r, () => void dials.push(Date.now()), 100, 400);
    const start = Date.now();
    const { mine } = await connect(r);
    mine.close();
    await vi.advanceTimersByTimeAsync(1); // the close event
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400);
    expect(dials.map((t) => t - start)).toEqual([101, 301, 701, 1101]);
    // Back: no more dials.
    await connect(r);
    await vi.advanceTimersByTimeAsync(2000);
    expect(dials).toHaveLength(4);
    // It says it leaves: not dialled.
    const left = await connect(r);
    await vi.advanceTimersByTimeAsync(1);
    const others = [...r.peers()];
    left.remote.present(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(others).toEqual([BOB]);
    expect(dials).toHaveLength(4);
    redial.stop();
  });

  it("does not dial while a channel to the peer is still opening; stop cancels what is pending", async () => {
    vi.useFakeTimers();
    const r = relay({ heartbeatMs: 60_000 });
    let dials = 0;
    const redial = new Redial(r, () => void dials++, 100, 1000);
    const first = await connect(r);
    first.mine.close();
    await vi.advanceTimersByTimeAsync(1);
    const [opening] = channelPair();
    r.attach(BOB, asChannel(opening)); // a dial in progress
    await vi.advanceTimersByTimeAsync(150);
    expect(dials).toBe(0);
    redial.stop();
    const [broken] = channelPair();
    broken.readyState = "closed";
    r.attach(BOB, asChannel(broken)); // broken again, once stopped: no dial
    await vi.advanceTimersByTimeAsync(5000);
    expect(dials).toBe(0);
  });

  it("one redial schedule per peer, however many of its channels break", async () => {
    vi.useFakeTimers();
    const r = relay({ heartbeatMs: 60_000 });
    const dials: number[] = [];
    const redial = new Redial(r, () => void dials.push(Date.now()), 100, 100);
    const a = await connect(r);
    const b = await connect(r);
    a.mine.close();
    b.mine.close();
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(100 + 100);
    expect(dials).toHaveLength(2); // one chain: a second would dial twice as often
    expect(dials[1]! - dials[0]!).toBe(100);
    redial.stop();
  });
});
