import { describe, expect, it, vi } from "vitest";
import { IDBFactory, IDBObjectStore as FakeObjectStore } from "fake-indexeddb";
import { openDB, type IDBPDatabase } from "idb";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { ROWS_COMPLETE, upgrade, type OfflineDB } from "../../src/storage/schema.ts";
import { SHARDS, shardOf, type TallyRow } from "../../src/storage/tallies.ts";
import { bodies, chat, makeStore } from "./helpers.ts";

/** Runs `use` on the database as plain idb sees it (idb reads the global factory: swapped in for the call). */
async function rawDb<T>(factory: IDBFactory, name: string, use: (db: IDBPDatabase) => Promise<T>): Promise<T> {
  const saved = globalThis.indexedDB;
  globalThis.indexedDB = factory;
  try {
    const db = await openDB(name);
    try {
      return await use(db);
    } finally {
      db.close();
    }
  } finally {
    globalThis.indexedDB = saved;
  }
}

/** A database at an older schema `version` (its migrations only), filled by `fill`. */
async function oldDatabase(factory: IDBFactory, name: string, version: number, fill: (db: IDBPDatabase<OfflineDB>) => Promise<void>): Promise<void> {
  const saved = globalThis.indexedDB;
  globalThis.indexedDB = factory;
  try {
    const db = await openDB<OfflineDB>(name, version, { upgrade: (d, old, _n, tx) => upgrade(d, old, tx, version) });
    await fill(db);
    db.close();
  } finally {
    globalThis.indexedDB = saved;
  }
}

/** A stored chat message to bob with this body. */
const packet = (body: string) => `<message xmlns='jabber:client' type='chat' from='alice@localhost/A' to='bob@localhost'><body>${body}</body></message>`;

/** Every record of one object store of a database, read with plain idb. */
function rows(factory: IDBFactory, name: string, store: string): Promise<unknown[]> {
  return rawDb(factory, name, (db) => db.getAll(store as never));
}

/** Every queue's count entry, by owner, read with plain idb; each must sit in its owner's row. */
async function entries(factory: IDBFactory, name: string): Promise<Array<{ owner: string; count: number; seq: number }>> {
  const all = (await rows(factory, name, "tallies")) as TallyRow[];
  const out = all.flatMap((row) =>
    Array.from(row.queues, ([owner, t]) => {
      if (shardOf(owner) !== row.shard) throw new Error(`${owner} is in row ${row.shard}, not ${shardOf(owner)}`);
      return { owner, ...t };
    }),
  );
  return out.sort((a, b) => (a.owner < b.owner ? -1 : 1));
}

/** Whether `meta` holds the mark that every queue has its count entry. */
const hasMark = async (factory: IDBFactory, name: string) => (await rows(factory, name, "meta")).some((r) => (r as { key: string }).key === ROWS_COMPLETE);

/** Drops the row holding an owner's entry, and the mark that every queue has one, as a pass at quota does. */
const dropRow = (factory: IDBFactory, name: string, owner: string) =>
  rawDb(factory, name, async (db) => {
    await db.delete("tallies" as never, shardOf(owner));
    await db.delete("meta" as never, ROWS_COMPLETE);
  });

/**
 * Simulates the quota on a backend: while `full`, the next pass that frees space (pop, ack,
 * removeUser, a purge) is refused where it would put its metrics, so its transaction is aborted
 * and it runs again deleting only; while `settleRefused`, putting the dropped entries back is
 * refused too.
 */
function quota(b: IndexedDBBackend): { full: boolean; settleRefused: boolean } {
  type Private = {
    addMetrics: (tx: unknown, pass: { free: boolean }, delta: unknown) => Promise<void>;
    settle: (owners: Set<string>) => Promise<void>;
  };
  const inner = b as unknown as Private;
  const [addMetrics, settle] = [inner.addMetrics.bind(b), inner.settle.bind(b)];
  const refuse = () => Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"));
  const state = { full: false, settleRefused: false };
  inner.addMetrics = (tx, pass, delta) => (state.full && !pass.free ? ((state.full = false), refuse()) : addMetrics(tx, pass, delta));
  inner.settle = (owners) => (state.settleRefused ? refuse() : settle(owners));
  return state;
}

describe("IndexedDB writes (issue 11)", () => {
  it("a write touches messages and tallies only: metrics reach the store by the flush", async () => {
    const factory = new IDBFactory();
    const backend = new IndexedDBBackend({ factory, name: "w" });
    const record = { owner: "bob@localhost", ts: 1, id: "i1", from: "", expireAt: null, marker: null, packet: "<message/>" };
    expect(await backend.write([{ owner: "bob@localhost", max: 10, records: [record] }])).toEqual([true]);
    // Nothing written to meta: neither metrics nor a global sequence (the mark that every queue has its row is the new database's).
    expect(await rows(factory, "w", "meta")).toEqual([{ key: ROWS_COMPLETE, value: true }]);
    backend.close();
    const store = makeStore(new IndexedDBBackend({ factory, name: "w" }));
    await store.write([chat("bob@localhost"), chat("bob@localhost")]);
    expect((await store.metricsSnapshot()).counters.stored).toBe(2);
    await store.flushMetrics();
    const meta = (await rows(factory, "w", "meta")) as Array<{ key: string; value: { counters: { stored: number } } }>;
    expect(meta.map((m) => m.key)).toEqual(["metrics", ROWS_COMPLETE]);
    expect(meta[0]!.value.counters.stored).toBe(2);
    await store.close();
  });

  it("refused groups are counted once, in memory, and persisted by the flush", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "r" }), { access: { max_user_offline_messages: [{ acl: "all", value: 1 }] } });
    await store.write([chat("bob@localhost")]);
    expect((await store.write([chat("bob@localhost")]))[0]).toMatchObject({ status: "bounced", reason: "resource-constraint" });
    await store.close();
    const reopened = makeStore(new IndexedDBBackend({ factory, name: "r" }));
    const m = await reopened.metricsSnapshot();
    expect(m.counters.stored).toBe(1);
    expect(m.counters.bounced["resource-constraint"]).toBe(1);
    await reopened.close();
  });

  it("each queue keeps its own sequence in its count entry", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "s" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "1"), chat("carol@localhost", "2"), chat("bob@localhost", "3")]);
    await store.write([chat("bob@localhost", "4")]);
    expect(await entries(factory, "s")).toEqual([
      { owner: "bob@localhost", count: 3, seq: 3 },
      { owner: "carol@localhost", count: 1, seq: 1 },
    ]);
    // One ms for all: the order is the sequence's.
    expect(bodies(await store.pop("bob@localhost"))).toEqual(["1", "3", "4"]);
    await store.close();
  });

  it("a queue of a schema-1 database, written by the global sequence, continues above it", async () => {
    const factory = new IDBFactory();
    // As schema 1 left it: a count row without seq, records numbered by meta "seq".
    await oldDatabase(factory, "l", 1, async (db) => {
      await db.put("messages", { owner: "bob@localhost", ts: 1000, seq: 7, id: "o", from: "", expireAt: null, marker: null, packet: packet("old") });
      await db.put("counts", { owner: "bob@localhost", count: 1 });
      await db.put("meta", { key: "seq", value: 7 });
    });
    const store = makeStore(new IndexedDBBackend({ factory, name: "l" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "new")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["old", "new"]);
    expect(await entries(factory, "l")).toEqual([{ owner: "bob@localhost", count: 2, seq: 8 }]);
    await store.close();
  });

  it("a schema-4 database's count rows move into the tallies: counts, sequences and the mark kept, the old store gone", async () => {
    const factory = new IDBFactory();
    // judy and peggy share a row of the tallies; bob does not.
    expect(shardOf("judy@localhost")).toBe(shardOf("peggy@localhost"));
    await oldDatabase(factory, "v4", 4, async (db) => {
      const queues = [["bob@localhost", 2, 5], ["judy@localhost", 1, 9], ["peggy@localhost", 3, 3]] as const;
      for (const [owner, count, seq] of queues) {
        for (let i = 0; i < count; i++) await db.put("messages", { owner, ts: 1000, seq: seq - i, id: `${owner}${i}`, from: "", expireAt: null, marker: null, packet: packet(`${owner} ${seq - i}`) });
        await db.put("counts", { owner, count, seq });
      }
      // As version 4 left it, every queue having its row (its check now reads the tallies: at version 4 there are none).
      await db.put("meta", { key: ROWS_COMPLETE, value: true });
    });
    expect((await rows(factory, "v4", "meta")).map((r) => (r as { key: string }).key)).toEqual([ROWS_COMPLETE]);
    const store = makeStore(new IndexedDBBackend({ factory, name: "v4" }), { now: () => 1000 });
    expect((await store.queues()).map((q) => `${q.owner}:${q.count}`).sort()).toEqual(["bob@localhost:2", "judy@localhost:1", "peggy@localhost:3"]);
    expect(await entries(factory, "v4")).toEqual([
      { owner: "bob@localhost", count: 2, seq: 5 },
      { owner: "judy@localhost", count: 1, seq: 9 },
      { owner: "peggy@localhost", count: 3, seq: 3 },
    ]);
    expect(await rawDb(factory, "v4", async (db) => [...db.objectStoreNames])).not.toContain("counts");
    expect((await rows(factory, "v4", "meta")).map((r) => (r as { key: string }).key)).toEqual([ROWS_COMPLETE]);
    // Writes continue above each queue's sequence.
    await store.write([chat("judy@localhost", "next")]);
    expect(bodies(await store.list("judy@localhost"))).toEqual(["judy@localhost 9", "next"]);
    expect((await entries(factory, "v4"))[1]).toEqual({ owner: "judy@localhost", count: 2, seq: 10 });
    await store.close();
  });

  it("a key already taken fails the write and replaces nothing (add, not put)", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "c" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "first")]);
    // A count entry whose sequence went back: the next key is the one taken.
    const row: TallyRow = { shard: shardOf("bob@localhost"), queues: new Map([["bob@localhost", { count: 1, seq: 0 }]]) };
    await rawDb(factory, "c", (db) => db.put("tallies" as never, row as never));
    await expect(store.write([chat("bob@localhost", "second")])).rejects.toThrow();
    expect(bodies(await store.list("bob@localhost"))).toEqual(["first"]);
    await store.close();
  });

  it("a queue whose count entry was dropped at quota before a restart is still listed by queues()", async () => {
    const factory = new IDBFactory();
    const first = makeStore(new IndexedDBBackend({ factory, name: "q" }), { now: () => 1000 });
    await first.write([chat("bob@localhost", "one"), chat("bob@localhost", "two"), chat("carol@localhost", "three")]);
    await first.close();
    await dropRow(factory, "q", "bob@localhost");
    // A new run (a restarted worker) knows nothing of the dropped row.
    const second = makeStore(new IndexedDBBackend({ factory, name: "q" }), { now: () => 1000 });
    const queues = (await second.queues()).map((q) => `${q.owner}:${q.count}`).sort();
    expect(queues).toEqual(["bob@localhost:2", "carol@localhost:1"]);
    await second.close();
  });

  it("a count entry lost (dropped at quota) is rebuilt from the keys: count and sequence above every key", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "r" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "first"), chat("bob@localhost", "second")]);
    // As a pass at quota drops it: the row, and the mark that every queue has one.
    await dropRow(factory, "r", "bob@localhost");
    expect(await store.count("bob@localhost")).toBe(2);
    await store.write([chat("bob@localhost", "third")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["first", "second", "third"]);
    expect(await entries(factory, "r")).toEqual([{ owner: "bob@localhost", count: 3, seq: 3 }]);
    await store.close();
  });

  it("a pass at quota that drops a count entry takes the mark away: a write rebuilds the entry from the keys; entries put back bring the mark back", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "m" });
    const store = makeStore(b, { now: () => 1000 });
    const mark = () => hasMark(factory, "m");
    await store.write([chat("bob@localhost", "1"), chat("bob@localhost", "2"), chat("bob@localhost", "3")]);
    expect(await mark()).toBe(true);
    // The next pop's first pass hits the quota (its retry deletes only); putting the row back fails too.
    const disk = Object.assign(quota(b), { full: true, settleRefused: true });
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["1"]);
    expect(await entries(factory, "m")).toEqual([]);
    expect(await mark()).toBe(false);
    // All three at one ms: a row started at zero would give "4" the key "1" had, before "2" and "3".
    await store.write([chat("bob@localhost", "4")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["2", "3", "4"]);
    expect(await entries(factory, "m")).toEqual([{ owner: "bob@localhost", count: 3, seq: 4 }]);
    expect(await mark()).toBe(false); // a write does not scan the queues
    // The next pass at quota puts its rows back, finds none missing, and marks it.
    Object.assign(disk, { full: true, settleRefused: false });
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["2"]);
    expect(await entries(factory, "m")).toEqual([{ owner: "bob@localhost", count: 2, seq: 4 }]);
    expect(await mark()).toBe(true);
    await store.close();
  });

  it("a pop and an ack keep the queue's entry: queues() lists what is left, the limit counts it, the sequence goes on", async () => {
    const factory = new IDBFactory();
    const limit = { access: { max_user_offline_messages: [{ acl: "all" as const, value: 4 }] } };
    const store = makeStore(new IndexedDBBackend({ factory, name: "k" }), { now: () => 1000, ...limit });
    await store.write(["1", "2", "3", "4"].map((b) => chat("bob@localhost", b)));
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["1"]);
    // Each step's own entry (a lost one would be rebuilt from the keys by the next step, hiding the loss).
    expect(await entries(factory, "k")).toEqual([{ owner: "bob@localhost", count: 3, seq: 4 }]);
    const [peeked] = await store.peek("bob@localhost", 1);
    expect(await store.ack("bob@localhost", [peeked!.key])).toBe(1);
    expect(await entries(factory, "k")).toEqual([{ owner: "bob@localhost", count: 2, seq: 4 }]);
    expect((await store.queues()).map((q) => `${q.owner}:${q.count}`)).toEqual(["bob@localhost:2"]);
    // Two more fit under the limit of 4, the next does not; all at one ms, in the sequence's order.
    expect((await store.write([chat("bob@localhost", "5"), chat("bob@localhost", "6")])).map((r) => r.status)).toEqual(["stored", "stored"]);
    expect((await store.write([chat("bob@localhost", "7")]))[0]!.status).toBe("bounced");
    expect(bodies(await store.list("bob@localhost"))).toEqual(["3", "4", "5", "6"]);
    await store.close();
  });

  it("a chat marker that replaces the stored one keeps the count and moves the sequence on", async () => {
    const factory = new IDBFactory();
    const limit = { access: { max_user_offline_messages: [{ acl: "all" as const, value: 2 }] } };
    const store = makeStore(new IndexedDBBackend({ factory, name: "mk" }), { now: () => 1000, ...limit });
    const marker = (id: string) => chat("bob@localhost", undefined, `<received xmlns='urn:xmpp:chat-markers:0' id='${id}'/>`);
    await store.write([marker("a"), chat("bob@localhost", "first")]); // the queue at its limit of 2
    expect((await store.write([marker("b")]))[0]!.status).toBe("stored"); // replaces "a": still at the limit, not over it
    expect(await entries(factory, "mk")).toEqual([{ owner: "bob@localhost", count: 2, seq: 3 }]);
    // At the same ms, the next message needs a sequence above the marker's (one pop makes room).
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["first"]);
    await store.write([chat("bob@localhost", "after")]);
    expect((await store.list("bob@localhost")).map((m) => /id='([ab])'|<body>(after)</.exec(m.stanza.replace(/"/g, "'"))?.slice(1).find(Boolean))).toEqual(["b", "after"]);
    await store.close();
  });

  it("a write to 1,000 queues reads and puts each row of tallies once, at most SHARDS of each, and reads the mark only for new queues", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "many" }));
    await store.write([chat("bob@localhost")]); // opened before counting
    // Requests per object store, counted on fake-indexeddb's object store.
    const calls = new Map<string, number>();
    const original = { get: FakeObjectStore.prototype.get, put: FakeObjectStore.prototype.put, getAllKeys: FakeObjectStore.prototype.getAllKeys };
    const spies = (["get", "put", "getAllKeys"] as const).map((op) =>
      vi.spyOn(FakeObjectStore.prototype, op).mockImplementation(function (this: IDBObjectStore, ...args: unknown[]) {
        // The mark's reads apart from meta's others (the metrics flush reads "metrics").
        const what = this.name === "meta" ? `meta ${op} ${String(args[0])}` : `${this.name} ${op}`;
        calls.set(what, (calls.get(what) ?? 0) + 1);
        return (original[op] as (...a: unknown[]) => IDBRequest).apply(this, args);
      }),
    );
    const writeAll = async () => {
      calls.clear();
      const results = await store.write(Array.from({ length: 1000 }, (_, i) => chat(`peer${i}@localhost`)));
      expect(results.every((r) => r.status === "stored")).toBe(true);
      return Object.fromEntries(calls);
    };
    try {
      // New queues: the mark is read once, and no queue's keys (every queue has its entry).
      const first = await writeAll();
      expect(first["tallies get"]).toBeGreaterThan(0);
      expect(first["tallies get"]).toBeLessThanOrEqual(SHARDS);
      expect(first["tallies put"]).toBeLessThanOrEqual(SHARDS);
      expect(first[`meta get ${ROWS_COMPLETE}`]).toBe(1);
      expect(first["messages getAllKeys"]).toBeUndefined();
      // The same queues again: each has its entry, so the mark is not read at all.
      const second = await writeAll();
      expect(second["tallies get"]).toBeLessThanOrEqual(SHARDS);
      expect(second[`meta get ${ROWS_COMPLETE}`]).toBeUndefined();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect((await entries(factory, "many")).length).toBe(1001);
    await store.close();
  });

  it("at quota, a row shared by two queues is dropped whole: both are counted from their keys, and both come back", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "shared" });
    const store = makeStore(b, { now: () => 1000 });
    const [JUDY, PEGGY] = ["judy@localhost", "peggy@localhost"];
    expect(shardOf(JUDY)).toBe(shardOf(PEGGY));
    await store.write([chat(JUDY, "j1"), chat(JUDY, "j2"), chat(PEGGY, "p1"), chat(PEGGY, "p2"), chat(PEGGY, "p3")]);
    const disk = Object.assign(quota(b), { full: true, settleRefused: true });
    // judy's pop drops the row; putting the entries back fails too.
    expect(bodies(await store.pop(JUDY, 1))).toEqual(["j1"]);
    expect(await entries(factory, "shared")).toEqual([]);
    // peggy lost her entry without a pop of hers: her count and her place in queues() come from her keys.
    expect(await store.count(PEGGY)).toBe(3);
    expect((await store.queues()).map((q) => `${q.owner}:${q.count}`).sort()).toEqual([`${JUDY}:1`, `${PEGGY}:3`]);
    await store.write([chat(PEGGY, "p4")]);
    expect(bodies(await store.list(PEGGY))).toEqual(["p1", "p2", "p3", "p4"]);
    // The next pass at quota puts back every entry the row held.
    Object.assign(disk, { full: true, settleRefused: false });
    expect(bodies(await store.pop(PEGGY, 1))).toEqual(["p1"]);
    expect(await entries(factory, "shared")).toEqual([
      { owner: JUDY, count: 1, seq: 2 },
      { owner: PEGGY, count: 3, seq: 4 },
    ]);
    expect(await hasMark(factory, "shared")).toBe(true);
    await store.close();
  });

  it("a pass that throws part-way is aborted whole: no message deleted without its count, none popped and lost", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "throw" });
    const store = makeStore(b, { now: () => 1000 });
    await store.write([chat("bob@localhost", "1"), chat("bob@localhost", "2")]);
    // A fault after the pop's deletes and count change were asked for, before its commit.
    const inner = b as unknown as { addMetrics: (...a: unknown[]) => Promise<void> };
    const addMetrics = inner.addMetrics.bind(b);
    let fail = true;
    inner.addMetrics = (...a) => (fail ? ((fail = false), Promise.reject(new Error("fault"))) : addMetrics(...a));
    await expect(store.pop("bob@localhost", 1)).rejects.toThrow("fault");
    expect(bodies(await store.list("bob@localhost"))).toEqual(["1", "2"]);
    expect(await entries(factory, "throw")).toEqual([{ owner: "bob@localhost", count: 2, seq: 2 }]);
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["1"]);
    await store.close();
  });

  it("a dead letter put back into a queue that started its sequence again keeps the sequence above it", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "revive" });
    const store = makeStore(b, { now: () => 1000 });
    await store.write([chat("bob@localhost", "a"), chat("bob@localhost", "b")]);
    const [, second] = await store.peek("bob@localhost");
    expect(await store.bury("bob@localhost", second!.key, { type: "cancel", condition: "item-not-found" })).toBe(true);
    expect(bodies(await store.pop("bob@localhost"))).toEqual(["a"]); // empty: the next write starts the sequence again
    await store.write([chat("bob@localhost", "c")]);
    expect(await store.retryDead("bob@localhost", [second!.key])).toBe(1);
    // At the same ms, the next key must be above the letter's.
    expect((await store.write([chat("bob@localhost", "d"), chat("carol@localhost", "x")])).map((r) => r.status)).toEqual(["stored", "stored"]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["c", "b", "d"]);
    expect((await entries(factory, "revive"))[0]).toEqual({ owner: "bob@localhost", count: 3, seq: 3 });
    await store.close();
  });

  it("a pass at quota that drops a shared row puts back every queue of it, and the mark, when it can", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "back" });
    const store = makeStore(b, { now: () => 1000 });
    const [JUDY, PEGGY] = ["judy@localhost", "peggy@localhost"];
    await store.write([chat(JUDY, "j1"), chat(JUDY, "j2"), chat(PEGGY, "p1")]);
    quota(b).full = true; // the pop's first pass is refused; putting back is allowed
    expect(bodies(await store.pop(JUDY, 1))).toEqual(["j1"]);
    expect(await entries(factory, "back")).toEqual([
      { owner: JUDY, count: 1, seq: 2 },
      { owner: PEGGY, count: 1, seq: 1 },
    ]);
    expect(await hasMark(factory, "back")).toBe(true);
    await store.close();
  });

  it("another backend on the same database lists the queues a pass at quota dropped, with their counts", async () => {
    const factory = new IDBFactory();
    const [a, other] = [new IndexedDBBackend({ factory, name: "two" }), new IndexedDBBackend({ factory, name: "two" })];
    const [tabA, tabB] = [makeStore(a, { now: () => 1000 }), makeStore(other, { now: () => 1000 })];
    const [JUDY, PEGGY] = ["judy@localhost", "peggy@localhost"];
    await tabA.write([chat(JUDY, "j1"), chat(PEGGY, "p1"), chat(PEGGY, "p2")]);
    expect(await tabB.queues()).toHaveLength(2); // tab B has looked before
    Object.assign(quota(a), { full: true, settleRefused: true });
    expect(await tabA.removeUser(JUDY)).toBe(1); // drops the row judy shared with peggy; nothing put back
    expect(await entries(factory, "two")).toEqual([]);
    expect((await tabB.queues()).map((q) => `${q.owner}:${q.count}`)).toEqual([`${PEGGY}:2`]);
    await Promise.all([tabA.close(), tabB.close()]);
  });

  it("without the mark, one write to a queue with an entry and to one without rebuilds the second from its keys", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "mixed" }), { now: () => 1000 });
    const [BOB, CAROL] = ["bob@localhost", "carol@localhost"];
    expect(shardOf(BOB)).not.toBe(shardOf(CAROL));
    await store.write([chat(BOB, "b1"), chat(CAROL, "c1"), chat(CAROL, "c2")]);
    // As a pass at quota leaves it: carol's row dropped, and the mark with it.
    await dropRow(factory, "mixed", CAROL);
    // bob's entry is there; carol's must not start at zero (at one ms, her next key would be one she has).
    await store.write([chat(BOB, "b2"), chat(CAROL, "c3")]);
    expect(bodies(await store.list(CAROL))).toEqual(["c1", "c2", "c3"]);
    expect(await entries(factory, "mixed")).toEqual([
      { owner: BOB, count: 2, seq: 2 },
      { owner: CAROL, count: 3, seq: 3 },
    ]);
    await store.close();
  });

  it("queues() lists a queue whose entry was dropped at quota once, even when a write rebuilt it, and not once it is empty", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "once" });
    const store = makeStore(b, { now: () => 1000 });
    await store.write([chat("bob@localhost", "1"), chat("bob@localhost", "2")]);
    Object.assign(quota(b), { full: true, settleRefused: true });
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["1"]);
    await store.write([chat("bob@localhost", "3")]); // rebuilds bob's entry; he is still among the queues to put back
    expect((await store.queues()).map((q) => `${q.owner}:${q.count}`)).toEqual(["bob@localhost:2"]);
    expect(bodies(await store.pop("bob@localhost"))).toEqual(["2", "3"]);
    expect(await store.queues()).toEqual([]);
    await store.close();
  });

  it("a schema-3 database gets the mark at the upgrade only if every queue has its count row", async () => {
    const makeV3 = async (name: string, withRow: boolean) => {
      const factory = new IDBFactory();
      await oldDatabase(factory, name, 3, async (db) => {
        await db.put("messages", { owner: "bob@localhost", ts: 1, seq: 1, id: "i", from: "", expireAt: null, marker: null, packet: "<message/>" });
        if (withRow) await db.put("counts", { owner: "bob@localhost", count: 1, seq: 1 });
      });
      return factory;
    };
    for (const withRow of [true, false]) {
      const factory = await makeV3("u", withRow);
      const store = makeStore(new IndexedDBBackend({ factory, name: "u" }));
      expect(await store.count("bob@localhost")).toBe(1); // opens, and upgrades
      expect((await rows(factory, "u", "meta")).map((r) => (r as { key: string }).key)).toEqual(withRow ? [ROWS_COMPLETE] : []);
      await store.close();
    }
  });
});
