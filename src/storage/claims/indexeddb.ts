import { option } from "../../core/options.ts";
import { DEFAULT_MAX_PER_SCOPE, type ClaimKey, type ClaimRecord, type ClaimRecords, type ClaimWrites } from "./records.ts";
import { MemoryClaimRecords } from "./memory.ts";
import { committed, result } from "../requests.ts";

// Plain IndexedDB, not idb: this store needs a few calls, and idb would be
// the largest piece of the mesh + messenger bundle (BENCHMARKS.md, size
// budgets). The offline store itself (../indexeddb.ts) keeps idb.

/**
 * One entry of the `log` store: the writes of one transaction, in order,
 * or a snapshot of every record (each scope oldest first) that stands for
 * all entries before it. `n` is the store's key, given in commit order.
 */
type LogEntry = { n?: number; writes: ClaimWrites[] } | { n?: number; snapshot: ClaimRecord[] };

/**
 * Migrations, one per schema version, applied in order (the convention of
 * src/storage/schema.ts). Append only: never edit a released one.
 */
const MIGRATIONS: Array<(db: IDBDatabase, tx: IDBTransaction) => void> = [
  // v1: records keyed by [scope, id], indexed by age within a scope.
  (db) => void db.createObjectStore("seen", { keyPath: ["scope", "id"] }).createIndex("byAge", ["scope", "at"]),
  // v2: a log of writes instead (see IdbClaimRecords). v1's records become
  // its first entry, a snapshot, oldest first; then `seen` goes.
  (db, tx) => {
    const log = db.createObjectStore("log", { keyPath: "n", autoIncrement: true });
    const all = tx.objectStore("seen").index("byAge").getAll();
    all.onsuccess = () => {
      log.add({ snapshot: all.result as ClaimRecord[] } satisfies LogEntry);
      db.deleteObjectStore("seen");
    };
  },
];

/** A log shorter than this is never compacted: a snapshot costs the whole state. */
const MIN_COMPACT = 1024;

/**
 * Claim records kept as a log of writes in their own small IndexedDB
 * database: they survive a reload, and every tab of the origin shares them.
 *
 * Each engine mirrors the records in memory (a {@link MemoryClaimRecords},
 * the same rules). One transaction per {@link transact} call, whatever the
 * batch (group commit): it reads the entries other tabs appended since the
 * last one (one range read), decides against the mirror, and appends its
 * own writes as one entry. A batch of any size costs a few requests, not
 * three per message, and the transaction (readwrite on the one `log`
 * store) keeps two tabs from both taking an id. When the log holds more
 * records than the state, a snapshot replaces it.
 *
 * Checklist (what keeps the mirror equal to the log):
 * - every write goes into the log in the transaction that decided it;
 * - an entry is applied once: `lastN` is the newest entry applied, and
 *   this engine's own entry sets it when it is added, unless the mirror it
 *   went into was dropped meanwhile (then `lastN` stays 0);
 * - a transaction that fails may have changed the mirror without the log:
 *   the mirror is dropped and rebuilt from the log by the next one; so is
 *   the mirror of a closed store (its database may be replaced);
 * - a snapshot is written from a mirror that has every entry before it.
 */
export class IdbClaimRecords implements ClaimRecords {
  private db: Promise<IDBDatabase> | null = null;
  private readonly max: number;
  private mirror: MemoryClaimRecords;
  /** Newest log entry in the mirror (0: none yet). */
  private lastN = 0;
  /** Records in the log's entries after its latest snapshot. */
  private logged = 0;

  constructor(private readonly name: string, options: { maxPerScope?: number } = {}) {
    this.max = option.positiveInteger("maxPerScope", options.maxPerScope, DEFAULT_MAX_PER_SCOPE);
    this.mirror = new MemoryClaimRecords({ maxPerScope: this.max });
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(this.name, MIGRATIONS.length);
      request.onupgradeneeded = (e) => {
        for (let v = e.oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(request.result, request.transaction!);
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version wants the database: let go of this connection; the next use opens it again.
        db.onversionchange = () => this.close();
        // Closed by the browser (storage cleared, disk error): a new log may start its keys again.
        db.onclose = () => this.close();
        resolve(db);
      };
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  async transact(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): Promise<void> {
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx = (await this.open()).transaction("log", "readwrite", { durability: "relaxed" });
    const done = committed(tx);
    const log = tx.objectStore("log");
    try {
      await this.catchUp(log);
      const mirror = this.mirror; // the one this transaction reads and writes, even if dropped meanwhile
      const writes = mirror.transactNow(before, keys, decide);
      if (writes.length) this.append(log, mirror, { writes }, count(writes));
      if (this.logged >= Math.max(MIN_COMPACT, mirror.size)) this.compact(log, mirror);
      await done;
    } catch (e) {
      this.forget(); // the mirror may hold writes the log does not
      throw e;
    }
  }

  /** Applies the entries other engines appended since ours, in order, each once. */
  private async catchUp(log: IDBObjectStore): Promise<void> {
    let mirror: MemoryClaimRecords;
    let entries: LogEntry[];
    do {
      mirror = this.mirror;
      entries = await result(log.getAll(IDBKeyRange.lowerBound(this.lastN, true)));
    } while (mirror !== this.mirror); // forgotten meanwhile (close): read the whole log again
    for (const entry of entries) {
      if (entry.n! <= this.lastN) continue; // applied already (our own, added meanwhile)
      if ("snapshot" in entry) {
        this.mirror = new MemoryClaimRecords({ maxPerScope: this.max });
        this.mirror.write({ put: entry.snapshot, delete: [] });
        this.logged = 0;
      } else {
        for (const w of entry.writes) this.mirror.write(w);
        this.logged += count(entry.writes);
      }
      this.lastN = entry.n!;
    }
  }

  private append(log: IDBObjectStore, mirror: MemoryClaimRecords, entry: LogEntry, records: number): void {
    this.added(log.add(entry), mirror);
    this.logged += records;
  }

  /** Replaces every entry with a snapshot of the mirror (which has them all). */
  private compact(log: IDBObjectStore, mirror: MemoryClaimRecords): void {
    const added = log.add({ snapshot: mirror.records() } satisfies LogEntry);
    this.added(added, mirror, () => log.delete(IDBKeyRange.upperBound(added.result as number, true)));
    this.logged = 0;
  }

  /** Our entry is in `mirror` already: the next catch-up starts after it, unless that mirror was dropped meanwhile. */
  private added(request: IDBRequest<IDBValidKey>, mirror: MemoryClaimRecords, then?: () => void): void {
    request.onsuccess = () => {
      if (this.mirror === mirror) this.lastN = request.result as number;
      then?.();
    };
  }

  private forget(): void {
    this.mirror = new MemoryClaimRecords({ maxPerScope: this.max });
    this.lastN = 0;
    this.logged = 0;
  }

  close(): void {
    void this.db?.then((d) => d.close()).catch(() => undefined);
    this.db = null;
    this.forget();
  }
}

/** Records a list of writes touches. */
function count(writes: ClaimWrites[]): number {
  return writes.reduce((n, w) => n + w.put.length + w.delete.length, 0);
}
