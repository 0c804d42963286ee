import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import type { SeenIds } from "./seen.ts";

interface SeenDB extends DBSchema {
  seen: {
    key: [scope: string, id: string];
    value: { scope: string; id: string; at: number };
    indexes: { byAge: [scope: string, at: number] };
  };
}

type Tx = IDBPTransaction<SeenDB, ["seen"], "readwrite">;

/** Claims between two checks of a scope's size: eviction is amortised, the bound is max plus this. */
const TRIM_EVERY = 64;

/**
 * Seen ids in their own small IndexedDB database, apart from the offline
 * store: they survive a reload, and all tabs of the origin share them.
 * Each claim is one readwrite transaction (check and insert), so two tabs
 * claiming one id get one true between them. Oldest ids go first past
 * `maxPerScope`.
 */
export class IdbSeenIds implements SeenIds {
  private db: Promise<IDBPDatabase<SeenDB>> | null = null;
  private readonly sinceTrim = new Map<string, number>();

  constructor(private readonly options: { name: string; maxPerScope: number }) {}

  private open(): Promise<IDBPDatabase<SeenDB>> {
    this.db ??= openDB<SeenDB>(this.options.name, 1, {
      upgrade(db) {
        db.createObjectStore("seen", { keyPath: ["scope", "id"] }).createIndex("byAge", ["scope", "at"]);
      },
      blocking: () => this.close(),
      terminated: () => (this.db = null),
    });
    return this.db;
  }

  async claim(scope: string, id: string): Promise<boolean> {
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx: Tx = (await this.open()).transaction(["seen"], "readwrite", { durability: "relaxed" });
    const fresh = (await tx.store.getKey([scope, id])) === undefined;
    if (fresh) {
      await tx.store.put({ scope, id, at: Date.now() });
      const n = (this.sinceTrim.get(scope) ?? TRIM_EVERY) + 1;
      this.sinceTrim.set(scope, n > TRIM_EVERY ? 0 : n);
      if (n > TRIM_EVERY) await this.trim(tx, scope);
    }
    await tx.done;
    return fresh;
  }

  /** Forgets a scope's oldest ids past the bound, in the claim's transaction. */
  private async trim(tx: Tx, scope: string): Promise<void> {
    const range = IDBKeyRange.bound([scope, -Infinity], [scope, Infinity]);
    const index = tx.store.index("byAge");
    let excess = (await index.count(range)) - this.options.maxPerScope;
    let cursor = excess > 0 ? await index.openKeyCursor(range) : null;
    while (cursor && excess-- > 0) {
      await tx.store.delete(cursor.primaryKey);
      cursor = await cursor.continue();
    }
  }

  close(): void {
    const db = this.db;
    this.db = null;
    void db?.then((d) => d.close()).catch(() => undefined);
  }
}
