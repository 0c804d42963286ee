import { option } from "../../core/options.ts";
import { DEFAULT_MAX_PER_SCOPE, type ClaimKey, type ClaimRecord, type ClaimRecords, type ClaimWrites } from "./records.ts";
import { committed, getEach, result } from "../requests.ts";

// Plain IndexedDB, not idb: this store needs five calls, and idb would be
// the largest piece of the mesh + messenger bundle (BENCHMARKS.md, size
// budgets). The offline store itself (../indexeddb.ts) keeps idb.

/**
 * Migrations, one per schema version, applied in order (the convention of
 * src/storage/schema.ts). Append only: never edit a released one.
 */
const MIGRATIONS: Array<(db: IDBDatabase) => void> = [
  // v1: records keyed by [scope, id], indexed by age within a scope.
  (db) => void db.createObjectStore("seen", { keyPath: ["scope", "id"] }).createIndex("byAge", ["scope", "at"]),
];

/** Writes into a scope between two checks of its size: eviction is amortised, the bound is max plus this. */
const TRIM_EVERY = 64;

/**
 * Claim records in their own small IndexedDB database: they survive a
 * reload and every tab of the origin shares them. One transaction per
 * {@link transact} call, whatever the batch (group commit): the reads go
 * out together, the writes follow without waiting on each other.
 */
export class IdbClaimRecords implements ClaimRecords {
  private db: Promise<IDBDatabase> | null = null;
  private readonly sinceTrim = new Map<string, number>();
  private readonly max: number;

  constructor(private readonly name: string, options: { maxPerScope?: number } = {}) {
    this.max = option.positiveInteger("maxPerScope", options.maxPerScope, DEFAULT_MAX_PER_SCOPE);
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(this.name, MIGRATIONS.length);
      request.onupgradeneeded = (e) => {
        for (let v = e.oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(request.result);
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version wants the database: let go of this connection; the next use opens it again.
        db.onversionchange = () => this.close();
        db.onclose = () => (this.db = null); // closed by the browser (storage cleared, disk error)
        resolve(db);
      };
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  async transact(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): Promise<void> {
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx = (await this.open()).transaction("seen", "readwrite", { durability: "relaxed" });
    const done = committed(tx);
    const seen = tx.objectStore("seen");
    for (const r of before) seen.put(r);
    const found = await getEach<ClaimRecord>(seen, keys.map((k) => [k[0], k[1]]));
    const writes = decide(found);
    for (const k of writes?.delete ?? []) seen.delete([k[0], k[1]]);
    for (const r of writes?.put ?? []) seen.put(r);
    await this.trimScopes(seen, [...before, ...(writes?.put ?? [])]);
    await done;
  }

  /** Trims each scope written to, now and then. */
  private async trimScopes(seen: IDBObjectStore, written: ClaimRecord[]): Promise<void> {
    const perScope = new Map<string, number>();
    for (const r of written) perScope.set(r.scope, (perScope.get(r.scope) ?? 0) + 1);
    for (const [scope, added] of perScope) {
      const n = (this.sinceTrim.get(scope) ?? TRIM_EVERY) + added;
      this.sinceTrim.set(scope, n > TRIM_EVERY ? 0 : n);
      if (n > TRIM_EVERY) await this.trim(seen, scope);
    }
  }

  /** Forgets a scope's oldest records past the bound, in the caller's transaction. */
  private async trim(seen: IDBObjectStore, scope: string): Promise<void> {
    const range = IDBKeyRange.bound([scope, -Infinity], [scope, Infinity]);
    const byAge = seen.index("byAge");
    const excess = (await result(byAge.count(range))) - this.max;
    if (excess <= 0) return;
    // An index's getAllKeys gives the primary keys, oldest first.
    for (const key of await result(byAge.getAllKeys(range, excess))) seen.delete(key);
  }

  close(): void {
    void this.db?.then((d) => d.close()).catch(() => undefined);
    this.db = null;
  }
}
