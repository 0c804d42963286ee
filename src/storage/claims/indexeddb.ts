import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";
import { option } from "../../core/options.ts";
import { DEFAULT_MAX_PER_SCOPE, type ClaimKey, type ClaimRecord, type ClaimRecords, type ClaimWrites } from "./records.ts";

/** Typed schema of the claims database (its own, apart from the offline store). */
interface ClaimsDB extends DBSchema {
  seen: {
    key: [scope: string, id: string];
    value: ClaimRecord;
    indexes: { byAge: [scope: string, at: number] };
  };
}

type UpgradeTx = IDBPTransaction<ClaimsDB, StoreNames<ClaimsDB>[], "versionchange">;
type Tx = IDBPTransaction<ClaimsDB, ["seen"], "readwrite">;

/**
 * Migrations, one per schema version, applied in order (the convention of
 * src/storage/schema.ts). Append only: never edit a released one.
 */
const MIGRATIONS: Array<(db: IDBPDatabase<ClaimsDB>, tx: UpgradeTx) => void> = [
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
  private db: Promise<IDBPDatabase<ClaimsDB>> | null = null;
  private readonly sinceTrim = new Map<string, number>();
  private readonly max: number;

  constructor(private readonly name: string, options: { maxPerScope?: number } = {}) {
    this.max = option.positiveInteger("maxPerScope", options.maxPerScope, DEFAULT_MAX_PER_SCOPE);
  }

  private open(): Promise<IDBPDatabase<ClaimsDB>> {
    this.db ??= openDB<ClaimsDB>(this.name, MIGRATIONS.length, {
      upgrade(db, oldVersion, _newVersion, tx) {
        for (let v = oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(db, tx);
      },
      // A newer version wants the database: let go of this connection; the next use opens it again.
      blocking: () => this.close(),
      terminated: () => (this.db = null),
    });
    return this.db;
  }

  async transact(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): Promise<void> {
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx: Tx = (await this.open()).transaction(["seen"], "readwrite", { durability: "relaxed" });
    for (const r of before) void tx.store.put(r);
    const found = await Promise.all(keys.map((k) => tx.store.get([k[0], k[1]])));
    const writes = decide(found);
    for (const k of writes?.delete ?? []) void tx.store.delete([k[0], k[1]]);
    for (const r of writes?.put ?? []) void tx.store.put(r);
    await this.trimScopes(tx, [...before, ...(writes?.put ?? [])]);
    await tx.done;
  }

  /** Trims each scope written to, now and then. */
  private async trimScopes(tx: Tx, written: ClaimRecord[]): Promise<void> {
    const perScope = new Map<string, number>();
    for (const r of written) perScope.set(r.scope, (perScope.get(r.scope) ?? 0) + 1);
    for (const [scope, added] of perScope) {
      const n = (this.sinceTrim.get(scope) ?? TRIM_EVERY) + added;
      this.sinceTrim.set(scope, n > TRIM_EVERY ? 0 : n);
      if (n > TRIM_EVERY) await this.trim(tx, scope);
    }
  }

  /** Forgets a scope's oldest records past the bound, in the caller's transaction. */
  private async trim(tx: Tx, scope: string): Promise<void> {
    const range = IDBKeyRange.bound([scope, -Infinity], [scope, Infinity]);
    const index = tx.store.index("byAge");
    let excess = (await index.count(range)) - this.max;
    let cursor = excess > 0 ? await index.openKeyCursor(range) : null;
    while (cursor && excess-- > 0) {
      await tx.store.delete(cursor.primaryKey);
      cursor = await cursor.continue();
    }
  }

  close(): void {
    void this.db?.then((d) => d.close()).catch(() => undefined);
    this.db = null;
  }
}
