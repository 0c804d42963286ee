import { openDB, type IDBPDatabase, type IDBPTransaction } from "idb";
import { tallied, type OfflineBackend, type QueueInfo, type ReadOptions, type ReadResult, type WriteGroup } from "../core/backend.ts";
import { emptySnapshot, mergeSnapshot, type MetricsSnapshot } from "../core/metrics.ts";
import type { DeadLetter, StanzaErrorData } from "../core/dead-letter.ts";
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
const ALL = ["messages", "counts", "meta"] as const;

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

  constructor(private readonly options: IndexedDBBackendOptions = {}) {
    this.name = options.name ?? "offline-edge";
    this.batch = options.batchSize ?? 200;
  }

  /** Opens lazily and reopens after a newer version (another tab or worker) made us close. */
  private db(): Promise<IDBPDatabase<OfflineDB>> {
    this.dbPromise ??= this.open();
    return this.dbPromise;
  }

  private open(): Promise<IDBPDatabase<OfflineDB>> {
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

  async write(groups: WriteGroup[], metrics?: MetricsSnapshot): Promise<boolean[]> {
    const tx = await this.tx(this.options.writeDurability ?? "strict");
    const owners = [...new Set(groups.map((g) => g.owner))];
    const countsStore = tx.objectStore("counts");
    const [counts, seqRec] = await Promise.all([
      Promise.all(owners.map((o) => countsStore.get(o))),
      tx.objectStore("meta").get("seq"),
    ]);
    const count = new Map(owners.map((o, i) => [o, counts[i]?.count ?? 0]));
    let seq = (seqRec?.value as number | undefined) ?? 0;
    let stored = 0;
    let refused = 0;
    const ok: boolean[] = [];
    for (const g of groups) {
      const replaced = await this.markerKeys(tx, g);
      const n = count.get(g.owner)!;
      const accept = n - replaced.length + g.records.length <= g.max;
      ok.push(accept);
      if (!accept) {
        refused += g.records.length;
        continue;
      }
      for (const k of replaced) void tx.objectStore("messages").delete(k);
      for (const r of g.records) void tx.objectStore("messages").put({ ...r, seq: ++seq });
      count.set(g.owner, n - replaced.length + g.records.length);
      stored += g.records.length;
    }
    // Only counters that changed; an empty queue has no counter row (as adjustCount keeps it).
    owners.forEach((owner, i) => {
      const c = count.get(owner)!;
      if (c === (counts[i]?.count ?? 0)) return;
      void (c > 0 ? countsStore.put({ owner, count: c }) : countsStore.delete(owner));
    });
    void tx.objectStore("meta").put({ key: "seq", value: seq });
    await this.addMetrics(tx, tallied(metrics, { stored, refused }));
    await tx.done;
    return ok;
  }

  // Keys of stored chat markers that this group's markers supersede.
  private async markerKeys(tx: Tx, g: WriteGroup): Promise<RecordKey[]> {
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
    let after: RecordKey | undefined = o.after;
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
    const c = ((await counts.get(owner))?.count ?? 0) + by;
    if (c > 0) void counts.put({ owner, count: c });
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

  async bury(key: RecordKey, error: StanzaErrorData, failedAt: number): Promise<string | null> {
    const tx = (await this.db()).transaction(["messages", "counts", "dead"], "readwrite");
    const record = await tx.objectStore("messages").get(key);
    if (record) {
      void tx.objectStore("messages").delete(key);
      void tx.objectStore("dead").put({ key, record, error: { ...error }, failedAt });
      const counts = tx.objectStore("counts");
      const c = ((await counts.get(key[0]))?.count ?? 0) - 1;
      void (c > 0 ? counts.put({ owner: key[0], count: c }) : counts.delete(key[0]));
    }
    await tx.done;
    return record?.id ?? null;
  }

  async deadLetters(owner?: string): Promise<DeadLetter[]> {
    const rows = await (await this.db()).getAll("dead", owner === undefined ? undefined : queueRange(owner));
    return rows.map(({ record, error, failedAt }) => ({ record, error, failedAt }));
  }

  async revive(keys: RecordKey[]): Promise<string[]> {
    return this.takeDead(keys, true);
  }

  async discard(keys: RecordKey[]): Promise<string[]> {
    return this.takeDead(keys, false);
  }

  private async takeDead(keys: RecordKey[], back: boolean): Promise<string[]> {
    const tx = (await this.db()).transaction(["messages", "counts", "dead"], "readwrite");
    const dead = tx.objectStore("dead");
    const unique = [...new Map(keys.map((k) => [k.join("\u0000"), k])).values()];
    const rows = (await Promise.all(unique.map((k) => dead.get(k)))).filter((r) => r !== undefined);
    const perOwner = new Map<string, number>();
    for (const row of rows) {
      void dead.delete(row.key);
      if (!back) continue;
      void tx.objectStore("messages").put(row.record);
      perOwner.set(row.record.owner, (perOwner.get(row.record.owner) ?? 0) + 1);
    }
    const counts = tx.objectStore("counts");
    for (const [owner, n] of perOwner) void counts.put({ owner, count: ((await counts.get(owner))?.count ?? 0) + n });
    await tx.done;
    return rows.map((r) => r.record.id);
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
