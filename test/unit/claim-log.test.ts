// The claims store's log (src/storage/claims/indexeddb.ts) on fake-indexeddb: stores that
// share a database (two tabs) see each other's writes, compaction keeps the log short
// without losing a record, and a failed transaction leaves nothing behind.
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { IdbClaimRecords } from "../../src/storage/claims/indexeddb.ts";
import { MemoryClaimRecords } from "../../src/storage/claims/memory.ts";
import type { ClaimKey, ClaimRecord, ClaimWrites } from "../../src/storage/claims/records.ts";

const open: IdbClaimRecords[] = [];
afterEach(() => open.splice(0).forEach((r) => r.close()));

function store(name: string, maxPerScope = 100_000): IdbClaimRecords {
  const r = new IdbClaimRecords(name, { maxPerScope });
  open.push(r);
  return r;
}

const rec = (id: string, holder?: string): ClaimRecord => ({ scope: "s", id, at: 1, ...(holder && { holder }) });

/** What a store reads at `ids` now (null where none). */
async function read(r: IdbClaimRecords, ids: string[]): Promise<Array<string | null>> {
  let found: Array<ClaimRecord | undefined> = [];
  await r.transact([], ids.map((id): ClaimKey => ["s", id]), (f) => ((found = f), null));
  return found.map((x) => (x ? `${x.id}:${x.holder ?? "handed"}` : null));
}

const write = (r: IdbClaimRecords, writes: Partial<ClaimWrites>) => r.transact([], [], () => ({ put: [], delete: [], ...writes }));

/** The entries of the log, as kinds: "w<records>" for writes, "s<records>" for a snapshot. */
async function logOf(name: string): Promise<string[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const all = await new Promise<Array<{ writes?: ClaimWrites[]; snapshot?: ClaimRecord[] }>>((resolve, reject) => {
    const req = db.transaction("log").objectStore("log").getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  db.close();
  return all.map((e) => (e.snapshot ? `s${e.snapshot.length}` : `w${e.writes!.reduce((n, w) => n + w.put.length + w.delete.length, 0)}`));
}

describe("claims log", () => {
  it("two stores on one database (two tabs) each decide on what the other wrote", async () => {
    const name = `log-${crypto.randomUUID()}`;
    const [a, b] = [store(name), store(name)];
    await write(a, { put: [rec("x", "A")] });
    expect(await read(b, ["x", "y"])).toEqual(["x:A", null]);
    await b.transact([rec("x")], [["s", "y"]], () => ({ put: [rec("y", "B")], delete: [] }));
    expect(await read(a, ["x", "y"])).toEqual(["x:handed", "y:B"]);
    await write(a, { delete: [["s", "y"]] });
    expect(await read(b, ["x", "y"])).toEqual(["x:handed", null]);
    // One entry per transaction that wrote: a's claim, b's mark and claim, a's delete.
    expect(await logOf(name)).toEqual(["s0", "w1", "w2", "w1"]);
  });

  it("compaction: a long log becomes one snapshot; a store that was behind reads it and loses nothing", async () => {
    const name = `log-${crypto.randomUUID()}`;
    const [a, b] = [store(name), store(name)];
    expect(await read(b, ["i0"])).toEqual([null]); // b is now behind everything a writes next
    const ids = Array.from({ length: 1500 }, (_, i) => `i${i}`);
    for (let i = 0; i < ids.length; i += 100) await write(a, { put: ids.slice(i, i + 100).map((id) => rec(id, "A")) });
    const log = await logOf(name);
    expect(log.length).toBeLessThan(8); // a snapshot and a short tail, not 16 entries
    expect(log.filter((e) => e.startsWith("s"))).toHaveLength(1);
    expect((await read(b, ids)).filter((x) => x === null)).toEqual([]);
    expect(await read(store(name), [ids[0]!, ids[1499]!])).toEqual(["i0:A", "i1499:A"]); // a new tab, from scratch
  });

  it("a transaction that fails writes nothing, in the log or in the store's own view", async () => {
    const name = `log-${crypto.randomUUID()}`;
    const [a, b] = [store(name), store(name)];
    await expect(
      a.transact([rec("m")], [["s", "n"]], () => {
        throw new Error("decide failed");
      }),
    ).rejects.toThrow("decide failed");
    expect(await read(a, ["m"])).toEqual([null]);
    expect(await read(b, ["m"])).toEqual([null]);
    await write(a, { put: [rec("n", "A")] });
    expect(await read(b, ["m", "n"])).toEqual([null, "n:A"]);
  });

  it("property: stores sharing a database (tabs opened at any time) read what one store in memory would, whatever the order", async () => {
    const key = fc.tuple(fc.constantFrom("s", "t"), fc.nat(24).map((n) => `id${n}`));
    const op = fc.record({
      who: fc.nat(3),
      before: fc.array(key, { maxLength: 4 }),
      keys: fc.array(key, { maxLength: 6 }),
      put: fc.array(fc.tuple(key, fc.constantFrom(undefined, "A", "B")), { minLength: 20, maxLength: 60, size: "max" }),
      del: fc.array(key, { maxLength: 4 }),
      decline: fc.boolean(),
    });
    await fc.assert(
      // Long enough that the log is compacted (past 1,024 records) in most runs.
      fc.asyncProperty(fc.array(op, { minLength: 30, maxLength: 60, size: "max" }), async (ops) => {
        const name = `log-${crypto.randomUUID()}`;
        const tabs: IdbClaimRecords[] = [];
        const model = new MemoryClaimRecords({ maxPerScope: 8 });
        let at = 0;
        const record = ([scope, id]: [string, string], holder?: string): ClaimRecord => ({ scope, id, at: ++at, ...(holder && { holder }) });
        try {
          for (const o of ops) {
            const tab = (tabs[o.who] ??= new IdbClaimRecords(name, { maxPerScope: 8 }));
            const before = o.before.map((k) => record(k));
            const writes: ClaimWrites | null = o.decline ? null : { put: o.put.map(([k, h]) => record(k, h)), delete: o.del };
            let got: unknown;
            let want: unknown;
            await tab.transact(before, o.keys, (f) => ((got = f), writes));
            await model.transact(before, o.keys, (f) => ((want = f), writes));
            expect(got).toEqual(want);
          }
        } finally {
          tabs.forEach((t) => t.close());
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
    );
  }, 120_000);

  it("a store closed in the middle of its transaction (the browser closed the connection) reads the whole log again after", async () => {
    const name = `log-${crypto.randomUUID()}`;
    const a = store(name);
    await write(a, { put: [rec("x", "A")] });
    await a.transact([], [], () => {
      a.close(); // as a versionchange or the browser's close would, between two of its requests
      return { put: [rec("y", "A")], delete: [] };
    });
    expect(await read(a, ["x", "y"])).toEqual(["x:A", "y:A"]);
  });
});
