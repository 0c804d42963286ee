import { getEach } from "./requests.ts";

/**
 * Per-queue counts and sequences, kept in rows shared by many queues
 * (schema v5, object store `tallies`).
 *
 * Why shared rows: a write checks its queue's limit against the queue's
 * count, in the transaction that adds the messages. With a row per queue
 * (schema 1-4) that was one read and one put per queue written, so a burst
 * to 10,000 peers made three requests a message and ran at 0.40-0.45 of
 * the speed of a burst to one peer (`node bench/store.mjs peers`). A
 * queue's entry now lives in row {@link shardOf}(owner), one of
 * {@link SHARDS}: a transaction reads and puts each row it touches once,
 * so at most SHARDS of each, however many queues it writes.
 *
 * Invariants, kept by {@link Tallies} and its callers (src/storage/indexeddb.ts):
 * - [ ] a queue's `count` is its number of messages, changed in the
 *   transaction that adds or deletes them;
 * - [ ] a queue's `seq` is at least the `seq` of every key in its queue;
 * - [ ] an empty queue has no entry, and a row without entries is deleted;
 * - [ ] at quota no put can run: a pass there deletes a whole row, and
 *   every queue of it is counted again from its keys afterwards;
 * - [ ] while `meta` holds ROWS_COMPLETE (schema.ts), every queue with
 *   messages has its entry.
 */

/** Rows the entries are spread over. Part of the stored layout: changing it needs a migration. */
export const SHARDS = 64;

/** A queue's count of messages and the last `seq` given in it. */
export interface Tally {
  count: number;
  seq: number;
}

/** One stored row: the entries of the queues whose owner hashes to `shard`. */
export interface TallyRow {
  shard: number;
  queues: Map<string, Tally>;
}

/** The row of an owner's entry: FNV-1a of its UTF-16 code units, modulo {@link SHARDS}. */
export function shardOf(owner: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < owner.length; i++) h = Math.imul(h ^ owner.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS;
}

/**
 * The tallies as one transaction sees them: each row read once, changed in
 * memory, and written by {@link flush} before the transaction ends.
 * Plain requests on the `tallies` store of a readwrite (or, for reads
 * only, readonly) transaction.
 */
export class Tallies {
  private readonly rows = new Map<number, TallyRow | undefined>();
  private readonly changed = new Set<number>();

  constructor(private readonly store: IDBObjectStore) {}

  /** Reads the rows of these owners' entries that this transaction has not read yet (one `get` per row). */
  async load(owners: Iterable<string>): Promise<void> {
    const wanted = [...new Set(Array.from(owners, shardOf))].filter((s) => !this.rows.has(s));
    const found = await getEach<TallyRow>(this.store, wanted);
    wanted.forEach((s, i) => this.rows.set(s, found[i]));
  }

  /** An owner's entry, undefined if it has none; its row must be loaded. */
  entry(owner: string): Tally | undefined {
    return this.loaded(shardOf(owner))?.queues.get(owner);
  }

  /** Loads the owner's row and answers its entry. */
  async get(owner: string): Promise<Tally | undefined> {
    await this.load([owner]);
    return this.entry(owner);
  }

  /** Sets an owner's entry (its row must be loaded); a count of zero removes it. Written by {@link flush}. */
  set(owner: string, tally: Tally): void {
    const shard = shardOf(owner);
    let row = this.loaded(shard);
    if (tally.count > 0) {
      if (!row) this.rows.set(shard, (row = { shard, queues: new Map() }));
      row.queues.set(owner, { count: tally.count, seq: tally.seq });
    } else if (!row?.queues.delete(owner)) return;
    this.changed.add(shard);
  }

  /** Puts each changed row, or deletes it if no entry is left. Call before the transaction ends. */
  flush(): void {
    for (const shard of this.changed) {
      const row = this.rows.get(shard);
      if (row && row.queues.size > 0) void this.store.put(row);
      else void this.store.delete(shard);
    }
    this.changed.clear();
  }

  /**
   * At quota, where a put would abort the transaction: deletes the owner's
   * whole row. Resolves with every owner that had an entry there (the
   * caller counts them again from their keys), and the owner itself.
   */
  async drop(owner: string): Promise<string[]> {
    const shard = shardOf(owner);
    await this.load([owner]);
    const held = [...(this.rows.get(shard)?.queues.keys() ?? [])];
    void this.store.delete(shard);
    this.rows.set(shard, undefined);
    this.changed.delete(shard);
    return held.includes(owner) ? held : [...held, owner];
  }

  private loaded(shard: number): TallyRow | undefined {
    if (!this.rows.has(shard)) throw new Error(`tallies: row ${shard} was not read in this transaction`);
    return this.rows.get(shard);
  }
}
