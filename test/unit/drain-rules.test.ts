// The sending side's rules (src/messaging/README.md): windowed drain, acks as
// they arrive, dead letters, never to ourselves, and what onStatus tells.
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/xml";
import { keyOf } from "../../src/core/record.ts";
import { OfflineEdgeError } from "../../src/core/errors.ts";
import type { StoreEvent } from "../../src/core/events.ts";
import type { OfflineStoreOptions } from "../../src/core/offline-store.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { ContextLocks } from "../../src/messaging/drain/locks.ts";
import { DrainEngine, type DrainEvent } from "../../src/messaging/drain/engine.ts";
import { Outbox } from "../../src/messaging/send/outbox.ts";
import type { DeliveryStatus } from "../../src/messaging/send/status-book.ts";
import type { SendOutcome } from "../../src/relay/relay.ts";
import { XmppRelay } from "../../src/relay/xmpp/relay.ts";
import { BACKENDS, makeStore } from "./helpers.ts";
import { FakeRelay, bodyOf, channelName, chatTo, meshTab, storeApi, until, type TestStore } from "./relay-helpers.ts";

const BOB = "bob@mesh.local";
const ALICE = "alice@mesh.local";
const UNLIMITED: Partial<OfflineStoreOptions> = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };
const PERMANENT: SendOutcome = { status: "bounced", condition: "not-allowed", text: "no groupchat here", type: "cancel", permanent: true };

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A fake relay whose outcomes the test settles one by one (`settle(i, outcome)`, in send order). */
function heldRelay() {
  const relay = new FakeRelay();
  const answers: Array<(o: SendOutcome) => void> = [];
  relay.outcome = () => new Promise<SendOutcome>((r) => answers.push(r));
  relay.available.add(BOB);
  return { relay, answers };
}

async function queued(store: TestStore, n: number, to = BOB): Promise<string[]> {
  const bodies = Array.from({ length: n }, (_, i) => `q${i + 1}`);
  await store.write(bodies.map((b) => chatTo(to, b)));
  return bodies;
}

function engine(store: TestStore, relay: FakeRelay, o: { batchSize?: number; window?: number } = {}) {
  const drain = new DrainEngine({ store, relay, retryMs: 0, locks: new ContextLocks(), ...o });
  const events: DrainEvent[] = [];
  drain.subscribe((e) => events.push(e));
  cleanup.push(() => drain.stop());
  return { drain, events };
}

describe("windowed drain", () => {
  it("sends the next batch while the previous one's outcomes are outstanding, never more than the window, in queue order", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    const bodies = await queued(store, 10);
    const { drain } = engine(store, relay, { batchSize: 3, window: 6 });
    const done = drain.drain(BOB);
    await until(() => relay.sent.length === 6, 3000, "two batches in flight");
    // No outcome is known yet, and the window is full: nothing more goes out.
    await store.count(BOB);
    expect(relay.sent).toHaveLength(6);
    for (let i = 0; i < 3; i++) answers[i]!({ status: "delivered" });
    await until(() => relay.sent.length === 9, 3000, "a third batch once three settled");
    let i = 3;
    while (i < 10) {
      await until(() => answers.length > i, 3000, `send ${i + 1}`);
      answers[i++]!({ status: "delivered" });
    }
    expect(await done).toEqual({ peer: BOB, delivered: 10, requeued: 0, failed: 0, stop: "empty" });
    expect(relay.sent.map(bodyOf)).toEqual(bodies);
    expect(await store.count(BOB)).toBe(0);
  });

  it("a message the relay accepted (only its grace window left) leaves the window: more go out before any outcome, and outcomes still land in order", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    const bodies = await queued(store, 10);
    const { drain } = engine(store, relay, { batchSize: 3, window: 6 });
    const done = drain.drain(BOB);
    await until(() => relay.sent.length === 6, 3000, "the window full");
    for (const p of relay.progress.slice(0, 3)) p!.accepted!();
    await until(() => relay.sent.length === 9, 3000, "a third batch while the first three wait out their grace");
    await store.count(BOB);
    expect(relay.sent).toHaveLength(9); // the three accepted made room for three, no more
    expect(await store.count(BOB)).toBe(10); // nothing is acked before its outcome
    // Outcomes settle out of order; acks still follow the queue's order.
    for (let i = 8; i >= 0; i--) answers[i]!({ status: "delivered" });
    await until(() => answers.length === 10, 3000, "the last one sent");
    answers[9]!({ status: "delivered" });
    expect(await done).toEqual({ peer: BOB, delivered: 10, requeued: 0, failed: 0, stop: "empty" });
    expect(relay.sent.map(bodyOf)).toEqual(bodies);
  });

  it("an accepted message that then bounces stops the pass there: it and all behind it stay queued, in place", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    const bodies = await queued(store, 6);
    const { drain } = engine(store, relay, { batchSize: 2, window: 2 });
    const done = drain.drain(BOB);
    await until(() => relay.sent.length === 2, 3000, "the window full");
    for (const p of relay.progress.slice(0, 2)) p!.accepted!();
    await until(() => relay.sent.length === 4, 3000, "two more behind the accepted");
    answers[0]!({ status: "delivered" });
    answers[1]!({ status: "bounced", condition: "recipient-unavailable", type: "cancel" });
    expect(await done).toMatchObject({ delivered: 1, requeued: 3, stop: "bounced" });
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(bodies.slice(1));
  });

  it("reads the next page while the window is full, so it goes out as soon as there is room", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const peeks: number[] = [];
    const peek = store.peek.bind(store);
    store.peek = (peer, limit, after) => (peeks.push(limit ?? 0), peek(peer, limit, after));
    const { relay, answers } = heldRelay();
    await queued(store, 10);
    const { drain } = engine(store, relay, { batchSize: 3, window: 6 });
    const done = drain.drain(BOB);
    await until(() => relay.sent.length === 6 && peeks.length === 3, 3000, "two pages sent, a third read ahead");
    expect(relay.sent).toHaveLength(6);
    for (let i = 0; i < 10; i++) {
      await until(() => answers.length > i, 3000, `send ${i + 1}`);
      answers[i]!({ status: "delivered" });
    }
    expect(await done).toMatchObject({ delivered: 10, stop: "empty" });
  });

  it("a page shortened by an unreadable row set aside does not end the pass: the whole queue drains", async () => {
    const backend = new MemoryBackend();
    const store = storeApi(backend, UNLIMITED);
    const relay = new FakeRelay();
    relay.available.add(BOB);
    const bodies = await queued(store, 4);
    // An older version's row at the head (ts 1): the first page of 2 hands out 1 good message.
    await backend.write([{ owner: BOB, max: Infinity, records: [{ owner: BOB, ts: 1, id: "bad-1", from: "", expireAt: null, marker: null, packet: "<message to='bob@mesh.local'><body>x<></></body></message>" }] }]);
    const { drain } = engine(store, relay, { batchSize: 2, window: 2 });
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 4, stop: "empty" });
    expect(relay.sent.map(bodyOf)).toEqual(bodies);
    expect(await store.count(BOB)).toBe(0);
    expect((await store.quarantined()).map((r) => r.id)).toEqual(["bad-1"]);
  });

  it("each confirmation leaves the queue as it arrives, before later ones are known (a dying sender re-sends only the unconfirmed)", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    await queued(store, 5);
    const { drain, events } = engine(store, relay, { batchSize: 5 });
    void drain.drain(BOB);
    await until(() => answers.length === 5);
    answers[0]!({ status: "delivered" });
    answers[1]!({ status: "delivered" });
    await until(() => events.some((e) => e.type === "delivered"), 3000, "first ack committed");
    expect(await store.count(BOB)).toBe(3);
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(["q3", "q4", "q5"]);
    for (const a of answers.slice(2)) a({ status: "delivered" });
    await until(() => !drain.isDraining(BOB));
  });

  it("an unconfirmed message stops the drain: it and everything behind it stay queued, in place", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    relay.available.add(BOB);
    const bodies = await queued(store, 10);
    relay.outcome = (el) => (bodyOf(el) === "q3" ? { status: "unknown", reason: "lost" } : { status: "delivered" });
    const requeued: string[][] = [];
    store.subscribe((e) => e.type === "requeued" && requeued.push(e.ids));
    const { drain } = engine(store, relay, { batchSize: 2, window: 4 });
    const report = await drain.drain(BOB);
    expect(report).toMatchObject({ delivered: 2, stop: "unknown" });
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(bodies.slice(2));
    // Every tab is told which ones came back: the unconfirmed one and what was in flight behind it.
    await until(() => requeued.length === 1, 3000, "the requeued event");
    const sentIds = relay.sent.map((el) => el.getChild("origin-id", "urn:xmpp:sid:0")?.attrs.id);
    expect(requeued[0]).toEqual(sentIds.slice(2));
    expect(relay.sent.length).toBeLessThanOrEqual(2 + 4); // bounded by the window
  });
});

describe("dead letters", () => {
  it("a refused message the store cannot set aside (full disk) stays queued in place; the ones behind it are delivered", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    store.bury = () => Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"));
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queued(store, 3);
    relay.outcome = (el) => (bodyOf(el) === "q1" ? PERMANENT : { status: "delivered" });
    const { drain } = engine(store, relay);
    expect(await drain.drain(BOB)).toEqual({ peer: BOB, delivered: 2, requeued: 1, failed: 0, stop: "empty" });
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(["q1"]);
  });

  it("a poison head refused for good is set aside with its error; the good ones behind it are delivered once", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queued(store, 4);
    relay.outcome = (el) => (bodyOf(el) === "q1" ? PERMANENT : { status: "delivered" });
    const drain = new DrainEngine({ store, relay, retryMs: 0, locks: new ContextLocks() });
    const outbox = new Outbox({ store, relay, drain });
    const states: DeliveryStatus[] = [];
    outbox.subscribe((s) => states.push(s));
    cleanup.push(() => drain.stop(), () => outbox.close());
    expect(await drain.drain(BOB)).toEqual({ peer: BOB, delivered: 3, requeued: 0, failed: 1, stop: "empty" });
    expect(relay.sent.map(bodyOf)).toEqual(["q1", "q2", "q3", "q4"]);
    const [dead, ...more] = await store.deadLetters(BOB);
    expect(more).toEqual([]);
    expect(bodyOf(dead!.record.packet)).toBe("q1");
    expect(dead!.error).toEqual({ type: "cancel", condition: "not-allowed", text: "no groupchat here" });
    const failed = states.find((s) => s.state === "failed")!;
    expect(failed).toMatchObject({ id: dead!.record.id, to: BOB, reason: "not-allowed", stanzaError: dead!.error });
    // Nothing is re-sent while the peer stays: the queue is empty.
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, stop: "empty" });
    expect(relay.sent).toHaveLength(4);

    // Retry puts it back (the app hears `queued`), and the next drain delivers it.
    relay.outcome = () => ({ status: "delivered" });
    expect(await store.retryDead(BOB, [keyOf(dead!.record)])).toBe(1);
    await until(() => states.some((s) => s.id === dead!.record.id && s.state === "queued"));
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 1, stop: "empty" });
    await until(() => states.some((s) => s.id === dead!.record.id && s.state === "delivered"));
    expect(await store.deadLetters()).toEqual([]);
  });

  it("a wait error or a peer-offline bounce is not permanent: the drain stops, everything stays queued", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queued(store, 3);
    relay.outcome = () => ({ status: "bounced", condition: "resource-constraint", type: "wait", permanent: false });
    const { drain } = engine(store, relay);
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, failed: 0, stop: "bounced" });
    expect(await store.count(BOB)).toBe(3);
    expect(await store.deadLetters(BOB)).toEqual([]);
  });
});

describe("drain engine lifecycle", () => {
  it("start() drains queued peers available now (not offline ones, never ourselves), then on each available presence", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay(ALICE);
    const CAROL = "carol@mesh.local";
    relay.available.add(BOB).add(ALICE);
    await queued(store, 1, BOB);
    await queued(store, 1, CAROL);
    await queued(store, 1, ALICE);
    const { drain, events } = engine(store, relay);
    await drain.start();
    await drain.start(); // a second start subscribes nothing twice
    await until(() => events.filter((e) => e.type === "drained").length === 1, 3000, "bob drained at start");
    expect(relay.sent.map((el) => el.attrs.to)).toEqual([BOB]);
    relay.setAvailable(CAROL, false);
    relay.setAvailable(CAROL, true);
    await until(() => events.filter((e) => e.type === "drained").length === 2, 3000, "carol drained on her presence");
    await store.count(CAROL);
    expect(events.filter((e) => e.type === "drained").map((e) => (e as { peer: string }).peer)).toEqual([BOB, CAROL]);
    expect(relay.sent.map((el) => el.attrs.to)).toEqual([BOB, CAROL]);
    expect(await store.count(ALICE)).toBe(1);
  });

  it("a drain that went round again reports the sums of its passes", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    await queued(store, 2);
    const { drain } = engine(store, relay, { batchSize: 1, window: 1 });
    const running = drain.drain(BOB);
    await until(() => answers.length === 1);
    void drain.drain(BOB); // go round once more
    answers[0]!(PERMANENT);
    await until(() => answers.length === 2);
    answers[1]!({ status: "unknown", reason: "lost" });
    await until(() => answers.length === 3, 3000, "the second pass");
    answers[2]!({ status: "unknown", reason: "lost" });
    expect(await running).toEqual({ peer: BOB, delivered: 0, requeued: 2, failed: 1, stop: "unknown" });
  });

  it("a permanent refusal without an error type is buried as cancel, and the app hears it with its id", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queued(store, 1);
    relay.outcome = () => ({ status: "bounced", condition: "not-allowed", permanent: true });
    const { drain, events } = engine(store, relay);
    await drain.drain(BOB);
    const [dead] = await store.deadLetters(BOB);
    expect(events.filter((e) => e.type === "failed")).toEqual([{ type: "failed", peer: BOB, id: dead!.record.id, error: { type: "cancel", condition: "not-allowed" } }]);
  });

  it("retries after retryMs only a pass that stopped unconfirmed while the peer stays; never a bounce, never with retryMs 0", async () => {
    const tries = async (o: { retryMs: number; outcome: SendOutcome; leaves?: boolean }) => {
      vi.useFakeTimers(); // the retry's timer, and the clock that shows no retry came
      try {
        const store = storeApi(new MemoryBackend(), UNLIMITED);
        const relay = new FakeRelay();
        relay.available.add(BOB);
        await queued(store, 1);
        relay.outcome = () => {
          if (o.leaves) relay.available.delete(BOB);
          return relay.sent.length === 1 ? o.outcome : { status: "delivered" };
        };
        const drain = new DrainEngine({ store, relay, retryMs: o.retryMs, locks: new ContextLocks() });
        const passes: string[] = [];
        drain.subscribe((e) => e.type === "drained" && passes.push(e.stop));
        await drain.drain(BOB);
        await vi.advanceTimersByTimeAsync(10_000);
        await drain.stop();
        return passes;
      } finally {
        vi.useRealTimers();
      }
    };
    const unknown: SendOutcome = { status: "unknown", reason: "lost" };
    expect(await tries({ retryMs: 100, outcome: unknown })).toEqual(["unknown", "empty"]);
    expect(await tries({ retryMs: 100, outcome: { status: "bounced", condition: "service-unavailable" } })).toEqual(["bounced"]);
    expect(await tries({ retryMs: 0, outcome: unknown })).toEqual(["unknown"]);
    expect(await tries({ retryMs: 100, outcome: unknown, leaves: true })).toEqual(["unknown"]);
  });

  it("stop() waits for the pass in flight, and a stopped engine drains no more", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const { relay, answers } = heldRelay();
    await queued(store, 3);
    const { drain } = engine(store, relay, { batchSize: 1, window: 1 });
    const running = drain.drain(BOB);
    await until(() => answers.length === 1);
    let stopped = false;
    const stopping = drain.stop().then(() => (stopped = true));
    await store.count(BOB); // a store round trip: ample turns for a stop() that did not wait to resolve
    expect(stopped).toBe(false); // the message in flight still has no outcome
    answers[0]!({ status: "delivered" });
    await stopping;
    expect(await running).toMatchObject({ delivered: 1, stop: "stopped" });
    expect(await drain.drain(BOB)).toBeNull();
    expect(relay.sent).toHaveLength(1);
  });
});

describe.each(BACKENDS)("dead-letter storage (%s)", (_name, backend) => {
  it("bury moves one message aside; retry puts it back in its place; discard deletes it; counts follow", async () => {
    const store = makeStore(backend(), UNLIMITED);
    await store.write([chatTo(BOB, "a"), chatTo(BOB, "b"), chatTo(BOB, "c")]);
    const [a, b] = await store.peek(BOB);
    const error = { type: "auth", condition: "forbidden" };
    expect(await store.bury(BOB, a!.key, error)).toBe(true);
    expect(await store.bury(BOB, a!.key, error)).toBe(false); // gone from the queue already
    expect(await store.bury(BOB, b!.key, error)).toBe(true);
    expect(await store.count(BOB)).toBe(1);
    expect((await store.deadLetters(BOB)).map((d) => [bodyOf(d.record.packet), d.error])).toEqual([
      ["a", error],
      ["b", error],
    ]);
    expect(await store.retryDead(BOB, [a!.key, a!.key])).toBe(1);
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(["a", "c"]);
    expect(await store.discardDead(BOB, [b!.key])).toBe(1);
    expect(await store.deadLetters()).toEqual([]);
    expect(await store.count(BOB)).toBe(2);
    // peek after a key: what a windowed drain reads next
    const [first] = await store.peek(BOB, 1);
    expect((await store.peek(BOB, 5, first!.key)).map((m) => bodyOf(m.stanza))).toEqual(["c"]);
  });
});

describe.each(BACKENDS)("dead letters never queued (%s)", (_name, backend) => {
  it("deadLetter keeps a refused message aside under a free key of its queue: listed, told, retried into its place", async () => {
    let t = 1000;
    const store = makeStore(backend(), { ...UNLIMITED, now: () => t });
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const error = { type: "modify", condition: "not-acceptable" };
    // Two on an empty queue in the same millisecond: neither replaces the other.
    expect(await store.deadLetter(chatTo(BOB, "x1"), error)).toBe(true);
    expect(await store.deadLetter(chatTo(BOB, "x2"), error)).toBe(true);
    t += 10;
    await store.write([chatTo(BOB, "a")]);
    expect(await store.deadLetter(chatTo(BOB, "x3"), error)).toBe(true); // and one beside a queued message, same ms
    t += 10;
    await store.write([chatTo(BOB, "b")]);
    expect(await store.count(BOB)).toBe(2);
    const dead = await store.deadLetters(BOB);
    expect(dead.map((d) => [bodyOf(d.record.packet), d.error])).toEqual([["x1", error], ["x2", error], ["x3", error]]);
    expect(events.filter((e) => e.type === "failed").map((e) => (e as { ids: string[] }).ids[0])).toEqual(dead.map((d) => d.record.id));
    expect(await store.retryDead(BOB, dead.map((d) => keyOf(d.record)))).toBe(3);
    // Into their places by time (a letter written in the same millisecond as a queued message may come first).
    const order = (await store.list(BOB)).map((m) => bodyOf(m.stanza));
    expect([order.slice(0, 2), order.slice(2, 4).sort(), order[4]]).toEqual([["x1", "x2"], ["a", "x3"], "b"]);
  });

  it("deadLetter keeps nothing the store would not queue, and checks its input", async () => {
    const store = makeStore(backend(), UNLIMITED);
    const error = { type: "cancel", condition: "not-allowed" };
    expect(await store.deadLetter(`<message type='headline' to='${BOB}'><body>news</body></message>`, error)).toBe(false);
    await expect(store.deadLetter("<message to='bob@localhost'><body>x</bod></message>", error)).rejects.toBeInstanceOf(OfflineEdgeError);
    expect(await store.deadLetters()).toEqual([]);
  });
});

describe("never to ourselves", () => {
  it("a queue for the signed-in user is never drained, though our own other resources are present", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay(BOB); // bob signed in, in a profile holding alice's queue for bob
    relay.available.add(BOB);
    await queued(store, 3, BOB);
    const { drain } = engine(store, relay);
    await drain.start();
    expect(await drain.drain(BOB)).toBeNull();
    relay.setAvailable(BOB, true);
    expect(relay.sent).toEqual([]);
    expect(await store.count(BOB)).toBe(3);
  });

  it("the mesh never reports our own other tabs as an available peer", async () => {
    const ch = channelName();
    const me = meshTab(ch, ALICE);
    const changes: unknown[] = [];
    me.onPresence((c) => changes.push(c));
    const other = meshTab(ch, ALICE);
    const bob = meshTab(ch, BOB);
    cleanup.push(() => me.close(), () => other.close(), () => bob.close());
    await until(() => me.isAvailable(BOB));
    expect(me.isAvailable(ALICE)).toBe(false);
    expect(changes).toEqual([{ peer: BOB, available: true }]);
  });

  it("XMPP: reflected presence of our own resources is not a peer", () => {
    const fake = Object.assign(new EventEmitter(), { status: "online", jid: { toString: () => "alice@x/r" }, send: async () => {} });
    const relay = new XmppRelay(fake);
    cleanup.push(() => relay.close());
    fake.emit("stanza", xml("presence", { from: "alice@x/other" }));
    fake.emit("stanza", xml("presence", { from: "bob@x/phone" }));
    expect(relay.isAvailable("alice@x")).toBe(false);
    expect(relay.availablePeers()).toEqual(["bob@x"]);
  });
});

describe("onStatus tells every state", () => {
  it("a store timeout is unknown (not bounced), and becomes queued when the store says it has it", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    const write = store.write;
    let late: string[] = [];
    // The write's answer is lost: what a page sees when the worker is slow (it commits later).
    store.write = async (s) => {
      late = s;
      throw new OfflineEdgeError("timeout", "The store did not answer in time.");
    };
    const drain = new DrainEngine({ store, relay, retryMs: 0, locks: new ContextLocks() });
    const outbox = new Outbox({ store, relay, drain });
    const states: DeliveryStatus[] = [];
    outbox.subscribe((s) => states.push(s));
    cleanup.push(() => outbox.close());
    const first = await outbox.send(chatTo(BOB, "x"));
    expect(first).toMatchObject({ state: "unknown", reason: "timeout" });
    store.write = write;
    await store.write(late); // the slow worker commits it: its `stored` event names the id
    expect(states.map((s) => s.state)).toEqual(["unknown", "queued"]);
    expect(states[1]).toMatchObject({ id: first.id, to: BOB });
  });

  it("a store failure is failed with its code, never bounced", async () => {
    const store = storeApi(new MemoryBackend(), UNLIMITED);
    const relay = new FakeRelay();
    store.write = async () => {
      throw new Error("disk on fire");
    };
    const drain = new DrainEngine({ store, relay, retryMs: 0, locks: new ContextLocks() });
    const outbox = new Outbox({ store, relay, drain });
    cleanup.push(() => outbox.close());
    expect(await outbox.send(chatTo(BOB, "x"))).toMatchObject({ state: "failed", reason: "storage-failed", error: "disk on fire" });
  });

  it("a message delivered by another tab's drain (or queued before a reload) is told delivered", async () => {
    const backend = new MemoryBackend();
    const store = storeApi(backend, UNLIMITED);
    const relay = new FakeRelay();
    const drain = new DrainEngine({ store, relay, retryMs: 0, locks: new ContextLocks() });
    const outbox = new Outbox({ store, relay, drain });
    const states: DeliveryStatus[] = [];
    outbox.subscribe((s) => states.push(s));
    cleanup.push(() => outbox.close());
    await store.write([chatTo(BOB, "before reload")]);
    const [m] = await store.peek(BOB);
    await store.ack(BOB, [m!.key]); // another tab's drain: this outbox never sent it
    await until(() => states.length === 1);
    expect(states[0]).toEqual({ id: m!.id, to: BOB, state: "delivered" });
  });
});
