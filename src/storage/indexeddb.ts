import { openDB, unwrap, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction } from "idb";
import { result } from "./requests.ts";
import { tallied, type OfflineBackend, type QueueInfo, type ReadOptions, type ReadResult, type WriteGroup } from "../core/backend.ts";
import { isQuotaError } from "../core/quota.ts";
import { emptySnapshot, mergeSnapshot, type MetricsSnapshot } from "../core/metrics.ts";
import type { DeadLetter, StanzaErrorData } from "../core/dead-letter.ts";
import { keyOf, type NewRecord, type OfflineRecord, type QuarantinedRecord, type RecordKey } from "../core/record.ts";
import { ROWS_COMPLETE, SCHEMA_VERSION, markRowsIfComplete, ownersWithoutEntry, upgrade, type OfflineDB } from "./schema.ts";
import { Tallies, type Tally } from "./tallies.ts";

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

type Tx = IDBPTransaction<OfflineDB, ("messages" | "tallies" | "meta" | "quarantine" | "dead")[], "readwrite">;
type ReadTx = IDBPTransaction<OfflineDB, ("messages" | "tallies")[], "readonly">;
type WriteTx = IDBPTransaction<OfflineDB, ("messages" | "tallies" | "meta")[], "readwrite">;
type MessageStore = IDBPObjectStore<OfflineDB, ("messages" | "tallies" | "meta" | "quarantine" | "dead")[], "messages", "readwrite">;

/**
 * The records stored under these keys (each key once). Keys a drain acks
 * are consecutive in their queue, so one range read over their span serves
 * where the span holds little else (at most twice as many records); else
 * one read per key. `span` is that range when it holds exactly these
 * records (one range delete then removes them all).
 */
async function presentRecords(store: MessageStore, keys: RecordKey[]): Promise<{ present: OfflineRecord[]; span: IDBKeyRange | null }> {
  if (keys.length > 1) {
    const sorted = [...keys].sort((a, b) => indexedDB.cmp(a, b));
    const cap = 2 * keys.length;
    const range = IDBKeyRange.bound(sorted[0]!, sorted.at(-1)!);
    const rows = await store.getAll(range, cap + 1);
    if (rows.length <= cap) {
      const wanted = new Set(keys.map((k) => k.join("\u0000")));
      const present = rows.filter((r) => wanted.has(keyOf(r).join("\u0000")));
      return { present, span: present.length === rows.length ? range : null };
    }
  }
  return { present: (await Promise.all(keys.map((k) => store.get(k)))).filter((r) => r !== undefined), span: null };
}
const ALL = ["messages", "tallies", "meta", "quarantine", "dead"] as const;

/**
 * Sends a request without awaiting it: the transaction's commit, or its
 * abort, reports the outcome. Its promise's rejection (every pending request
 * rejects when a transaction is aborted) is not left unhandled.
 */
function quiet(request: Promise<unknown>): void {
  request.catch(() => undefined);
}

/** How one transaction runs: normally, or deleting only (at quota), noting what to put back after. */
interface Pass {
  free: boolean;
  recount: Set<string>;
  metrics: MetricsSnapshot | undefined;
}
const NORMAL = (): Pass => ({ free: false, recount: new Set(), metrics: undefined });

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
  /** Metric deltas a deleting pass at quota could not save yet. */
  private held: MetricsSnapshot | null = null;
  /** The database-wide sequence of schema 1 databases: where count rows without their own `seq` start. */
  private legacySeq = 0;
  /** Queues whose count entry was dropped at quota and not yet put back by this backend: the next pass puts them back. */
  private readonly uncounted = new Set<string>();
  /** Each transaction's tallies (see tallies()). */
  private readonly talliesOf = new WeakMap<object, Tallies>();

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
    // Messages and tallies (and meta's one mark, read). Metrics are persisted by the store's flush, not here.
    const tx = (await this.db()).transaction(["messages", "tallies", "meta"], "readwrite", { durability: this.options.writeDurability ?? "strict" });
    return this.settled(tx, () => this.writeIn(tx, groups));
  }

  /** The body of {@link write}: per group, whether it was stored. */
  private async writeIn(tx: WriteTx, groups: WriteGroup[]): Promise<boolean[]> {
    const owners = [...new Set(groups.map((g) => g.owner))];
    // Plain requests, not idb's promise per request: a write of thousands of messages
    // would spend more on wrapping requests than on the requests themselves.
    const messages = unwrap(tx.objectStore("messages"));
    const tallies = this.tallies(tx);
    // Each owner's count and sequence: one read per row of tallies (tallies.ts), whatever the number of owners.
    await tallies.load(owners);
    // No entry: an empty queue while every queue has its entry (schema.ts, ROWS_COMPLETE); else
    // perhaps an entry dropped at quota, rebuilt from the queue's keys (and so put back below).
    // The mark is read only then: a write to queues that have entries makes one read, not two.
    const before = new Map(owners.map((o) => [o, tallies.entry(o)]));
    const complete = owners.every((o) => before.get(o)) || (await result(unwrap(tx.objectStore("meta")).get(ROWS_COMPLETE)));
    const rows = new Map<string, Tally>();
    for (const [o, t] of before) rows.set(o, t ? { ...t } : complete ? { count: 0, seq: this.legacySeq } : await this.entryFromKeys(tx, o));
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
    // Only entries that changed (an entry rebuilt from the keys is put back); an empty queue has none.
    for (const [owner, row] of rows) {
      const was = before.get(owner);
      if (!(was ? row.count === was.count && row.seq === was.seq : row.count === 0)) tallies.set(owner, row);
    }
    return ok;
  }

  /**
   * A count entry rebuilt from the queue's keys, for a queue without one: a
   * new queue, or one whose entry was dropped at quota. Its `seq` continues
   * above every key still there, so `add` never meets a taken key.
   */
  private async entryFromKeys(tx: Tx | WriteTx, owner: string): Promise<Tally> {
    const keys = await (tx as WriteTx).objectStore("messages").getAllKeys(queueRange(owner));
    const seq = keys.reduce((max, k) => Math.max(max, k[2]), this.legacySeq);
    return { count: keys.length, seq };
  }

  /** The tallies of one transaction: every count change in it goes through this one instance. */
  private tallies(tx: Tx | WriteTx | ReadTx): Tallies {
    let t = this.talliesOf.get(tx);
    if (!t) this.talliesOf.set(tx, (t = new Tallies(unwrap((tx as WriteTx).objectStore("tallies")))));
    return t;
  }

  /** Runs `body` in a new readwrite transaction over every store, ended by {@link settled}. */
  private async transact<T>(durability: IDBTransactionDurability, body: (tx: Tx) => Promise<T>): Promise<T> {
    const tx = await this.tx(durability);
    return this.settled(tx, () => body(tx));
  }

  /**
   * Ends a readwrite transaction once `body` is done: writes its changed
   * tallies, then waits for the commit. Every readwrite transaction ends
   * here. If `body` throws, the transaction is aborted: IndexedDB would
   * otherwise commit the requests made before the throw (deletes without
   * their count, or a pop's deletes with nothing returned).
   */
  private async settled<T>(tx: Tx | WriteTx, body: () => Promise<T>): Promise<T> {
    try {
      const out = await body();
      this.talliesOf.get(tx)?.flush();
      await tx.done;
      return out;
    } catch (e) {
      tx.done.catch(() => undefined); // its rejection is this error, or the abort below
      try {
        tx.abort();
      } catch {
        // committed or aborted already
      }
      throw e;
    }
  }


  // Keys of stored chat markers that this group's markers supersede.
  private async markerKeys(tx: WriteTx, g: WriteGroup): Promise<RecordKey[]> {
    const markers = g.records.filter((r) => r.marker !== null);
    if (!markers.length) return [];
    const index = tx.objectStore("messages").index("marker");
    const found = await Promise.all(markers.map((r) => index.getAllKeys([g.owner, r.marker!])));
    return found.flat();
  }

  /** Persists a metrics delta, and any held back at quota, in this transaction; at quota (a deleting pass) holds it back. */
  private async addMetrics(tx: Tx, pass: Pass, delta: MetricsSnapshot | undefined): Promise<void> {
    if (pass.free) {
      if (delta) pass.metrics = pass.metrics ? mergeSnapshot(pass.metrics, delta) : structuredClone(delta);
      return;
    }
    const held = this.held;
    if (!delta && !held) return;
    const meta = tx.objectStore("meta");
    const saved = ((await meta.get("metrics"))?.value as MetricsSnapshot | undefined) ?? emptySnapshot();
    if (held) mergeSnapshot(saved, held);
    quiet(meta.put({ key: "metrics", value: delta ? mergeSnapshot(saved, delta) : saved }));
    // Held metrics are saved once this transaction commits; if it aborts they stay held.
    if (held) tx.addEventListener("complete", () => this.held === held && (this.held = null));
  }

  async read(owner: string, o: ReadOptions, metrics?: MetricsSnapshot): Promise<ReadResult> {
    if (!o.remove) return this.readOnly(owner, o);
    return this.freeing((pass) => this.pop(pass, owner, o, metrics));
  }

  private async readOnly(owner: string, o: ReadOptions): Promise<ReadResult> {
    const store = (await this.db()).transaction("messages", "readonly").store;
    const limit = o.limit ?? Infinity;
    const records: OfflineRecord[] = [];
    let expired = 0;
    let after: RecordKey | undefined = o.after;
    while (records.length < limit) {
      const page = await store.getAll(queueRange(owner, after), this.batch);
      for (const r of page) {
        if (records.length >= limit) break;
        if (r.expireAt !== null && r.expireAt <= o.now) expired++;
        else records.push(r);
        after = keyOf(r);
      }
      if (page.length < this.batch) break;
    }
    return { records, expired };
  }

  // A pop: one transaction reads, moves unreadable records aside and deletes exactly what it returns.
  private async pop(pass: Pass, owner: string, o: ReadOptions, metrics?: MetricsSnapshot): Promise<ReadResult> {
    return this.transact("relaxed", async (tx) => {
      const store = tx.objectStore("messages");
      const limit = o.limit ?? Infinity;
      const records: OfflineRecord[] = [];
      let expired = 0;
      let gone = 0;
      const quarantined: string[] = [];
      let after: RecordKey | undefined;
      // Cursor batches: memory grows with what is returned, not with queue length.
      while (records.length < limit) {
        const page = await store.getAll(queueRange(owner, after), this.batch);
        let used = 0;
        let kept = 0; // unreadable records left in place (at quota, where nothing can be moved)
        for (const r of page) {
          if (records.length >= limit) break;
          used++;
          const why = o.unreadable && !(r.expireAt !== null && r.expireAt <= o.now) ? o.unreadable(r) : null;
          if (r.expireAt !== null && r.expireAt <= o.now) expired++;
          else if (why === null) records.push(r);
          else if (pass.free) kept++;
          else {
            quiet(tx.objectStore("quarantine").put({ ...r, reason: why, at: o.now }));
            quarantined.push(r.id);
          }
        }
        if (used === 0) break;
        const first = keyOf(page[0]!);
        const last = keyOf(page[used - 1]!);
        if (kept === 0) quiet(store.delete(IDBKeyRange.bound(first, last)));
        else for (const r of page.slice(0, used)) if (!o.unreadable!(r) || (r.expireAt !== null && r.expireAt <= o.now)) quiet(store.delete(keyOf(r)));
        gone += used - kept;
        after = last;
        if (page.length < this.batch) break;
      }
      if (gone > 0) await this.adjustCount(tx, pass, owner, -gone);
      await this.addMetrics(tx, pass, gone > 0 ? tallied(metrics, { popped: records.length, expired }) : metrics);
      return { records, expired, quarantined };
    });
  }

  /**
   * Changes a queue's count in this transaction's tallies (written when it
   * is settled), and raises its sequence to `seqAtLeast` (a key put back).
   */
  private async adjustCount(tx: Tx, pass: Pass, owner: string, by: number, seqAtLeast = 0): Promise<void> {
    const tallies = this.tallies(tx);
    // At quota a put would abort the transaction: drop the entries' row, its queues to be counted again from their keys.
    if (pass.free) {
      for (const o of await tallies.drop(owner)) pass.recount.add(o);
      quiet(tx.objectStore("meta").delete(ROWS_COMPLETE)); // a queue may now lack its entry
      return;
    }
    const t = await tallies.get(owner);
    // An entry dropped at quota: the keys, counted after this transaction's deletes, are the count.
    tallies.set(owner, t ? { count: t.count + by, seq: Math.max(t.seq, seqAtLeast) } : await this.entryFromKeys(tx, owner));
  }

  // A queue's count; a missing entry (dropped at quota) is counted from the keys.
  private async countIn(tx: Tx | ReadTx, owner: string): Promise<number> {
    const t = await this.tallies(tx).get(owner);
    return t ? t.count : (tx as ReadTx).objectStore("messages").count(queueRange(owner));
  }

  async remove(owner: string, keys: RecordKey[], metrics?: MetricsSnapshot): Promise<string[]> {
    return this.freeing((pass) =>
      this.transact("relaxed", async (tx) => {
        const store = tx.objectStore("messages");
        // Each key once: a repeated key must not count a record twice.
        const mine = [...new Map(keys.filter((k) => k[0] === owner).map((k) => [k.join("\u0000"), k])).values()];
        const { present, span } = await presentRecords(store, mine);
        if (span) quiet(store.delete(span));
        else for (const r of present) quiet(store.delete(keyOf(r)));
        if (present.length) await this.adjustCount(tx, pass, owner, -present.length);
        await this.addMetrics(tx, pass, tallied(metrics, { popped: present.length }));
        return present.map((r) => r.id);
      }),
    );
  }

  async quarantine(owner: string, records: Array<{ key: RecordKey; reason: string }>, now: number): Promise<number> {
    return this.transact("strict", async (tx) => {
      const store = tx.objectStore("messages");
      const mine = records.filter((x) => x.key[0] === owner);
      const present = await Promise.all(mine.map((x) => store.get(x.key)));
      let moved = 0;
      present.forEach((r, i) => {
        if (!r) return;
        quiet(tx.objectStore("quarantine").put({ ...r, reason: mine[i]!.reason, at: now }));
        quiet(store.delete(keyOf(r)));
        moved++;
      });
      if (moved) await this.adjustCount(tx, NORMAL(), owner, -moved);
      return moved;
    });
  }

  async quarantined(): Promise<QuarantinedRecord[]> {
    return (await this.db()).getAll("quarantine");
  }

  async count(owner: string): Promise<number> {
    const tx = (await this.db()).transaction(["tallies", "messages"], "readonly");
    return this.countIn(tx, owner);
  }

  async queues(): Promise<QueueInfo[]> {
    const tx = (await this.db()).transaction(["tallies", "messages", "meta"], "readonly");
    const [rows, complete] = await Promise.all([tx.objectStore("tallies").getAll(), tx.objectStore("meta").get(ROWS_COMPLETE)]);
    const counts = rows.flatMap((row) => Array.from(row.queues, ([owner, t]) => ({ owner, count: t.count })));
    // Without the mark, a queue may have lost its entry at quota, here or in another tab (a row
    // holds many queues): it is still a queue, found by a scan and counted from its keys.
    if (!complete) {
      for await (const owner of ownersWithoutEntry(tx as unknown as ReadTx)) counts.push({ owner, count: await tx.objectStore("messages").count(queueRange(owner)) });
    }
    const firsts = await Promise.all(counts.map((c) => tx.objectStore("messages").getKey(queueRange(c.owner))));
    return counts.map((c, i) => ({ owner: c.owner, count: c.count, oldest: firsts[i]?.[1] ?? null }));
  }

  async removeUser(owner: string, metrics?: MetricsSnapshot): Promise<number> {
    return this.freeing((pass) =>
      this.transact("relaxed", async (tx) => {
        const n = await this.countIn(tx, owner);
        quiet(tx.objectStore("messages").delete(queueRange(owner)));
        await this.adjustCount(tx, pass, owner, -n);
        await this.addMetrics(tx, pass, metrics);
        return n;
      }),
    );
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
    return this.freeing((pass) =>
      this.transact("relaxed", async (tx) => {
        const keys = await tx.objectStore("messages").index(index).getAllKeys(range);
        const perOwner = new Map<string, number>();
        for (const k of keys) {
          quiet(tx.objectStore("messages").delete(k));
          perOwner.set(k[0], (perOwner.get(k[0]) ?? 0) + 1);
        }
        for (const [owner, n] of perOwner) await this.adjustCount(tx, pass, owner, -n);
        await this.addMetrics(tx, pass, metricsFor(keys.length));
        return keys.length;
      }),
    );
  }

  /**
   * Runs a transaction that frees space. At quota, Chromium aborts any
   * transaction that puts anything, so delivery and purges could never
   * free space: then it runs again deleting only (rows of count entries
   * dropped, metrics held back), and a second transaction puts the entries
   * and metrics back. If that one is refused too, a queue without its entry
   * is counted from its keys when next read (and `queues()` scans for such
   * queues while the mark is absent); the metrics stay held until a later
   * save succeeds.
   */
  private async freeing<T>(run: (pass: Pass) => Promise<T>): Promise<T> {
    try {
      return await run(NORMAL());
    } catch (e) {
      if (!isQuotaError(e)) throw e;
    }
    const pass: Pass = { free: true, recount: new Set(), metrics: undefined };
    const result = await run(pass);
    if (pass.metrics) this.held = this.held ? mergeSnapshot(this.held, pass.metrics) : pass.metrics;
    for (const owner of pass.recount) this.uncounted.add(owner);
    // Also the queues an earlier pass could not put back.
    const owners = new Set(this.uncounted);
    await this.settle(owners).then(
      () => owners.forEach((o) => this.uncounted.delete(o)),
      () => undefined,
    );
    return result;
  }

  // Puts back the count entries dropped at quota and the metrics held back.
  private async settle(owners: Set<string>): Promise<void> {
    return this.transact("relaxed", async (tx) => {
      for (const owner of owners) await this.adjustCount(tx, NORMAL(), owner, 0);
      this.tallies(tx).flush(); // before the scan below reads them
      if (owners.size > 0) await markRowsIfComplete(tx);
      await this.addMetrics(tx, NORMAL(), undefined);
    });
  }

  async bury(key: RecordKey, error: StanzaErrorData, failedAt: number): Promise<string | null> {
    return this.transact("relaxed", async (tx) => {
      const record = await tx.objectStore("messages").get(key);
      if (record) {
        quiet(tx.objectStore("messages").delete(key));
        quiet(tx.objectStore("dead").put({ key, record, error: { ...error }, failedAt }));
        await this.adjustCount(tx, NORMAL(), key[0], -1);
      }
      return record?.id ?? null;
    });
  }

  async entomb(record: NewRecord, error: StanzaErrorData, failedAt: number): Promise<RecordKey> {
    return this.transact("relaxed", async (tx) => {
      const dead = tx.objectStore("dead");
      // A sequence below zero (queued messages count up from one, so the key stays free in the queue for a
      // retry, with no count row to touch), above the queue's other such letters (they keep their order).
      const keys = await dead.getAllKeys(queueRange(record.owner));
      const last = keys.reduce((max, k) => (k[2] < 0 ? Math.max(max, k[2]) : max), -Number.MAX_SAFE_INTEGER);
      const full: OfflineRecord = { ...record, seq: last + 1 };
      const key = keyOf(full);
      quiet(dead.add({ key, record: full, error: { ...error }, failedAt })); // add: never replaces a letter
      return key;
    });
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
    return this.transact("relaxed", async (tx) => {
      const dead = tx.objectStore("dead");
      const unique = [...new Map(keys.map((k) => [k.join("\u0000"), k])).values()];
      const rows = (await Promise.all(unique.map((k) => dead.get(k)))).filter((r) => r !== undefined);
      // Per owner: letters put back, and the highest sequence among them.
      const perOwner = new Map<string, { n: number; seq: number }>();
      for (const row of rows) {
        quiet(dead.delete(row.key));
        if (!back) continue;
        // add: a key taken meanwhile fails the retry (the letter stays dead) rather than replace a message.
        quiet(tx.objectStore("messages").add(row.record));
        const o = perOwner.get(row.record.owner) ?? { n: 0, seq: 0 };
        perOwner.set(row.record.owner, { n: o.n + 1, seq: Math.max(o.seq, row.record.seq) });
      }
      // A queue emptied since the letter was buried started its sequence again: keep it above the letter's key.
      for (const [owner, { n, seq }] of perOwner) await this.adjustCount(tx, NORMAL(), owner, n, seq);
      return rows.map((r) => r.record.id);
    });
  }

  async loadMetrics(): Promise<MetricsSnapshot> {
    const rec = await (await this.db()).get("meta", "metrics");
    const saved = (rec?.value as MetricsSnapshot | undefined) ?? emptySnapshot();
    return this.held ? mergeSnapshot(saved, structuredClone(this.held)) : saved;
  }

  async saveMetrics(delta: MetricsSnapshot): Promise<void> {
    return this.transact("relaxed", async (tx) => {
      await this.addMetrics(tx, NORMAL(), delta);
    });
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
