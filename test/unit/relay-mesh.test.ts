import { afterEach, describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { readMessage } from "../../src/core/stanza.ts";
import type { MeshRelay } from "../../src/relay/mesh/relay.ts";
import { MeshRoster } from "../../src/relay/mesh/roster.ts";
import { MAX_FRAMES_PER_POST } from "../../src/relay/mesh/frame.ts";
import type { PresenceChange } from "../../src/relay/relay.ts";
import { bodyOf, channelName, chatTo, meshTab, until } from "./relay-helpers.ts";

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

function tab(channel: string, self: string, options: Parameters<typeof meshTab>[2] = {}): MeshRelay {
  const t = meshTab(channel, self, options);
  open.push(t);
  return t;
}

function raw(channel: string): BroadcastChannel {
  const c = new BroadcastChannel(channel);
  open.push(c);
  return c;
}

/** Resolves on the first presence change for `peer` that matches `available`. */
function presenceOf(relay: MeshRelay, peer: string, available: boolean, ms = 2000): Promise<PresenceChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no presence ${peer} ${available}`)), ms);
    const off = relay.onPresence((c) => {
      if (c.peer !== peer || c.available !== available) return;
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

const msg = (to: string, body?: string) => readMessage(chatTo(to, body));

describe("MeshRelay presence", () => {
  it("sees a peer join at once, and leave at once when it closes", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local", { heartbeatMs: 1000 });
    const joined = presenceOf(alice, "bob@mesh.local", true);
    const bob = tab(ch, "Bob@Mesh.Local");
    await joined;
    expect(alice.isAvailable("bob@mesh.local/any")).toBe(true);
    await until(() => bob.isAvailable("alice@mesh.local"), 500, "bob to learn of alice before her next beat");
    const started = Date.now();
    const left = presenceOf(alice, "bob@mesh.local", false);
    await bob.close();
    await left;
    // Long before 3 missed beats of alice's 1 s sweep: the announcement did it.
    expect(Date.now() - started).toBeLessThan(500);
    expect(alice.isAvailable("bob@mesh.local")).toBe(false);
  });

  it("heartbeats keep a peer; missed beats make it gone", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local", { heartbeatMs: 10 });
    const ghost = raw(ch);
    let lastBeat = 0;
    const beat = () => {
      lastBeat = Date.now();
      ghost.postMessage({ v: 1, kind: "presence", from: "carol@mesh.local/t1", available: true, interval: 40 });
    };
    const joined = presenceOf(alice, "carol@mesh.local", true);
    beat();
    await joined;
    const timer = setInterval(beat, 40);
    try {
      const seen: boolean[] = [];
      alice.onPresence((c) => seen.push(c.available));
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual([]); // 5 beats, no flapping
    } finally {
      clearInterval(timer);
    }
    await presenceOf(alice, "carol@mesh.local", false, 2000);
    // Gone only after 3 missed beats of its 40 ms.
    expect(Date.now() - lastBeat).toBeGreaterThanOrEqual(120);
  });

  it("roster: a tab is due after missed beats of its own interval; a bare JID lasts while a tab does", () => {
    const roster = new MeshRoster(3);
    expect(roster.see("bob@mesh.local/a", 100, 0)).toEqual({ full: "bob@mesh.local/a", bare: "bob@mesh.local", bareChanged: true });
    expect(roster.see("bob@mesh.local/b", 10, 0)).toEqual({ full: "bob@mesh.local/b", bare: "bob@mesh.local", bareChanged: false });
    expect(roster.see("bob@mesh.local/a", 100, 5)).toBeNull(); // a beat from a known tab
    expect(roster.sweep(30)).toEqual([]);
    expect(roster.sweep(31)).toEqual([{ full: "bob@mesh.local/b", bare: "bob@mesh.local", bareChanged: false }]);
    expect(roster.isAvailable("bob@mesh.local")).toBe(true);
    expect(roster.sweep(305)).toEqual([]);
    expect(roster.sweep(306)).toEqual([{ full: "bob@mesh.local/a", bare: "bob@mesh.local", bareChanged: true }]);
    expect(roster.isAvailable("bob@mesh.local")).toBe(false);
    expect(roster.leave("bob@mesh.local/a")).toBeNull();
  });

  it("a bare JID stays available while any of its tabs is", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const bob1 = tab(ch, "bob@mesh.local", { resource: "one" });
    const bob2 = tab(ch, "bob@mesh.local", { resource: "two" });
    await until(() => alice.isAvailable("bob@mesh.local") && alice.peers().length === 1);
    await until(() => bob2.peers().includes("bob@mesh.local"), 1000, "bob's tabs to see each other");
    const changes: PresenceChange[] = [];
    alice.onPresence((c) => changes.push(c));
    await bob1.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(changes).toEqual([]);
    await bob2.close();
    await until(() => changes.length === 1);
    expect(changes).toEqual([{ peer: "bob@mesh.local", available: false }]);
  });

  it("refuses bad options", () => {
    expect(() => meshTab(channelName(), "not a jid")).toThrow();
    expect(() => meshTab(channelName(), "a@b", { heartbeatMs: 0 })).toThrow(/heartbeatMs/);
    expect(() => meshTab(channelName(), "a@b", { ackTimeoutMs: -1 })).toThrow(/ackTimeoutMs/);
  });
});

describe("MeshRelay send", () => {
  it("bounces at once when the peer is not on the mesh", async () => {
    const alice = tab(channelName(), "alice@mesh.local");
    expect(await alice.send(msg("bob@mesh.local"))).toEqual({ status: "bounced", condition: "service-unavailable", type: "cancel", permanent: false });
  });

  it("delivers on the recipient's ack; the listener gets the stanza", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const bob = tab(ch, "bob@mesh.local");
    const got: Element[] = [];
    bob.onMessage((el) => void got.push(el));
    await until(() => alice.isAvailable("bob@mesh.local"));
    expect(await alice.send(msg("bob@mesh.local", "hi"))).toEqual({ status: "delivered" });
    expect(got.map(bodyOf)).toEqual(["hi"]);
    expect(bob.stats).toMatchObject({ received: 1, acksSent: 1, malformed: 0 });
  });

  it("a bare JID reaches every tab; the first ack settles it; a full JID reaches one tab", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const tabs = [tab(ch, "bob@mesh.local", { resource: "one" }), tab(ch, "bob@mesh.local", { resource: "two" })];
    const got: string[][] = [[], []];
    tabs.forEach((t, i) => t.onMessage((el) => void got[i]!.push(bodyOf(el))));
    await until(() => alice.isAvailable("bob@mesh.local") && tabs.every((t) => t.isAvailable("alice@mesh.local")));
    await until(() => tabs.every((t) => t.peers().length === 2), 1000, "bob's tabs to see each other");
    expect(await alice.send(msg("bob@mesh.local", "both"))).toEqual({ status: "delivered" });
    expect(await alice.send(msg("bob@mesh.local/two", "two only"))).toEqual({ status: "delivered" });
    // A resource that is not there: RFC 6121 treats it as the bare JID.
    expect(await alice.send(msg("bob@mesh.local/gone", "as bare"))).toEqual({ status: "delivered" });
    await until(() => got[0]!.length === 2 && got[1]!.length === 3);
    expect(got).toEqual([["both", "as bare"], ["both", "two only", "as bare"]]);
  });

  // Waiting for the listener's promise before acking: the Relay contract (relay-contract.ts), event-driven.

  it("does not ack when a listener's promise rejects (it could not take the message)", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local", { ackTimeoutMs: 200 });
    const bob = tab(ch, "bob@mesh.local");
    bob.onMessage(() => Promise.reject(new Error("closed before the handover")));
    await until(() => alice.isAvailable("bob@mesh.local"));
    expect(await alice.send(msg("bob@mesh.local"))).toEqual({ status: "unknown", reason: "timeout" });
    expect(bob.stats).toMatchObject({ received: 1, acksSent: 0 });
  });

  it("unknown when nobody acks in time, and when the recipient leaves first", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local", { ackTimeoutMs: 60 });
    const bob = tab(ch, "bob@mesh.local");
    await until(() => alice.isAvailable("bob@mesh.local"));
    // No listener at bob: nothing takes the message, nothing is acked.
    expect(await alice.send(msg("bob@mesh.local"))).toEqual({ status: "unknown", reason: "timeout" });
    const alice2 = tab(ch, "alice@mesh.local", { ackTimeoutMs: 5000 });
    await until(() => alice2.isAvailable("bob@mesh.local"));
    bob.onMessage(() => new Promise(() => {}));
    const pending = alice2.send(msg("bob@mesh.local"));
    await until(() => bob.stats.received === 1);
    await bob.close();
    expect(await pending).toEqual({ status: "unknown", reason: "recipient-left" });
  });

  it("rejects a stanza without a recipient", async () => {
    const alice = tab(channelName(), "alice@mesh.local");
    await expect(alice.send(readMessage("<message><body>x</body></message>"))).rejects.toThrow(/JID is missing/);
  });

  it("answers unknown once closed", async () => {
    const alice = tab(channelName(), "alice@mesh.local");
    await alice.close();
    expect(await alice.send(msg("bob@mesh.local"))).toEqual({ status: "unknown", reason: "closed" });
  });
});

describe("MeshRelay channel input", () => {
  /** Alice listening on a fresh channel, the bodies she gets, and a raw end for mallory's tab. */
  function underAttack() {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const got: string[] = [];
    alice.onMessage((el) => void got.push(bodyOf(el)));
    return { alice, got, evil: raw(ch), from: "mallory@mesh.local/x" };
  }

  it("ignores and counts malformed frames, and keeps working", async () => {
    const { alice, got, evil, from } = underAttack();
    const frames: unknown[] = [
      null,
      "hello",
      42,
      [],
      { v: 2, kind: "presence", from, available: true, interval: 10 },
      { v: 1, kind: "presence", from: "no-resource@mesh.local", available: true, interval: 10 },
      { v: 1, kind: "presence", from, available: "yes", interval: 10 },
      { v: 1, kind: "presence", from, available: true, interval: 0 },
      { v: 1, kind: "presence", from, available: true, interval: Number.NaN },
      { v: 1, kind: "presence", from: "@@bad/x", available: true, interval: 10 },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "r1", stanza: "<message to='alice@mesh.local'><body>cut" },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "r2", stanza: "<iq to='alice@mesh.local'/>" },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "r3", stanza: chatTo("carol@mesh.local") },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "", stanza: chatTo("alice@mesh.local") },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "r4", stanza: { toString: 1 } },
      { v: 1, kind: "message", from, to: "alice@mesh.local", ref: "r5", stanza: `<message to='alice@mesh.local'><body>${"x".repeat(300_000)}</body></message>` },
      { v: 1, kind: "ack", from, to: "alice@mesh.local", ref: "r6", id: "i" },
      { v: 1, kind: "ack", from, to: "alice@mesh.local/x", ref: "r7", id: 5 },
      { v: 1, kind: "what", from },
    ];
    for (const f of frames) evil.postMessage(f);
    // A good one last: the channel is ordered, so when it arrives all the bad ones have been judged.
    evil.postMessage({ v: 1, kind: "message", from, to: "alice@mesh.local", ref: "ok", stanza: chatTo("alice@mesh.local", "fine") });
    await until(() => got.length === 1);
    expect(alice.stats.malformed).toBe(frames.length);
    expect(got).toEqual(["fine"]);
    expect(alice.isAvailable("mallory@mesh.local")).toBe(false);
  });

  it("takes an ack only from the recipient, for the frame it names", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const bob = raw(ch);
    const frames: Array<{ kind: string; ref: string; stanza: string }> = [];
    bob.onmessage = (e: MessageEvent) => e.data.kind === "message" && frames.push(e.data);
    bob.postMessage({ v: 1, kind: "presence", from: "bob@mesh.local/b", available: true, interval: 1000 });
    await until(() => alice.isAvailable("bob@mesh.local"));
    let outcome: unknown = null;
    void alice.send(msg("bob@mesh.local")).then((o) => (outcome = o));
    await until(() => frames.length === 1);
    const { ref, stanza } = frames[0]!;
    const id = readMessage(stanza).attrs.id!; // no origin-id here: the ack names the stanza id
    const ack = (from: string, r: string, i: string) => bob.postMessage({ v: 1, kind: "ack", from, to: alice.address, ref: r, id: i });
    ack("mallory@mesh.local/m", ref, id);
    ack("bob@mesh.local/b", "other-ref", id);
    ack("bob@mesh.local/b", ref, "other-id");
    // A channel delivers one sender's frames in order: once this presence is seen, the acks above were read.
    bob.postMessage({ v: 1, kind: "presence", from: "dave@mesh.local/d", available: true, interval: 1000 });
    await until(() => alice.isAvailable("dave@mesh.local"));
    expect(outcome).toBeNull();
    ack("bob@mesh.local/b", ref, id);
    await until(() => outcome !== null);
    expect(outcome).toEqual({ status: "delivered" });
  });

  it("a post of several frames: each is judged on its own; an empty or over-long one is refused whole", async () => {
    const { alice, got, evil, from } = underAttack();
    const message = (ref: string, body: string) => ({ v: 1, kind: "message", from, to: "alice@mesh.local", ref, stanza: chatTo("alice@mesh.local", body) });
    evil.postMessage([message("r1", "one"), 42, { v: 1, kind: "what", from }, message("r2", "two")]);
    evil.postMessage([]);
    evil.postMessage(Array.from({ length: MAX_FRAMES_PER_POST + 1 }, (_, i) => message(`x${i}`, "too many")));
    evil.postMessage(message("r3", "three"));
    await until(() => got.length === 3);
    expect(got).toEqual(["one", "two", "three"]);
    expect(alice.stats.malformed).toBe(4);
  });
});

describe("MeshRelay posts", () => {
  /** Every post seen on the channel, as its list of frames, and whether it was an array. */
  function spy(ch: string): Array<{ array: boolean; frames: Array<{ kind: string; from: string; ref?: string; available?: boolean }> }> {
    const posts: ReturnType<typeof spy> = [];
    raw(ch).onmessage = (e: MessageEvent) => posts.push({ array: Array.isArray(e.data), frames: Array.isArray(e.data) ? e.data : [e.data] });
    return posts;
  }
  const withKind = (posts: ReturnType<typeof spy>, kind: string) => posts.filter((p) => p.frames.some((f) => f.kind === kind));

  it("the frames of one task leave in one post: a burst of sends, and the acks of what was taken together", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const bob = tab(ch, "bob@mesh.local");
    const got: string[] = [];
    bob.onMessage((el) => void got.push(bodyOf(el)));
    await until(() => alice.isAvailable("bob@mesh.local"));
    const posts = spy(ch);
    const bodies = Array.from({ length: 20 }, (_, i) => `b${i}`);
    const outcomes = await Promise.all(bodies.map((b) => alice.send(msg("bob@mesh.local", b))));
    expect(outcomes).toEqual(bodies.map(() => ({ status: "delivered" })));
    expect(got).toEqual(bodies);
    const sends = withKind(posts, "message");
    expect(sends).toHaveLength(1);
    expect(sends[0]!.frames).toHaveLength(20);
    const acks = withKind(posts, "ack");
    expect(acks).toHaveLength(1);
    expect(acks[0]!.frames.map((f) => f.ref)).toEqual(sends[0]!.frames.map((f) => f.ref));
  });

  it("a task's frames past the most a post may carry go in the next post; nothing is refused, nothing empty is posted", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local", { ackTimeoutMs: 20_000 });
    const bob = tab(ch, "bob@mesh.local");
    let got = 0;
    bob.onMessage(() => void got++);
    await until(() => alice.isAvailable("bob@mesh.local"));
    const posts = spy(ch);
    const n = MAX_FRAMES_PER_POST + 1;
    const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => alice.send(msg("bob@mesh.local", `m${i}`))));
    expect(outcomes.filter((o) => o.status === "delivered")).toHaveLength(n);
    expect(got).toBe(n);
    expect(withKind(posts, "message").map((p) => p.frames.length)).toEqual([MAX_FRAMES_PER_POST, 1]);
    expect([alice.stats.malformed, bob.stats.malformed]).toEqual([0, 0]);
  });

  it("while a 0.1.0 tab (presence without `batches`) is on the mesh, every frame goes in a post of its own", async () => {
    const ch = channelName();
    const alice = tab(ch, "alice@mesh.local");
    const old = raw(ch);
    const oldTab = "carol@mesh.local/old";
    const frames: Array<{ kind: string; ref: string; stanza: string; to: string }> = [];
    let arrays = 0;
    old.onmessage = (e: MessageEvent) => (Array.isArray(e.data) ? arrays++ : e.data.kind === "message" && frames.push(e.data));
    old.postMessage({ v: 1, kind: "presence", from: oldTab, available: true, interval: 1000 });
    await until(() => alice.isAvailable("carol@mesh.local"));
    const sending = ["c1", "c2", "c3"].map((b) => alice.send(msg("carol@mesh.local", b)));
    await until(() => frames.length === 3);
    expect(arrays).toBe(0);
    for (const f of frames) old.postMessage({ v: 1, kind: "ack", from: oldTab, to: alice.address, ref: f.ref, id: readMessage(f.stanza).attrs.id });
    expect(await Promise.all(sending)).toEqual([{ status: "delivered" }, { status: "delivered" }, { status: "delivered" }]);

    // Once it leaves, posts carry several frames again.
    const posts = spy(ch);
    old.postMessage({ v: 1, kind: "presence", from: oldTab, available: false, interval: 1000 });
    await until(() => !alice.isAvailable("carol@mesh.local"));
    const bob = tab(ch, "bob@mesh.local");
    bob.onMessage(() => undefined);
    await until(() => alice.isAvailable("bob@mesh.local"));
    await Promise.all(["b1", "b2"].map((b) => alice.send(msg("bob@mesh.local", b))));
    expect(withKind(posts, "message").map((p) => [p.array, p.frames.length])).toEqual([[true, 2]]);
  });
});
