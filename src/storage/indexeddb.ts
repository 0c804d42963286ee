import { openDB, unwrap, type IDBPDatabase, type IDBPTransaction } from "idb";
import { tallied, type OfflineBackend, type QueueInfo, type ReadOptions, type ReadResult, type WriteGroup } from "../core/backend.ts";
import { emptySnapshot, mergeSnapshot, type MetricsSnapshot } from "../core/metrics.ts";
import type { OfflineRecord, RecordKey } from "../core/record.ts";
import { SCHEMA_VERSION, upgrade, type OfflineDB } from "./schema.ts";

export interface IndexedDBBackendOptions {
  /** Database name. Default `offline-edge`. */
  name?: string;
  /**
   * Durability of writes. Default `strict`: a stored message must survive a
   * crash, and group commit spreads the flush over many messages. Pops and
   * deletes always use `relaxed`: losing one re-delivers a message, which the
   * receiver drops by its origin-id, so nothing is lost either way.
   */
  writeDurability?: IDBTransactionDurability;
  /** Records per cursor batch when popping. Default 200. */
  batchSize?: number;
  /** The IndexedDB factory; default the global `indexedDB`. */
  factory?: IDBFactory;
}

type Tx = IDBPTransaction<OfflineDB, ("messages" | "counts" | "meta")[], "readwrite">;
type WriteTx = IDBPTransaction<OfflineDB, ("messages" | "counts")[], "readwrite">;
const ALL = ["messages", "counts", "meta"] as const;

type CountRow = OfflineDB["counts"]["value"];

/** The records at `keys`, in order (undefined where none), by plain requests under one promise. */
function getEach<T>(store: IDBObjectStore, keys: IDBValidKey[]): Promise<Array<T | undefined>> {
  const out = new Array<T | undefined>(keys.length);
  let left = keys.length;
  return new Promise((resolve, reject) => {
    if (left === 0) resolve(out);
    keys.forEach((k, i) => {
      const req = store.get(k);
      req.onsuccess = () => {
        out[i] = req.result as T | undefined;
        if (--left === 0) resolve(out);
      };
      req.onerror = () => reject(req.error);
    });
  });
}

function queueRange(owner: string, after?: RecordKey): IDBKeyRange {
  const upper = [owner, Infinity, Infinity];
  return after ? IDBKeyRange.bound(after, upper, true) : IDBKeyRange.bound([owner, -Infinity, -Infinity], upper);
}

/**
 * IndexedDB backend, through `idb` (our counterpart of mod_offline's rdbms
 * backend). The default. A write costs the same at any queue depth: the
 * limit check reads one counter record, updated in the same transaction.
 */
export class IndexedDBBackend implements OfflineBackend {
  readonly kind = "indexeddb";
  private dbPromise: Promise<IDBPDatabase<OfflineDB>> | null = null;
  private readonly name: string;
  private readonly batch: number;
  /** The database-wide sequence of schema 1 databases: where count rows without their own `seq` start. */
  private legacySeq = 0;

  constructor(private readonly options: IndexedDBBackendOptions = {}) {
    this.name = options.name ?? "offline-edge";
    this.batch = options.batchSize ?? 200;
  }

  /** Opens lazily and reopens after a newer version (another tab or worker) made us close. */
  private db(): Promise<IDBPDatabase<OfflineDB>> {
    this.dbPromise ??= this.open();
    return this.dbPromise;
  }

  private async open(): Promise<IDBPDatabase<OfflineDB>> {
    const db = await this.openDB();
    // Queues written before sequences moved to count rows continue above the old global one.
    this.legacySeq = ((await db.get("meta", "seq"))?.value as number | undefined) ?? 0;
    return db;
  }

  private openDB(): Promise<IDBPDatabase<OfflineDB>> {
    const factory = this.options.factory;
    const run = () =>
      openDB<OfflineDB>(this.name, SCHEMA_VERSION, {
        upgrade: (db, oldVersion, _new, tx) => upgrade(db, oldVersion, tx),
        // Let a newer schema in; we reopen (and so upgrade-check) on next use.
        blocking: () => this.close(),
        terminated: () => (this.dbPromise = null),
      });
    if (!factory) return run();
    // idb reads the global; swap it in for the open call only (Node tests).
    const saved = globalThis.indexedDB;
    globalThis.indexedDB = factory;
    try {
      return run();
    } finally {
      globalThis.indexedDB = saved;
    }
  }

  private async tx(durability: IDBTransactionDurability): Promise<Tx> {
    return (await this.db()).transaction([...ALL], "readwrite", { durability });
  }

  async write(groups: WriteGroup[]): Promise<boolean[]> {
    // Two stores: messages and counts. Metrics are persisted by the store's flush, not here.
    const tx = (await this.db()).transaction(["messages", "counts"], "readwrite", { durability: this.options.writeDurability ?? "strict" });
    const owners = [...new Set(groups.map((g) => g.owner))];
    // Plain requests, not idb's promise per request: a write of thousands of messages
    // would spend more on wrapping requests than on the requests themselves.
    const messages = unwrap(tx.objectStore("messages"));
    const counts = unwrap(tx.objectStore("counts"));
    // Each owner's count record, which also holds its queue's sequence: one read per owner and group commit.
    const before = await getEach<CountRow>(counts, owners);
    const rows = new Map(owners.map((o, i) => [o, { owner: o, count: before[i]?.count ?? 0, seq: before[i]?.seq ?? this.legacySeq }]));
    const ok: boolean[] = [];
    for (const g of groups) {
      const replaced = await this.markerKeys(tx, g);
      const row = rows.get(g.owner)!;
      const accept = row.count - replaced.length + g.records.length <= g.max;
      ok.push(accept);
      if (!accept) continue;
      for (const k of replaced) messages.delete(k);
      // add, not put: a key already taken fails the transaction rather than replace a message.
      for (const r of g.records) messages.add({ ...r, seq: ++row.seq });
      row.count += g.records.length - replaced.length;
    }
    // Only rows that changed; an empty queue has no count row (as adjustCount keeps it).
    owners.forEach((owner, i) => {
      const row = rows.get(owner)!;
      if (row.count === (before[i]?.count ?? 0) && row.seq === before[i]?.seq) return;
      if (row.count > 0) counts.put(row);
      else counts.delete(owner);
    });
    await tx.done;
    return ok;
  }

  // Keys of stored chat markers that this group's markers supersede.
  private async markerKeys(tx: WriteTx, g: WriteGroup): Promise<RecordKey[]> {
    const markers = g.records.filter((r) => r.marker !== null);
    if (!markers.length) return [];
    const index = tx.objectStore("messages").index("marker");
    const found = await Promise.all(markers.map((r) => index.getAllKeys([g.owner, r.marker!])));
    return found.flat();
  }

  private async addMetrics(tx: Tx, delta: MetricsSnapshot | undefined): Promise<void> {
    if (!delta) return;
    const meta = tx.objectStore("meta");
    const saved = (await meta.get("metrics"))?.value as MetricsSnapshot | undefined;
    void meta.put({ key: "metrics", value: mergeSnapshot(saved ?? emptySnapshot(), delta) });
  }

  async read(owner: string, o: ReadOptions, metrics?: MetricsSnapshot): Promise<ReadResult> {
    const tx = o.remove ? await this.tx("relaxed") : ((await this.db()).transaction([...ALL], "readonly") as unknown as Tx);
    const store = tx.objectStore("messages");
    const limit = o.limit ?? Infinity;
    const records: OfflineRecord[] = [];
    let expired = 0;
    let after: RecordKey | undefined;
    // Cursor batches: memory grows with what is returned, not with queue length.
    while (records.length < limit) {
      const page = await store.getAll(queueRange(owner, after), this.batch);
      let used = 0;
      for (const r of page) {
        if (records.length >= limit) break;
        used++;
        if (r.expireAt !== null && r.expireAt <= o.now) expired++;
        else records.push(r);
      }
      if (used === 0) break;
      const last = page[used - 1]!;
      const lastKey: RecordKey = [last.owner, last.ts, last.seq];
      if (o.remove) void store.delete(IDBKeyRange.bound(page[0] ? [owner, page[0].ts, page[0].seq] : lastKey, lastKey));
      after = lastKey;
      if (page.length < this.batch) break;
    }
    if (o.remove && records.length + expired > 0) {
      await this.adjustCount(tx, owner, -(records.length + expired));
      await this.addMetrics(tx, tallied(metrics, { popped: records.length, expired }));
    } else if (o.remove) await this.addMetrics(tx, metrics);
    await tx.done;
    return { records, expired };
  }

  private async adjustCount(tx: Tx, owner: string, by: number): Promise<void> {
    const counts = tx.objectStore("counts");
    const row = await counts.get(owner);
    const c = (row?.count ?? 0) + by;
    if (c > 0) void counts.put({ ...row, owner, count: c });
    else void counts.delete(owner);
  }

  async remove(owner: string, keys: RecordKey[], metrics?: MetricsSnapshot): Promise<string[]> {
    const tx = await this.tx("relaxed");
    const store = tx.objectStore("messages");
    // Each key once: a repeated key must not count a record twice.
    const mine = [...new Map(keys.filter((k) => k[0] === owner).map((k) => [k.join("\u0000"), k])).values()];
    const present = (await Promise.all(mine.map((k) => store.get(k)))).filter((r) => r !== undefined);
    for (const r of present) void store.delete([r.owner, r.ts, r.seq]);
    if (present.length) await this.adjustCount(tx, owner, -present.length);
    await this.addMetrics(tx, tallied(metrics, { popped: present.length }));
    await tx.done;
    return present.map((r) => r.id);
  }

  async count(owner: string): Promise<number> {
    return (await (await this.db()).get("counts", owner))?.count ?? 0;
  }

  async queues(): Promise<QueueInfo[]> {
    const db = await this.db();
    const tx = db.transaction(["counts", "messages"], "readonly");
    const counts = await tx.objectStore("counts").getAll();
    const firsts = await Promise.all(counts.map((c) => tx.objectStore("messages").getKey(queueRange(c.owner))));
    return counts.map((c, i) => ({ owner: c.owner, count: c.count, oldest: firsts[i]?.[1] ?? null }));
  }

  async removeUser(owner: string, metrics?: MetricsSnapshot): Promise<number> {
    const tx = await this.tx("relaxed");
    const n = (await tx.objectStore("counts").get(owner))?.count ?? 0;
    void tx.objectStore("messages").delete(queueRange(owner));
    void tx.objectStore("counts").delete(owner);
    await this.addMetrics(tx, metrics);
    await tx.done;
    return n;
  }

  async removeExpired(now: number, metrics?: MetricsSnapshot): Promise<number> {
    return this.removeByIndex("expireAt", IDBKeyRange.upperBound(now), (n) => tallied(metrics, { expired: n }));
  }

  async removeOlderThan(before: number, metrics?: MetricsSnapshot): Promise<number> {
    return this.removeByIndex("ts", IDBKeyRange.upperBound(before, true), () => metrics);
  }

  private async removeByIndex(
    index: "expireAt" | "ts",
    range: IDBKeyRange,
    metricsFor: (n: number) => MetricsSnapshot | undefined,
  ): Promise<number> {
    const tx = await this.tx("relaxed");
    const keys = await tx.objectStore("messages").index(index).getAllKeys(range);
    const perOwner = new Map<string, number>();
    for (const k of keys) {
      void tx.objectStore("messages").delete(k);
      perOwner.set(k[0], (perOwner.get(k[0]) ?? 0) + 1);
    }
    for (const [owner, n] of perOwner) await this.adjustCount(tx, owner, -n);
    await this.addMetrics(tx, metricsFor(keys.length));
    await tx.done;
    return keys.length;
  }

  async loadMetrics(): Promise<MetricsSnapshot> {
    const rec = await (await this.db()).get("meta", "metrics");
    return (rec?.value as MetricsSnapshot | undefined) ?? emptySnapshot();
  }

  async saveMetrics(delta: MetricsSnapshot): Promise<void> {
    const tx = await this.tx("relaxed");
    await this.addMetrics(tx, delta);
    await tx.done;
  }

  async loadSettings(): Promise<unknown> {
    return (await (await this.db()).get("meta", "settings"))?.value ?? null;
  }

  async saveSettings(settings: unknown): Promise<void> {
    await (await this.db()).put("meta", { key: "settings", value: settings });
  }

  close(): void {
    const p = this.dbPromise;
    this.dbPromise = null;
    void p?.then((db) => db.close()).catch(() => undefined);
  }
}
