import { unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";
import type { MetricsSnapshot } from "../core/metrics.ts";
import type { DeadLetter } from "../core/dead-letter.ts";
import type { OfflineRecord, QuarantinedRecord } from "../core/record.ts";
import { Tallies, type TallyRow } from "./tallies.ts";

/** Typed IndexedDB schema of the offline store. */
export interface OfflineDB extends DBSchema {
  /** One record a message; a user's queue is the key range [owner, …]. */
  messages: {
    key: [string, number, number];
    value: OfflineRecord;
    indexes: { marker: [string, string]; expireAt: number; ts: number };
  };
  /**
   * Schema 1-4 only: a row per queue with its count and last `seq` (absent
   * on rows of schema 1 databases, which used the global `meta` `seq`).
   * Moved into `tallies` and deleted by the v5 migration.
   */
  counts: { key: string; value: { owner: string; count: number; seq?: number } };
  /** Per-queue counts and sequences, many queues a row (v5; see tallies.ts), kept in the same transaction as the messages. */
  tallies: { key: number; value: TallyRow };
  /** Records that could not be read back, moved out of their queue (v2). */
  quarantine: { key: [string, number, number]; value: QuarantinedRecord };
  /** Messages the relay refused for good, keyed like `messages` (v3; see core/dead-letter.ts). */
  dead: { key: [string, number, number]; value: DeadLetter & { key: [string, number, number] } };
  /** `seq` (the global tie-break of older versions, read only), `metrics` (persisted totals), `settings` (store configuration) and {@link ROWS_COMPLETE} (v4). */
  meta: { key: string; value: { key: string; value: unknown } };
}

type UpgradeTx = IDBPTransaction<OfflineDB, StoreNames<OfflineDB>[], "versionchange">;

/**
 * Migrations, one per schema version, applied in order from the version a
 * database has to the newest. Append only: never edit a released one.
 */
const MIGRATIONS: Array<(db: IDBPDatabase<OfflineDB>, tx: UpgradeTx) => void> = [
  // v1: messages keyed by [owner, ts, seq]; counts; meta.
  (db) => {
    const messages = db.createObjectStore("messages", { keyPath: ["owner", "ts", "seq"] });
    // Records without a marker or expiry have no key there and are not indexed.
    messages.createIndex("marker", ["owner", "marker"]);
    messages.createIndex("expireAt", "expireAt");
    messages.createIndex("ts", "ts");
    db.createObjectStore("counts", { keyPath: "owner" });
    db.createObjectStore("meta", { keyPath: "key" });
  },
  // v2: quarantine for records that cannot be read back, keyed as in messages.
  (db) => {
    db.createObjectStore("quarantine", { keyPath: ["owner", "ts", "seq"] });
  },
  // v3: dead letters, keyed by their queue key.
  (db) => {
    db.createObjectStore("dead", { keyPath: "key" });
  },
  // v4: the mark that every queue has its count row, if it is so (see ROWS_COMPLETE).
  (_db, tx) => {
    void markRowsIfComplete(tx).catch(() => undefined); // a failed put aborts the upgrade, which the open reports
  },
  // v5: the count rows move into rows shared by many queues (tallies.ts). When v4 runs in the same
  // upgrade, its check finds no tallies store yet and puts no mark; the mark is looked for here,
  // after the move. It goes first: if the move fails part-way, no queue is taken for empty.
  (db, tx) => {
    void tx.objectStore("meta").delete(ROWS_COMPLETE);
    db.createObjectStore("tallies", { keyPath: "shard" });
    void moveCountsToTallies(db, tx).catch(() => undefined); // as in v4: a failed request aborts the upgrade
  },
];

async function moveCountsToTallies(db: IDBPDatabase<OfflineDB>, tx: UpgradeTx): Promise<void> {
  const [rows, legacy] = await Promise.all([tx.objectStore("counts").getAll(), tx.objectStore("meta").get("seq")]);
  const tallies = new Tallies(unwrap(tx.objectStore("tallies")));
  await tallies.load(rows.map((r) => r.owner));
  // Rows of schema 1 have no sequence of their own: theirs was the global one.
  for (const r of rows) tallies.set(r.owner, { count: r.count, seq: r.seq ?? ((legacy?.value as number | undefined) ?? 0) });
  tallies.flush();
  db.deleteObjectStore("counts");
  await markRowsIfComplete(tx);
}

/**
 * `meta` key of the mark "every queue with messages has its count entry"
 * (a row per queue in schema 1-4, an entry in `tallies` since v5). While it
 * is there, a queue without an entry is empty, and a write to it starts the
 * entry at zero instead of reading the queue's keys (one request per new
 * peer). A pass at quota that drops entries deletes it in the same
 * transaction; it comes back when the entries are put back and a scan finds
 * none missing.
 */
export const ROWS_COMPLETE = "rows-complete";

type WriteAllTx = IDBPTransaction<OfflineDB, StoreNames<OfflineDB>[], "readwrite">;
type RowsReader = IDBPTransaction<OfflineDB, ("messages" | "tallies")[], "readonly">;

/**
 * Owners that have messages but no count entry, in key order: one
 * key-cursor step per owner (it jumps past each queue), and one read per
 * row of tallies. Reads only.
 */
export async function* ownersWithoutEntry(tx: RowsReader): AsyncGenerator<string> {
  const tallies = new Tallies(unwrap(tx.objectStore("tallies")));
  let cursor = await tx.objectStore("messages").openKeyCursor();
  while (cursor) {
    const owner = cursor.key[0];
    if ((await tallies.get(owner)) === undefined) yield owner;
    cursor = await cursor.continue([owner, Infinity, Infinity]);
  }
}

/** Puts {@link ROWS_COMPLETE} when no queue lacks its count entry, in the caller's transaction (the upgrade's, or a readwrite one over every store). */
export async function markRowsIfComplete(tx: UpgradeTx | WriteAllTx): Promise<void> {
  // idb's transaction types differ by mode only; this reads, then puts one record.
  const t = tx as unknown as WriteAllTx;
  for await (const _owner of ownersWithoutEntry(t as unknown as RowsReader)) return;
  await t.objectStore("meta").put({ key: ROWS_COMPLETE, value: true });
}

/** The newest schema version. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Runs the migrations from `oldVersion` up to `target` (default: the newest). */
export function upgrade(db: IDBPDatabase<OfflineDB>, oldVersion: number, tx: UpgradeTx, target = MIGRATIONS.length): void {
  for (let v = oldVersion; v < target; v++) MIGRATIONS[v]!(db, tx);
}

export type { MetricsSnapshot };
