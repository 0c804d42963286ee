import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import type { SeenIds } from "./seen.ts";

interface SeenDB extends DBSchema {
  seen: {
    key: [scope: string, id: string];
    /** `holder` set: claimed by that inbox, not yet handed to its app; absent: handed. */
    value: { scope: string; id: string; at: number; holder?: string };
    indexes: { byAge: [scope: string, at: number] };
  };
}

type Tx = IDBPTransaction<SeenDB, ["seen"], "readwrite">;

interface Claim {
  scope: string;
  id: string;
  resolve: (fresh: boolean) => void;
  reject: (e: unknown) => void;
}

/** Claims between two checks of a scope's size: eviction is amortised, the bound is max plus this. */
const TRIM_EVERY = 64;

/** Each live inbox holds a Web Lock by this prefix and its holder id, for as long as it runs. */
const HOLDER_LOCK = "offline-edge:seen-holder:";

/** Holder ids whose inbox is still alive (in any tab), or null where Web Locks do not exist. */
async function liveHolders(): Promise<Set<string> | null> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return null;
  const { held = [] } = await locks.query();
  return new Set(held.map((l) => l.name ?? "").filter((n) => n.startsWith(HOLDER_LOCK)).map((n) => n.slice(HOLDER_LOCK.length)));
}

/**
 * Seen ids in their own small IndexedDB database, apart from the offline
 * store: they survive a reload, and all tabs of the origin share them.
 * A claim is a check and insert inside one readwrite transaction, so two
 * tabs claiming one id get one true between them. Oldest ids go first past
 * `maxPerScope`.
 *
 * Two phases, so a tab that dies between claiming and handing over loses
 * nothing: a claim records the id as held by this instance (which keeps a
 * Web Lock while it lives); `handed` then marks it handed. A later claim of
 * an id still held by an instance that is gone succeeds again.
 */
export class IdbSeenIds implements SeenIds {
  private db: Promise<IDBPDatabase<SeenDB>> | null = null;
  private readonly sinceTrim = new Map<string, number>();
  private pending: Claim[] = [];
  private running = false;
  private readonly holder = crypto.randomUUID();
  private closed = false;
  private writes: Promise<void> = Promise.resolve();
  private releaseHolder: () => void = () => undefined;

  constructor(private readonly options: { name: string; maxPerScope: number }) {
    const locks = globalThis.navigator?.locks;
    if (locks) {
      const held = new Promise<void>((resolve) => (this.releaseHolder = resolve));
      void locks.request(HOLDER_LOCK + this.holder, () => held).catch(() => undefined);
    }
  }

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

  /**
   * Claims that arrive while a transaction runs wait and share the next one
   * (group commit): a drain's burst costs a few transactions, not one each.
   */
  claim(scope: string, id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ scope, id, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const fresh = await this.commit(batch);
        batch.forEach((c, i) => c.resolve(fresh[i]!));
      } catch (e) {
        for (const c of batch) c.reject(e);
      }
    }
    this.running = false;
  }

  private async commit(batch: Claim[], live?: Set<string> | null): Promise<boolean[]> {
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx: Tx = (await this.open()).transaction(["seen"], "readwrite", { durability: "relaxed" });
    const known = await Promise.all(batch.map((c) => tx.store.get([c.scope, c.id])));
    // Ids held by another inbox: ask which inboxes live (outside a transaction), then decide again.
    if (live === undefined && known.some((r) => r?.holder !== undefined && r.holder !== this.holder)) {
      await tx.done;
      return this.commit(batch, await liveHolders());
    }
    const taken = new Set<string>();
    const now = Date.now();
    const fresh = batch.map((c, i) => {
      const key = `${c.scope}\n${c.id}`;
      if (taken.has(key) || !this.claimable(known[i], live)) return false;
      taken.add(key);
      void tx.store.put({ scope: c.scope, id: c.id, at: now, holder: this.holder });
      return true;
    });
    for (const scope of new Set(batch.filter((_, i) => fresh[i]).map((c) => c.scope))) {
      const n = (this.sinceTrim.get(scope) ?? TRIM_EVERY) + fresh.filter((f, i) => f && batch[i]!.scope === scope).length;
      this.sinceTrim.set(scope, n > TRIM_EVERY ? 0 : n);
      if (n > TRIM_EVERY) await this.trim(tx, scope);
    }
    await tx.done;
    return fresh;
  }

  /** Free, or held (not handed) by an inbox that no longer lives. Without Web Locks, a held id stays held. */
  private claimable(rec: SeenDB["seen"]["value"] | undefined, live: Set<string> | null | undefined): boolean {
    if (!rec) return true;
    if (rec.holder === undefined || rec.holder === this.holder || !live) return false;
    return !live.has(rec.holder);
  }

  /**
   * Marks claimed ids handed to the app. Called right after the handover, in
   * the same task, so the transaction is issued before a closing page stops.
   */
  handed(scope: string, ids: string[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    const write = this.open().then(async (db) => {
      const tx: Tx = db.transaction(["seen"], "readwrite", { durability: "relaxed" });
      const now = Date.now();
      for (const id of ids) void tx.store.put({ scope, id, at: now });
      await tx.done;
    });
    this.writes = this.writes.then(() => write).catch(() => undefined);
    return write;
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

  /** Lets go once the pending "handed" writes are done, so no claim is released before it is marked. */
  close(): void {
    this.closed = true;
    const db = this.db;
    this.db = null;
    void this.writes.finally(() => {
      this.releaseHolder();
      void db?.then((d) => d.close()).catch(() => undefined);
    });
  }
}
