import { describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { SHARDS, Tallies, shardOf, type TallyRow } from "../../src/storage/tallies.ts";
import { committed, result } from "../../src/storage/requests.ts";

/** A database holding only a `tallies` store, as schema v5 makes it. */
async function database(): Promise<IDBDatabase> {
  const open = new IDBFactory().open("t", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("tallies", { keyPath: "shard" });
  return result(open);
}

/** Runs `use` on the Tallies of one readwrite transaction, flushes them, and waits for the commit. */
async function inTransaction<T>(db: IDBDatabase, use: (t: Tallies) => Promise<T> | T): Promise<T> {
  const tx = db.transaction("tallies", "readwrite");
  const done = committed(tx);
  const tallies = new Tallies(tx.objectStore("tallies"));
  const out = await use(tallies);
  tallies.flush();
  await done;
  return out;
}

/** Sets these entries in one transaction. */
const seed = (db: IDBDatabase, entries: Array<[owner: string, count: number, seq: number]>) =>
  inTransaction(db, async (t) => {
    await t.load(entries.map(([owner]) => owner));
    for (const [owner, count, seq] of entries) t.set(owner, { count, seq });
  });

const rowsOf = (db: IDBDatabase) => result(db.transaction("tallies").objectStore("tallies").getAll()) as Promise<TallyRow[]>;

// judy and peggy share a row; bob has his own.
const [BOB, JUDY, PEGGY] = ["bob@localhost", "judy@localhost", "peggy@localhost"];

describe("shardOf: where a queue's entry lives (part of the stored layout)", () => {
  it("is FNV-1a (32 bits) modulo SHARDS: the published test vectors", () => {
    // From the FNV reference (draft-eastlake-fnv): "" 0x811c9dc5, "a" 0xe40c292c, "foobar" 0xbf9cf968.
    expect(["", "a", "foobar"].map(shardOf)).toEqual([0x811c9dc5 % SHARDS, 0xe40c292c % SHARDS, 0xbf9cf968 % SHARDS]);
  });

  it("gives the rows schema v5 wrote: changing the hash would need a migration", () => {
    expect([BOB, JUDY, PEGGY, "carol@localhost"].map(shardOf)).toEqual([17, 42, 42, 39]);
  });

  it("spreads 10,000 owners over every row, none with more than 1.5 times its share", () => {
    const perRow = new Array<number>(SHARDS).fill(0);
    for (let i = 0; i < 10_000; i++) perRow[shardOf(`peer${i}@localhost`)]!++;
    expect(Math.min(...perRow)).toBeGreaterThan(0);
    expect(Math.max(...perRow)).toBeLessThan((1.5 * 10_000) / SHARDS);
  });
});

describe("Tallies: one transaction's view of the rows", () => {
  it("reads each row once, whatever the number of owners in it, and writes only changed rows", async () => {
    const db = await database();
    await inTransaction(db, async (t) => {
      await t.load([BOB, JUDY, PEGGY]);
      t.set(BOB, { count: 2, seq: 2 });
      t.set(JUDY, { count: 1, seq: 1 });
      t.set(PEGGY, { count: 3, seq: 3 });
    });
    const rows = await rowsOf(db);
    expect(rows.map((r) => r.shard).sort((a, b) => a - b)).toEqual([17, 42]);
    expect(rows.find((r) => r.shard === 42)!.queues).toEqual(new Map([[JUDY, { count: 1, seq: 1 }], [PEGGY, { count: 3, seq: 3 }]]));
  });

  it("a count of zero removes the entry; a row left without entries is deleted, not stored empty", async () => {
    const db = await database();
    await seed(db, [[BOB, 1, 1], [JUDY, 1, 4]]);
    await inTransaction(db, async (t) => {
      await t.load([BOB, JUDY]);
      t.set(BOB, { count: 0, seq: 1 });
      t.set(JUDY, { count: 0, seq: 4 });
    });
    expect(await rowsOf(db)).toEqual([]);
  });

  it("a count of zero for an owner without an entry, or without a row, changes nothing", async () => {
    const db = await database();
    await seed(db, [[JUDY, 1, 1]]);
    await inTransaction(db, async (t) => {
      await t.load([BOB, PEGGY]);
      t.set(BOB, { count: 0, seq: 0 }); // no row
      t.set(PEGGY, { count: 0, seq: 0 }); // a row, no entry
    });
    expect(await rowsOf(db)).toEqual([{ shard: 42, queues: new Map([[JUDY, { count: 1, seq: 1 }]]) }]);
  });

  it("refuses to answer for a row it has not read in this transaction", async () => {
    const db = await database();
    await inTransaction(db, async (t) => {
      expect(() => t.entry(BOB)).toThrow(/row 17 was not read in this transaction/);
      expect(() => t.set(BOB, { count: 1, seq: 1 })).toThrow(/row 17 was not read/);
    });
    expect(await rowsOf(db)).toEqual([]);
  });

  it("drop (at quota) deletes the whole row and names every owner it held, and the one asked for", async () => {
    const db = await database();
    await seed(db, [[BOB, 1, 1], [JUDY, 2, 2]]);
    expect(await inTransaction(db, (t) => t.drop(PEGGY))).toEqual([JUDY, PEGGY]); // peggy had no entry there
    expect(await inTransaction(db, (t) => t.drop(JUDY))).toEqual([JUDY]); // the row is gone already
    expect((await rowsOf(db)).map((r) => r.shard)).toEqual([17]);
    // A change made earlier in the same transaction is not written back after the drop.
    await inTransaction(db, async (t) => {
      await t.load([BOB]);
      t.set(BOB, { count: 5, seq: 5 });
      expect(await t.drop(BOB)).toEqual([BOB]);
    });
    expect(await rowsOf(db)).toEqual([]);
  });
});
