// Messenger: the one composition point an app wires at login (outbox, drain engine, inbox over one
// store and one relay), exercised end to end over two mesh tabs in Node.
import { afterEach, describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { Messenger } from "../../src/messaging/messenger.ts";
import { MemorySeenIds } from "../../src/messaging/receive/claims.ts";
import type { DeliveryStatus } from "../../src/messaging/send/status-book.ts";
import type { DrainEvent } from "../../src/messaging/drain/engine.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import type { OfflineStoreOptions } from "../../src/core/offline-store.ts";
import { bodyOf, channelName, meshTab, storeApi, until } from "./relay-helpers.ts";

const ALICE = "alice@mesh.local";
const BOB = "bob@mesh.local";
const UNLIMITED: Partial<OfflineStoreOptions> = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };
const open: Messenger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

async function login(channel: string, self: string) {
  const store = storeApi(new MemoryBackend(), UNLIMITED);
  const relay = meshTab(channel, self);
  const m = await Messenger.start({ store, relay, inbox: { seen: new MemorySeenIds() }, drain: { retryMs: 0 } });
  open.push(m);
  const statuses: DeliveryStatus[] = [];
  const received: Element[] = [];
  const drains: DrainEvent[] = [];
  m.onStatus((s) => statuses.push(s));
  m.onMessage((el) => received.push(el));
  m.onDrain((e) => drains.push(e));
  return { m, store, relay, statuses, received, drains };
}

describe("Messenger", () => {
  it("queues for an absent peer and drains when it logs in: each state told, the message handed over once", async () => {
    const ch = channelName();
    const alice = await login(ch, ALICE);
    const first = await alice.m.send(`<message type='chat' to='${BOB}'><body>while you were away</body></message>`);
    expect(first.state).toBe("queued");
    expect(await alice.store.count(BOB)).toBe(1);
    const bob = await login(ch, BOB);
    await until(() => bob.received.length === 1 && alice.statuses.some((s) => s.state === "delivered"), 5000, "the drain");
    expect(bob.received.map(bodyOf)).toEqual(["while you were away"]);
    expect(bob.m.inbox.stats).toMatchObject({ handed: 1 });
    expect(alice.statuses.map((s) => [s.id, s.state])).toEqual([[first.id, "queued"], [first.id, "delivered"]]);
    expect(alice.drains.find((e) => e.type === "drained")).toMatchObject({ peer: BOB, delivered: 1, stop: "empty" });
    expect(alice.m.drain.isDraining(BOB)).toBe(false);
    expect(await alice.m.drain.drain(BOB)).toMatchObject({ delivered: 0, stop: "empty" });
    expect(await alice.store.count(BOB)).toBe(0);
  });

  it("sends straight to a peer that is there; an unsubscribed listener hears no more; close() takes the relay down", async () => {
    const ch = channelName();
    const alice = await login(ch, ALICE);
    const bob = await login(ch, BOB);
    await until(() => alice.relay.isAvailable(BOB) && bob.relay.isAvailable(ALICE), 5000, "both present");
    const heard: Element[] = [];
    const off = bob.m.onMessage((el) => heard.push(el));
    const sent = await alice.m.send(`<message type='chat' to='${BOB}'><body>one</body></message>`);
    expect(sent.state).toBe("sent");
    await until(() => bob.received.length === 1 && alice.statuses.some((s) => s.state === "delivered"), 5000, "delivered");
    off();
    await alice.m.send(`<message type='chat' to='${BOB}'><body>two</body></message>`);
    await until(() => bob.received.length === 2, 5000, "the second");
    expect([heard.map(bodyOf), bob.received.map(bodyOf)]).toEqual([["one"], ["one", "two"]]);
    await bob.m.close();
    await until(() => !alice.relay.isAvailable(BOB), 5000, "bob gone");
    expect((await alice.m.send(`<message type='chat' to='${BOB}'><body>three</body></message>`)).state).toBe("queued");
  });
});
