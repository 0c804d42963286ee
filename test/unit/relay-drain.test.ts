import { afterEach, describe, expect, it, vi } from "vitest";
import type { Element } from "@xmpp/xml";
import { NS } from "../../src/core/namespaces.ts";
import type { OfflineStoreOptions } from "../../src/core/offline-store.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { ContextLocks } from "../../src/messaging/drain/locks.ts";
import { DrainEngine, type DrainEvent } from "../../src/messaging/drain/engine.ts";
import { Inbox } from "../../src/messaging/receive/inbox.ts";
import type { MeshRelay } from "../../src/relay/mesh/relay.ts";
import { Outbox } from "../../src/messaging/send/outbox.ts";
import { IdbSeenIds } from "../../src/messaging/receive/claims.ts";
import type { HolderLocks } from "../../src/messaging/receive/claim-engine.ts";
import { FakeRelay, ProcessLocks, bodyOf, channelName, chatTo, meshTab, storeApi, until, type TestStore } from "./relay-helpers.ts";

const UNLIMITED: Partial<OfflineStoreOptions> = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };
const BOB = "bob@mesh.local";
/** The browser's Web Locks, shared by every tab of these tests (one origin). */
const locks = new ProcessLocks();

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Alice's tab: a store over `backend`, a mesh relay, a drain engine (started) and an outbox. */
async function aliceTab(channel: string, backend: MemoryBackend, options: { batchSize?: number } = {}) {
  const store = storeApi(backend, UNLIMITED);
  const relay = meshTab(channel, "alice@mesh.local");
  const drain = new DrainEngine({ store, relay, batchSize: options.batchSize ?? 50, retryMs: 0 });
  const outbox = new Outbox({ store, relay, drain });
  const events: DrainEvent[] = [];
  drain.subscribe((e) => events.push(e));
  cleanup.push(
    () => drain.stop(),
    () => relay.close(),
  );
  await drain.start();
  return { store, relay, drain, outbox, events };
}

/** Bob's tab: a mesh relay and an inbox whose seen-set (IndexedDB) lives in `db`; `got` is what his app saw. */
function bobTab(channel: string, db: string, got: Element[], onMessage?: (el: Element, tab: { relay: MeshRelay; inbox: Inbox }) => void) {
  const relay = meshTab(channel, BOB);
  // Each tab opens the seen-set anew, as a reloaded page would; `db` keeps tests apart. Web Locks
  // as in a browser: a closed tab's claims not handed over are free at once, not after maxWaitMs.
  const seen = new IdbSeenIds({ name: `seen-${db}`, locks: locks as unknown as HolderLocks, journal: null });
  const inbox = new Inbox({ relay, seen });
  inbox.subscribe((el) => {
    got.push(el);
    onMessage?.(el, { relay, inbox });
  });
  cleanup.push(
    () => seen.close(),
    () => inbox.close(),
    () => relay.close(),
  );
  return { relay, inbox, seen };
}

async function queueFor(store: TestStore, to: string, n: number, prefix = "m"): Promise<string[]> {
  const bodies = Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
  const results = await store.write(bodies.map((b) => chatTo(to, b)));
  expect(results.every((r) => r.status === "stored")).toBe(true);
  return bodies;
}

describe("drain over the mesh", () => {
  it("drains oldest first, each with its offline <delay/>, and acks what was delivered", async () => {
    const ch = channelName();
    const alice = await aliceTab(ch, new MemoryBackend());
    const sent = await queueFor(alice.store, BOB, 7);
    const got: Element[] = [];
    bobTab(ch, "d1", got);
    await until(() => got.length === 7);
    expect(got.map(bodyOf)).toEqual(sent);
    for (const el of got) expect(el.getChild("delay", NS.delay)?.getText()).toBe("Offline Storage");
    const drained = () => alice.events.find((e) => e.type === "drained" && e.peer === BOB);
    await until(() => drained() !== undefined);
    expect(drained()).toMatchObject({ delivered: 7, requeued: 0, stop: "empty" });
    expect(await alice.store.count(BOB)).toBe(0);
    expect(alice.store.calls.ack).toBeGreaterThanOrEqual(1);
    expect(alice.store.calls.pop ?? 0).toBe(0); // never pop-before-send
    const m = await alice.store.store.metricsSnapshot();
    expect(m.histograms.pop_messages.count).toBeGreaterThanOrEqual(1);
    expect(m.counters.popped).toBe(7);
  });

  it("messages sent during a drain are queued behind it and arrive after", async () => {
    const ch = channelName();
    const alice = await aliceTab(ch, new MemoryBackend(), { batchSize: 5 });
    const first = await queueFor(alice.store, BOB, 20);
    const got: Element[] = [];
    const late: Array<Promise<{ state: string }>> = [];
    bobTab(ch, "d2", got, () => {
      if (got.length === 3) for (let i = 1; i <= 5; i++) late.push(alice.outbox.send(chatTo(BOB, `late${i}`)));
    });
    await until(() => got.length === 25);
    expect(got.map(bodyOf)).toEqual([...first, "late1", "late2", "late3", "late4", "late5"]);
    expect((await Promise.all(late)).map((s) => s.state)).toEqual(Array(5).fill("queued"));
    await until(() => !alice.drain.isDraining(BOB)); // the last batch's ack follows its last send
    expect(await alice.store.count(BOB)).toBe(0);
  });

  it("a peer that drops mid-drain of 500 gets every message exactly once, in order, when back", async () => {
    const ch = channelName();
    const alice = await aliceTab(ch, new MemoryBackend());
    const sent = await queueFor(alice.store, BOB, 500);
    const got: Element[] = [];
    const first = bobTab(ch, "d3", got, (_el, tab) => {
      if (got.length !== 200) return;
      // Bob's tab goes away mid-drain, as on pagehide: its inbox hands nothing more over, its relay leaves.
      tab.inbox.close();
      void tab.relay.close();
    });
    await until(() => got.length === 200 && !alice.relay.isAvailable(BOB), 5000);
    await until(() => !alice.drain.isDraining(BOB));
    const left = await alice.store.count(BOB);
    expect(left).toBeGreaterThanOrEqual(300); // the unacked ones stay queued
    expect(alice.events.some((e) => e.type === "drained" && e.stop !== "empty")).toBe(true);
    first.inbox.close();
    first.seen.close();
    const again = bobTab(ch, "d3", got); // a reload: a new tab over the same seen-set
    await until(() => got.length >= 500 && !alice.drain.isDraining(BOB) && again.relay.stats.received >= left, 8000);
    expect(got.map(bodyOf)).toEqual(sent);
    expect(again.inbox.stats.duplicates).toBe(again.relay.stats.received - 300);
    expect(await alice.store.count(BOB)).toBe(0);
  });

  it("a sender tab that dies mid-drain loses nothing and doubles nothing at the receiver", async () => {
    const ch = channelName();
    const backend = new MemoryBackend();
    const alice1 = await aliceTab(ch, backend, { batchSize: 25 });
    const sent = await queueFor(alice1.store, BOB, 100);
    const got: Element[] = [];
    const bob = bobTab(ch, "d4", got, () => {
      if (got.length !== 40) return; // mid-way through the second batch
      alice1.store.kill(); // its store calls fail from now on: no ack for the batch in flight
      void alice1.drain.stop();
      void alice1.relay.close();
    });
    await until(() => got.length >= 40 && !alice1.drain.isDraining(BOB));
    // Each confirmation is acked as it comes (group-committed): exactly what alice1 committed left the queue.
    const left = await alice1.store.store.count(BOB);
    const arrived = got.length;
    const acked = alice1.events.flatMap((e) => (e.type === "delivered" ? e.ids : []));
    expect(left).toBe(100 - acked.length);
    expect(left).toBeGreaterThanOrEqual(100 - arrived);
    const alice2 = await aliceTab(ch, backend, { batchSize: 25 });
    await until(() => got.length >= 100 && !alice2.drain.isDraining(BOB), 5000);
    expect(got.map(bodyOf)).toEqual(sent);
    // Every repeat (what arrived but was not acked) was dropped: the app saw each message once.
    expect(bob.inbox.stats.duplicates).toBeGreaterThanOrEqual(arrived - acked.length);
    expect(bob.relay.stats.received).toBe(100 + bob.inbox.stats.duplicates);
    expect(await alice2.store.count(BOB)).toBe(0);
  });

  it("two drain engines over one store and peer: one drain at a time, nothing sent twice", async () => {
    const ch = channelName();
    const backend = new MemoryBackend();
    const tab1 = await aliceTab(ch, backend, { batchSize: 10 });
    const tab2 = await aliceTab(ch, backend, { batchSize: 10 });
    const sent = await queueFor(tab1.store, BOB, 120);
    const got: Element[] = [];
    const bob = bobTab(ch, "d5", got);
    await until(() => tab1.relay.isAvailable(BOB) && tab2.relay.isAvailable(BOB));
    // Both engines see bob's presence and ask for a drain; ask again by hand for good measure.
    const reports = await Promise.all([tab1.drain.drain(BOB), tab2.drain.drain(BOB), tab1.drain.drain(BOB)]);
    await until(() => got.length === 120 && !tab1.drain.isDraining(BOB) && !tab2.drain.isDraining(BOB));
    expect(got.map(bodyOf)).toEqual(sent);
    expect(bob.relay.stats.received).toBe(120); // not one message went out twice
    expect(bob.inbox.stats.duplicates).toBe(0);
    const delivered = [...tab1.events, ...tab2.events].filter((e) => e.type === "drained").reduce((n, e) => n + (e as { delivered: number }).delivered, 0);
    expect(delivered).toBe(120);
    expect(reports.every((r) => r === null || r.stop === "empty")).toBe(true);
  });

  it("queued groupchat copies reach a member when it comes online", async () => {
    const ch = channelName();
    const store = storeApi(new MemoryBackend(), { storeGroupchatMessages: true });
    const relay = meshTab(ch, "alice@mesh.local");
    const drain = new DrainEngine({ store, relay, retryMs: 0 });
    const outbox = new Outbox({ store, relay, drain, groups: (g) => (g === "room@groups.mesh.local" ? [BOB, "alice@mesh.local"] : undefined) });
    cleanup.push(
      () => drain.stop(),
      () => relay.close(),
    );
    await drain.start();
    const [status] = await outbox.sendToGroup("<message to='room@groups.mesh.local'><body>to all</body></message>");
    expect(status).toMatchObject({ to: BOB, state: "queued" });
    const got: Element[] = [];
    bobTab(ch, "d6", got);
    await until(() => got.length === 1);
    expect(got[0]!.attrs).toMatchObject({ type: "groupchat", from: "room@groups.mesh.local/alice", to: BOB });
    await until(() => outbox.status(status!.id) === undefined); // delivered, final, forgotten
  });
});

describe("drain engine (fake relay)", () => {
  it("stops at the first bounce and leaves it and the rest in place, in order", async () => {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    const sent = await queueFor(store, BOB, 10);
    relay.available.add(BOB);
    relay.outcome = () => (relay.sent.length <= 3 ? { status: "delivered" } : { status: "bounced", condition: "service-unavailable" });
    const drain = new DrainEngine({ store, relay, batchSize: 4, window: 4, locks: new ContextLocks() });
    const events: DrainEvent[] = [];
    drain.subscribe((e) => events.push(e));
    const report = await drain.drain(BOB);
    expect(report).toEqual({ peer: BOB, delivered: 3, requeued: 1, failed: 0, stop: "bounced" });
    expect(events[0]).toMatchObject({ type: "delivered", ids: expect.any(Array) });
    expect((events[0] as { ids: string[] }).ids).toHaveLength(3);
    expect((await store.list(BOB)).map((m) => bodyOf(m.stanza))).toEqual(sent.slice(3));
    await drain.stop();
  });

  it("does not send to a peer that is not available, and stops on a store failure", async () => {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    await queueFor(store, BOB, 2);
    const drain = new DrainEngine({ store, relay, locks: new ContextLocks(), retryMs: 0 });
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, stop: "unavailable" });
    relay.available.add(BOB);
    store.kill();
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, stop: "failed" });
    expect(relay.sent).toHaveLength(0);
  });

  it("a failed ack commit ends the pass as failed: no later commit, no delivered event, the messages stay queued", async () => {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queueFor(store, BOB, 5);
    // Confirmations come one task apart, so they would make several commits.
    relay.outcome = () => new Promise((resolve) => setTimeout(() => resolve({ status: "delivered" }), 0));
    let acks = 0;
    store.ack = async () => {
      acks++;
      await new Promise((resolve) => setTimeout(resolve, 0));
      throw new Error("disk full");
    };
    const drain = new DrainEngine({ store, relay, batchSize: 2, window: 2, locks: new ContextLocks(), retryMs: 0 });
    const events: DrainEvent[] = [];
    drain.subscribe((e) => events.push(e));
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, stop: "failed" });
    expect(acks).toBe(1);
    expect(events.map((e) => e.type)).toEqual(["drained"]);
    expect(await store.count(BOB)).toBe(5);
  });

  it("a drain asked for while one runs makes it go round again", async () => {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queueFor(store, BOB, 1, "a");
    let release = () => {};
    relay.outcome = () => (relay.sent.length === 1 ? new Promise((r) => (release = () => r({ status: "delivered" }))) : { status: "delivered" });
    const drain = new DrainEngine({ store, relay, batchSize: 1, locks: new ContextLocks() });
    const running = drain.drain(BOB);
    await until(() => relay.sent.length === 1);
    await queueFor(store, BOB, 1, "b");
    expect(drain.isDraining(BOB)).toBe(true);
    const joined = drain.drain(BOB);
    expect(joined).toBe(running);
    release();
    expect(await running).toMatchObject({ delivered: 2, stop: "empty" });
    expect(relay.sent.map(bodyOf)).toEqual(["a1", "b1"]);
  });

  it("takes the Web Lock of the peer when navigator.locks exists", async () => {
    const locks = new ContextLocks();
    const request = vi.spyOn(locks, "request");
    vi.stubGlobal("navigator", { locks });
    try {
      const store = storeApi(new MemoryBackend());
      const relay = new FakeRelay();
      relay.available.add(BOB);
      await queueFor(store, BOB, 2);
      const drain = new DrainEngine({ store, relay });
      expect(await drain.drain(BOB)).toMatchObject({ delivered: 2 });
      expect(request).toHaveBeenCalledWith("offline-edge:drain:bob@mesh.local", { ifAvailable: true }, expect.any(Function));
      // Held elsewhere (another tab): this engine waits for one pass after the holder.
      let free = () => {};
      const held = locks.request("offline-edge:drain:bob@mesh.local", {}, () => new Promise<void>((r) => (free = r)));
      await queueFor(store, BOB, 1);
      const waiting = drain.drain(BOB);
      await new Promise((r) => setTimeout(r, 10));
      expect(relay.sent).toHaveLength(2);
      free();
      await held;
      expect(await waiting).toMatchObject({ delivered: 1 });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("drain locks and retries", () => {
  it("context locks: exclusive, FIFO, ifAvailable, abortable", async () => {
    const locks = new ContextLocks();
    const order: string[] = [];
    let free = () => {};
    const first = locks.request("n", {}, () => new Promise<void>((r) => (free = r)).then(() => order.push("first")));
    expect(await locks.request("n", { ifAvailable: true }, (lock) => lock)).toBeNull();
    expect(await locks.request("other", { ifAvailable: true }, (lock) => lock !== null)).toBe(true);
    const second = locks.request("n", {}, () => order.push("second"));
    const abort = new AbortController();
    const third = locks.request("n", { signal: abort.signal }, () => order.push("third"));
    const fourth = locks.request("n", {}, () => order.push("fourth"));
    abort.abort(new Error("gave up"));
    await expect(third).rejects.toThrow("gave up");
    free();
    await Promise.all([first, second, fourth]);
    expect(order).toEqual(["first", "second", "fourth"]);
    expect(await locks.request("n", { ifAvailable: true }, (lock) => lock !== null)).toBe(true);
  });

  it("stop() gives up a drain waiting for a lock held elsewhere", async () => {
    const locks = new ContextLocks();
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queueFor(store, BOB, 1);
    let free = () => {};
    const held = locks.request("offline-edge:drain:bob@mesh.local", {}, () => new Promise<void>((r) => (free = r)));
    const drain = new DrainEngine({ store, relay, locks });
    const waiting = drain.drain(BOB);
    expect(drain.isDraining(BOB)).toBe(true);
    await drain.stop();
    expect(await waiting).toBeNull();
    free();
    await held;
    expect(relay.sent).toHaveLength(0);
  });

  it("retries a drain left unconfirmed while the peer is still there", async () => {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    relay.available.add(BOB);
    await queueFor(store, BOB, 2);
    relay.outcome = () => (relay.sent.length === 1 ? { status: "unknown", reason: "timeout" } : { status: "delivered" });
    const drain = new DrainEngine({ store, relay, locks: new ContextLocks(), retryMs: 5 });
    cleanup.push(() => drain.stop());
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 0, requeued: 2, stop: "unknown" });
    // What came back is counted as re-queued in the store's metrics.
    await expect.poll(async () => (await store.store.metricsSnapshot()).counters.requeued).toBe(2);
    // Pipelined: m2 went out with m1, but only a delivered prefix leaves the queue, so both go again.
    await until(() => relay.sent.length === 4 && !drain.isDraining(BOB));
    expect(relay.sent.map(bodyOf)).toEqual(["m1", "m2", "m1", "m2"]);
    expect(await store.count(BOB)).toBe(0);
  });
});
