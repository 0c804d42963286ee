import { describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { openDB, type IDBPDatabase } from "idb";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { ROWS_COMPLETE, upgrade, type OfflineDB } from "../../src/storage/schema.ts";
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

/** Every record of one object store of a database, read with plain idb. */
function rows(factory: IDBFactory, name: string, store: string): Promise<unknown[]> {
  return rawDb(factory, name, (db) => db.getAll(store as never));
}

describe("IndexedDB writes (issue 11)", () => {
  it("a write touches messages and counts only: metrics reach the store by the flush", async () => {
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

  it("each queue keeps its own sequence in its count row", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "s" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "1"), chat("carol@localhost", "2"), chat("bob@localhost", "3")]);
    await store.write([chat("bob@localhost", "4")]);
    expect(await rows(factory, "s", "counts")).toEqual([
      { owner: "bob@localhost", count: 3, seq: 3 },
      { owner: "carol@localhost", count: 1, seq: 1 },
    ]);
    // One ms for all: the order is the sequence's.
    expect(bodies(await store.pop("bob@localhost"))).toEqual(["1", "3", "4"]);
    await store.close();
  });

  it("a queue of a database written by the global sequence continues above it", async () => {
    const factory = new IDBFactory();
    const old = makeStore(new IndexedDBBackend({ factory, name: "l" }), { now: () => 1000 });
    await old.write([chat("bob@localhost", "old")]);
    await old.close();
    // Make it look as schema 1 left it: count row without seq, records numbered by meta "seq".
    await rawDb(factory, "l", async (db) => {
      const tx = db.transaction(["messages", "counts", "meta"], "readwrite");
      const [rec] = (await tx.objectStore("messages").getAll()) as Array<{ owner: string; ts: number; seq: number }>;
      await tx.objectStore("messages").delete([rec!.owner, rec!.ts, rec!.seq]);
      await tx.objectStore("messages").put({ ...rec!, seq: 7 });
      await tx.objectStore("counts").put({ owner: "bob@localhost", count: 1 });
      await tx.objectStore("meta").put({ key: "seq", value: 7 });
      await tx.done;
    });
    const store = makeStore(new IndexedDBBackend({ factory, name: "l" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "new")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["old", "new"]);
    expect((await rows(factory, "l", "counts"))[0]).toEqual({ owner: "bob@localhost", count: 2, seq: 8 });
    await store.close();
  });

  it("a key already taken fails the write and replaces nothing (add, not put)", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "c" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "first")]);
    // A count row whose sequence went back: the next key is the one taken.
    await rawDb(factory, "c", (db) => db.put("counts" as never, { owner: "bob@localhost", count: 1, seq: 0 } as never));
    await expect(store.write([chat("bob@localhost", "second")])).rejects.toThrow();
    expect(bodies(await store.list("bob@localhost"))).toEqual(["first"]);
    await store.close();
  });

  it("a queue whose count row was dropped at quota before a restart is still listed by queues()", async () => {
    const factory = new IDBFactory();
    const first = makeStore(new IndexedDBBackend({ factory, name: "q" }), { now: () => 1000 });
    await first.write([chat("bob@localhost", "one"), chat("bob@localhost", "two"), chat("carol@localhost", "three")]);
    await first.close();
    await rawDb(factory, "q", (db) => db.delete("counts" as never, "bob@localhost"));
    // A new run (a restarted worker) knows nothing of the dropped row.
    const second = makeStore(new IndexedDBBackend({ factory, name: "q" }), { now: () => 1000 });
    const queues = (await second.queues()).map((q) => `${q.owner}:${q.count}`).sort();
    expect(queues).toEqual(["bob@localhost:2", "carol@localhost:1"]);
    await second.close();
  });

  it("a count row lost (dropped at quota) is rebuilt from the keys: count and sequence above every key", async () => {
    const factory = new IDBFactory();
    const store = makeStore(new IndexedDBBackend({ factory, name: "r" }), { now: () => 1000 });
    await store.write([chat("bob@localhost", "first"), chat("bob@localhost", "second")]);
    // As a pass at quota drops it: the row, and the mark that every queue has one.
    await rawDb(factory, "r", async (db) => {
      await db.delete("counts" as never, "bob@localhost");
      await db.delete("meta" as never, ROWS_COMPLETE);
    });
    expect(await store.count("bob@localhost")).toBe(2);
    await store.write([chat("bob@localhost", "third")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["first", "second", "third"]);
    expect((await rows(factory, "r", "counts"))[0]).toEqual({ owner: "bob@localhost", count: 3, seq: 3 });
    await store.close();
  });

  it("a pass at quota that drops a count row takes the mark away: a write rebuilds the row from the keys; rows put back bring the mark back", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, name: "m" });
    const store = makeStore(b, { now: () => 1000 });
    const mark = async () => (await rows(factory, "m", "meta")).some((r) => (r as { key: string }).key === ROWS_COMPLETE);
    await store.write([chat("bob@localhost", "1"), chat("bob@localhost", "2"), chat("bob@localhost", "3")]);
    expect(await mark()).toBe(true);
    // The next pop's first pass hits the quota (its retry deletes only); putting the row back fails too.
    type Private = { pop: (...a: unknown[]) => Promise<unknown>; settle: (owners: Set<string>) => Promise<void> };
    const inner = b as unknown as Private;
    const [pop, settle] = [inner.pop.bind(b), inner.settle.bind(b)];
    let full = true;
    inner.pop = async (...a) => {
      if (full) return (full = false), Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"));
      return pop(...a);
    };
    inner.settle = () => Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"));
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["1"]);
    expect(await rows(factory, "m", "counts")).toEqual([]);
    expect(await mark()).toBe(false);
    // All three at one ms: a row started at zero would give "4" the key "1" had, before "2" and "3".
    await store.write([chat("bob@localhost", "4")]);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["2", "3", "4"]);
    expect(await rows(factory, "m", "counts")).toEqual([{ owner: "bob@localhost", count: 3, seq: 4 }]);
    expect(await mark()).toBe(false); // a write does not scan the queues
    // The next pass at quota puts its rows back, finds none missing, and marks it.
    inner.settle = settle;
    full = true;
    expect(bodies(await store.pop("bob@localhost", 1))).toEqual(["2"]);
    expect(await rows(factory, "m", "counts")).toEqual([{ owner: "bob@localhost", count: 2, seq: 4 }]);
    expect(await mark()).toBe(true);
    await store.close();
  });

  it("a schema-3 database gets the mark at the upgrade only if every queue has its count row", async () => {
    const makeV3 = async (name: string, withRow: boolean) => {
      const factory = new IDBFactory();
      const saved = globalThis.indexedDB;
      globalThis.indexedDB = factory;
      try {
        const db = await openDB<OfflineDB>(name, 3, { upgrade: (d, old, _n, tx) => upgrade(d, old, tx, 3) });
        await db.put("messages", { owner: "bob@localhost", ts: 1, seq: 1, id: "i", from: "", expireAt: null, marker: null, packet: "<message/>" });
        if (withRow) await db.put("counts", { owner: "bob@localhost", count: 1, seq: 1 });
        db.close();
      } finally {
        globalThis.indexedDB = saved;
      }
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
