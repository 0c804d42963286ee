import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { NS } from "../../src/core/namespaces.ts";
import type { OfflineStoreOptions } from "../../src/core/offline-store.ts";
import { readMessage } from "../../src/core/stanza.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import type { DeliveryStatus } from "../../src/messaging/send/status-book.ts";
import { ContextLocks } from "../../src/messaging/drain/locks.ts";
import { DrainEngine } from "../../src/messaging/drain/engine.ts";
import { fanOut } from "../../src/relay/mesh/groupchat.ts";
import { Outbox } from "../../src/messaging/send/outbox.ts";
import type { SendOutcome } from "../../src/relay/relay.ts";
import { FakeRelay, bodyOf, chatTo, storeApi, until } from "./relay-helpers.ts";

const BOB = "bob@mesh.local";
const ROOM = "room@groups.mesh.local";

function setup(storeOptions: Partial<OfflineStoreOptions> = {}, members: Record<string, string[]> = {}) {
  const store = storeApi(new MemoryBackend(), storeOptions);
  const relay = new FakeRelay();
  const drain = new DrainEngine({ store, relay, locks: new ContextLocks(), retryMs: 0 });
  const outbox = new Outbox({ store, relay, drain, groups: (g) => members[g] });
  const states: DeliveryStatus[] = [];
  outbox.subscribe((s) => states.push(s));
  return { store, relay, drain, outbox, states };
}

const stored = async (store: ReturnType<typeof storeApi>, owner = BOB) => (await store.list(owner)).map((m) => m.stanza);

describe("outbox", () => {
  it("sends straight to an available peer with an empty queue: sent, then delivered", async () => {
    const { relay, outbox, states } = setup();
    relay.available.add(BOB);
    const status = await outbox.send(chatTo(BOB, "hi"));
    expect(status).toMatchObject({ to: BOB, state: "sent" });
    await until(() => states.length === 2);
    expect(states.map((s) => s.state)).toEqual(["sent", "delivered"]);
    const el = relay.sent[0]!;
    expect(el.getChild("origin-id", NS.sid)?.attrs.id).toBe(status.id);
    expect(outbox.status(status.id)).toBeUndefined(); // final states are forgotten
  });

  it("queues for an offline peer, then reports delivered when its presence drains the queue", async () => {
    const { store, relay, drain, outbox } = setup();
    await drain.start();
    const status = await outbox.send(readMessage(chatTo(BOB, "later")));
    expect(status.state).toBe("queued");
    expect(outbox.status(status.id, BOB)).toMatchObject({ state: "queued" });
    expect(relay.sent).toHaveLength(0);
    const seen: string[] = [];
    outbox.watch(status.id, (s) => seen.push(s.state));
    relay.setAvailable(BOB, true);
    await until(() => seen.length === 1);
    expect(seen).toEqual(["delivered"]);
    expect(relay.sent.map(bodyOf)).toEqual(["later"]);
    expect(await store.count(BOB)).toBe(0);
    await drain.stop();
  });

  it("a late bounce of a message reported delivered queues its copy again, in its place", async () => {
    const { store, relay, drain, outbox } = setup();
    relay.available.add(BOB);
    const status = await outbox.send(chatTo(BOB, "acked then lost"));
    await until(() => outbox.status(status.id, BOB) === undefined); // delivered: final
    const seen: string[] = [];
    outbox.watch(status.id, (s) => seen.push(s.state));
    relay.available.delete(BOB); // the peer's session died after the server took the message
    relay.lateBounces.emit({ peer: BOB, stanza: relay.sent[0]! });
    await until(() => seen.includes("queued"));
    expect((await stored(store)).map(bodyOf)).toEqual(["acked then lost"]);
    relay.setAvailable(BOB, true);
    await drain.start();
    await until(() => seen.includes("delivered"));
    expect(await store.count(BOB)).toBe(0);
  });

  it("queues behind a non-empty queue even when the peer is available", async () => {
    const { store, relay, outbox } = setup();
    await store.write([chatTo(BOB, "old")]);
    relay.available.add(BOB);
    relay.outcome = () => new Promise<SendOutcome>(() => {}); // hold the drain on its first message
    expect((await outbox.send(chatTo(BOB, "new"))).state).toBe("queued");
    expect((await stored(store)).map(bodyOf)).toEqual(["old", "new"]);
    // The drain pipelines a batch: both went out, in queue order, and both stay queued until confirmed.
    await until(() => relay.sent.length === 2);
    expect(relay.sent.map(bodyOf)).toEqual(["old", "new"]);
  });

  it("a message sent while an earlier one is still on its way to the queue goes behind it, even if the peer came online", async () => {
    const { store, relay, outbox } = setup();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const write = store.write.bind(store);
    let writes = 0;
    store.write = async (s) => {
      writes++;
      await gate; // the first kept copy is slow to reach the queue
      return write(s);
    };
    const first = outbox.send(chatTo(BOB, "first")); // bob is offline: queued
    await until(() => writes === 1);
    relay.available.add(BOB); // bob comes online before "first" is stored
    const second = outbox.send(chatTo(BOB, "second"));
    open();
    expect([(await first).state, (await second).state]).toEqual(["queued", "queued"]);
    // Queued in send order, then drained (bob is online) in that order: "second" did not overtake "first".
    await until(() => relay.sent.length === 2);
    expect(relay.sent.map(bodyOf)).toEqual(["first", "second"]);
  });

  it("a bounce without payload is matched by id and the kept copy is queued, in send order", async () => {
    const { store, relay, outbox } = setup();
    relay.available.add(BOB);
    const answers = new Map<string, (o: SendOutcome) => void>();
    relay.outcome = (el) =>
      new Promise((resolve) => {
        const id = el.getChild("origin-id", NS.sid)!.attrs.id!;
        el.children = []; // the relay keeps nothing of the payload
        answers.set(id, resolve);
      });
    const one = await outbox.send(chatTo(BOB, "one"));
    const two = await outbox.send(chatTo(BOB, "two"));
    expect([one.state, two.state]).toEqual(["sent", "sent"]);
    // The bounces come back out of order, and carry nothing but the verdict.
    answers.get(two.id)!({ status: "bounced", condition: "service-unavailable" });
    answers.get(one.id)!({ status: "bounced", condition: "service-unavailable" });
    await until(() => outbox.status(two.id)?.state === "queued");
    const queued = await store.list(BOB);
    expect(queued.map((m) => bodyOf(m.stanza))).toEqual(["one", "two"]);
    expect(queued.map((m) => m.id)).toEqual([one.id, two.id]);
  });

  it("a straight send refused for good is failed with the error as data, a dead letter, and not queued (it would only block the queue)", async () => {
    const { store, relay, drain, outbox, states } = setup();
    relay.available.add(BOB);
    relay.outcome = () => ({ status: "bounced", condition: "not-acceptable", text: "too big", type: "modify", permanent: true });
    const status = await outbox.send(chatTo(BOB, "refused"));
    await until(() => states.length === 2);
    const stanzaError = { type: "modify", condition: "not-acceptable", text: "too big" };
    expect(states[1]).toEqual({ id: status.id, to: BOB, state: "failed", reason: "not-acceptable", stanzaError });
    expect(await store.count(BOB)).toBe(0);
    const [dead, ...more] = await store.deadLetters(BOB);
    expect(more).toEqual([]);
    expect([dead!.record.id, bodyOf(dead!.record.packet), dead!.error]).toEqual([status.id, "refused", stanzaError]);
    // Retried like any dead letter: into the queue, and the next drain delivers it.
    relay.outcome = () => ({ status: "delivered" });
    expect(await store.retryDead(BOB, [[dead!.record.owner, dead!.record.ts, dead!.record.seq]])).toBe(1);
    await until(() => states.at(-1)?.state === "queued");
    expect(await drain.drain(BOB)).toMatchObject({ delivered: 1, stop: "empty" });
    expect(states.map((s) => s.state)).toEqual(["sent", "failed", "queued", "delivered"]);
  });

  it("what goes out: our JID as sender when the app set none, an origin-id, and one receipt request (none on groupchat)", async () => {
    const { relay, outbox } = setup();
    relay.available.add(BOB);
    await outbox.send(chatTo(BOB, "mine", "alice@mesh.local/phone"));
    await outbox.send(`<message type='chat' to='${BOB}'><body>no from</body><request xmlns='urn:xmpp:receipts'/></message>`);
    await outbox.send(`<message type='groupchat' to='${BOB}'><body>to a room</body></message>`);
    await until(() => relay.sent.length === 3);
    expect(relay.sent.map((el) => el.attrs.from)).toEqual(["alice@mesh.local/phone", relay.self, relay.self]);
    expect(relay.sent.map((el) => el.getChildren("request", NS.receipts).length)).toEqual([1, 1, 0]);
    expect(relay.sent.every((el) => el.getChild("origin-id", NS.sid)?.attrs.id)).toBe(true);
  });

  it("tells what other tabs did through the store: a dead letter buried (failed) and one discarded (dropped)", async () => {
    const { store, relay, outbox, states } = setup();
    await outbox.send(chatTo(BOB, "x"));
    const [m] = await store.peek(BOB);
    const error = { type: "cancel", condition: "not-allowed" };
    expect(await store.bury(BOB, m!.key, error)).toBe(true); // as another tab's drain would
    await until(() => states.at(-1)?.state === "failed");
    expect(states.at(-1)).toEqual({ id: m!.id, to: BOB, state: "failed", reason: "not-allowed", stanzaError: error });
    expect(await store.discardDead(BOB, [m!.key])).toBe(1);
    await until(() => states.at(-1)?.state === "dropped");
    expect(states.at(-1)).toEqual({ id: m!.id, to: BOB, state: "dropped", reason: "discarded" });
    expect(relay.sent).toEqual([]);
  });

  it("a store that cannot say whether a queue exists does not hold a straight send back", async () => {
    const { store, relay, outbox } = setup();
    relay.available.add(BOB);
    store.count = () => Promise.reject(new Error("store gone"));
    expect((await outbox.send(chatTo(BOB, "anyway"))).state).toBe("sent");
    expect(relay.sent.map(bodyOf)).toEqual(["anyway"]);
  });

  it("an unconfirmed send (unknown) keeps its copy queued too", async () => {
    const { store, relay, outbox } = setup();
    relay.available.add(BOB);
    relay.outcome = () => ({ status: "unknown", reason: "connection lost" });
    const status = await outbox.send(chatTo(BOB, "maybe"));
    await until(() => outbox.status(status.id)?.state === "queued");
    expect((await stored(store)).map(bodyOf)).toEqual(["maybe"]);
  });

  it("the store's limit error reaches the app", async () => {
    const { outbox, states } = setup({ access: { max_user_offline_messages: [{ acl: "all", value: 2 }] } });
    const results = [];
    for (const b of ["1", "2", "3"]) results.push(await outbox.send(chatTo(BOB, b)));
    expect(results.map((r) => r.state)).toEqual(["queued", "queued", "bounced"]);
    expect(results[2]).toMatchObject({ reason: "resource-constraint" });
    expect(results[2]!.error).toContain("Your contact offline message queue is full. The message has been discarded.");
    expect(states.filter((s) => s.state === "bounced")).toHaveLength(1);
  });

  it("a message the store's policy keeps not is dropped, with the reason", async () => {
    const { outbox } = setup();
    const r = await outbox.send(`<message to='${BOB}' type='headline'><body>news</body></message>`);
    expect(r).toMatchObject({ state: "dropped", reason: "type" });
  });

  it("rejects bad input with typed errors and leaves the caller's stanza alone", async () => {
    const { outbox } = setup({}, { [ROOM]: [BOB] });
    await expect(outbox.send("<message><body>x</body></message>")).rejects.toMatchObject({ code: "invalid-jid" });
    await expect(outbox.send("<message to='bob@mesh.local'><body>x</body>")).rejects.toMatchObject({ code: "malformed-stanza" });
    await expect(outbox.send(`<message to='${ROOM}' type='groupchat'><body>x</body></message>`)).rejects.toMatchObject({ code: "invalid-request" });
    await expect(outbox.sendToGroup(chatTo(BOB))).rejects.toMatchObject({ code: "invalid-request" });
    const mine = readMessage(chatTo(BOB));
    await outbox.send(mine);
    expect(mine.getChild("origin-id", NS.sid)).toBeUndefined();
  });
});

describe("groupchat fan-out", () => {
  it("makes one copy per member but the sender, from the occupant JID, with one origin-id", () => {
    const el = readMessage(`<message to='${ROOM}' type='groupchat'><body>hey</body></message>`);
    const copies = fanOut(el, [BOB, "carol@mesh.local", "alice@mesh.local", "Bob@mesh.local"], "alice@mesh.local/tab1");
    expect(copies.map((c) => c.attrs.to)).toEqual([BOB, "carol@mesh.local"]);
    const ids = new Set(copies.map((c: Element) => c.getChild("origin-id", NS.sid)?.attrs.id));
    expect(ids.size).toBe(1);
    expect(copies[0]!.attrs).toMatchObject({ from: `${ROOM}/alice`, type: "groupchat" });
    expect(bodyOf(copies[1]!)).toBe("hey");
  });

  it("queues a copy per offline member when the store keeps groupchat; sends to online ones", async () => {
    const members = { [ROOM]: [BOB, "carol@mesh.local", "dave@mesh.local", "alice@mesh.local"] };
    const { store, relay, outbox } = setup({ storeGroupchatMessages: true }, members);
    relay.available.add(BOB);
    const states = await outbox.sendToGroup(`<message to='${ROOM}'><body>all hands</body></message>`);
    expect(states.map((s) => [s.to, s.state])).toEqual([
      [BOB, "sent"],
      ["carol@mesh.local", "queued"],
      ["dave@mesh.local", "queued"],
    ]);
    for (const member of ["carol@mesh.local", "dave@mesh.local"]) {
      const [copy] = await store.list(member);
      expect(copy!.stanza).toContain(`to="${member}"`);
      expect(copy!.stanza).toContain(`from="${ROOM}/alice"`);
      expect(copy!.id).toBe(states[0]!.id);
    }
    expect(relay.sent[0]!.attrs).toMatchObject({ to: BOB, type: "groupchat" });
  });

  it("without storeGroupchatMessages, offline members' copies are dropped like mod_offline does", async () => {
    const { store, outbox } = setup({}, { [ROOM]: ["carol@mesh.local"] });
    const [s] = await outbox.sendToGroup(`<message to='${ROOM}' type='groupchat'><body>x</body></message>`);
    expect(s).toMatchObject({ to: "carol@mesh.local", state: "dropped", reason: "groupchat" });
    expect(await store.count("carol@mesh.local")).toBe(0);
  });
});
