import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import { HandedJournal, defaultJournalStorage, type JournalStorage } from "./handed-journal.ts";
import { randomId } from "../../core/id.ts";
import { DEFAULT_MAX_WAIT_MS, SeenIdsClosedError, type SeenIds, type SeenIdsOptions } from "./claims.ts";

interface SeenDB extends DBSchema {
  seen: {
    key: [scope: string, id: string];
    /** `holder` set: claimed by that inbox, not yet handed to its app; absent: handed. */
    value: { scope: string; id: string; at: number; holder?: string };
    indexes: { byAge: [scope: string, at: number] };
  };
}

type Tx = IDBPTransaction<SeenDB, ["seen"], "readwrite">;
type Rec = SeenDB["seen"]["value"];

/** The part of the Web Locks API the seen-set uses. */
export type HolderLocks = Pick<LockManager, "request" | "query">;

/** Where an {@link IdbSeenIds} keeps its ids and how it tells live inboxes from dead ones. */
export interface IdbSeenIdsOptions extends Pick<SeenIdsOptions, "maxWaitMs"> {
  name: string;
  maxPerScope: number;
  /** Default `navigator.locks`; null: no Web Locks (no holder can be told dead: a claim of a held id waits out `maxWaitMs`). */
  locks?: HolderLocks | null;
  /** Default `localStorage` in a page; null: no journal (a tab closed mid-handover may show a message twice). */
  journal?: JournalStorage | null;
}

interface Claim {
  scope: string;
  id: string;
  /** How many times this claim found the id held by a live inbox, and for how long it has waited. */
  waits: number;
  waitedMs: number;
  resolve: (fresh: boolean) => void;
  reject: (e: unknown) => void;
}

/** A claim's answer: fresh, already taken, or held by a live inbox (ask again shortly). */
type Decision = boolean | "wait";

/** Claims between two checks of a scope's size: eviction is amortised, the bound is max plus this. */
const TRIM_EVERY = 64;

/** Each live inbox holds a Web Lock by this prefix and its holder id, for as long as it runs. */
const HOLDER_LOCK = "offline-edge:seen-holder:";

/** One (scope, id) as a string key; JSON, so no scope or id can run into another. */
const claimKey = (scope: string, id: string) => JSON.stringify([scope, id]);

/** Pause before asking again about an id a live inbox holds: 20 ms, doubling to 1 s. */
const waitMs = (waits: number) => Math.min(20 * 2 ** waits, 1000);

/**
 * Seen ids in their own small IndexedDB database, apart from the offline
 * store: they survive a reload, and all tabs of the origin share them.
 * A claim is a check and insert inside one readwrite transaction, so two
 * tabs claiming one id get one true between them. Oldest ids go first past
 * `maxPerScope`.
 *
 * Two phases, so a tab that dies between claiming and handing over loses
 * nothing: a claim records the id as held by this instance (which keeps a
 * Web Lock while it lives); `handed` then marks it handed, synchronously in
 * a journal ({@link HandedJournal}) and then in IndexedDB. A claim of an id
 * held by another instance waits while that instance lives; once it is
 * gone, the id is claimed again unless its journal says it was handed.
 */
export class IdbSeenIds implements SeenIds {
  private db: Promise<IDBPDatabase<SeenDB>> | null = null;
  private readonly sinceTrim = new Map<string, number>();
  private pending: Claim[] = [];
  private running = false;
  private readonly holder = randomId();
  private closed = false;
  private writes: Promise<void> = Promise.resolve();
  private releaseHolder: () => void = () => undefined;
  private readonly locks: HolderLocks | null;
  private readonly storage: JournalStorage | null;
  private readonly journal: HandedJournal | null;
  /** Claims pausing before they ask again, by their timer. */
  private readonly waiting = new Map<ReturnType<typeof setTimeout>, Claim>();
  /** Ids this instance claimed that are neither handed nor released yet (JSON [scope, id]). */
  private readonly inHand = new Set<string>();
  private readonly maxWaitMs: number;

  constructor(private readonly options: IdbSeenIdsOptions) {
    this.locks = options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks;
    this.storage = options.journal === undefined ? defaultJournalStorage() : options.journal;
    this.journal = this.storage && new HandedJournal(this.storage, this.holder);
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    if (this.locks) {
      const held = new Promise<void>((resolve) => (this.releaseHolder = resolve));
      void this.locks.request(HOLDER_LOCK + this.holder, () => held).catch(() => undefined);
    }
  }

  private open(): Promise<IDBPDatabase<SeenDB>> {
    if (!this.db) {
      this.db = openDB<SeenDB>(this.options.name, 1, {
        upgrade(db) {
          db.createObjectStore("seen", { keyPath: ["scope", "id"] }).createIndex("byAge", ["scope", "at"]);
        },
        // A newer version wants the database: let go of this connection; the next use opens it again.
        blocking: () => this.dropConnection(),
        terminated: () => (this.db = null),
      });
      void this.db.then((db) => this.foldOrphanJournals(db)).catch(() => undefined);
    }
    return this.db;
  }

  private dropConnection(): void {
    void this.db?.then((d) => d.close()).catch(() => undefined);
    this.db = null;
  }

  /** Holder ids whose inbox is still alive (in any tab), or null without Web Locks. */
  private async liveHolders(): Promise<Set<string> | null> {
    if (!this.locks) return null;
    const { held = [] } = await this.locks.query();
    const names = held.map((l) => l.name ?? "").filter((n) => n.startsWith(HOLDER_LOCK));
    return new Set([this.holder, ...names.map((n) => n.slice(HOLDER_LOCK.length))]);
  }

  /** Journals left by inboxes that died mid-handover become "handed" records, and go. */
  private async foldOrphanJournals(db: IDBPDatabase<SeenDB>): Promise<void> {
    const live = this.storage && (await this.liveHolders());
    if (!this.storage || !live) return;
    const { entries, drop } = HandedJournal.orphans(this.storage, live);
    if (!entries.length) return drop();
    const tx: Tx = db.transaction(["seen"], "readwrite", { durability: "relaxed" });
    const now = Date.now();
    for (const [scope, ids] of entries) for (const id of ids) void tx.store.put({ scope, id, at: now });
    await tx.done;
    drop();
  }

  /**
   * Claims that arrive while a transaction runs wait and share the next one
   * (group commit): a drain's burst costs a few transactions, not one each.
   */
  claim(scope: string, id: string): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue({ scope, id, waits: 0, waitedMs: 0, resolve, reject }));
  }

  private enqueue(claim: Claim): void {
    this.pending.push(claim);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const decisions = await this.commit(batch);
        batch.forEach((c, i) => this.answer(c, decisions[i]!));
      } catch (e) {
        for (const c of batch) c.reject(e);
      }
    }
    this.running = false;
  }

  /** Resolves a decided claim; one held by a live inbox is asked again after a pause (that inbox is handing it over, or dying). */
  private answer(c: Claim, decision: Decision): void {
    if (decision !== "wait") return c.resolve(decision);
    if (this.closed) return c.reject(new SeenIdsClosedError());
    const pause = waitMs(c.waits);
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.enqueue({ ...c, waits: c.waits + 1, waitedMs: c.waitedMs + pause });
    }, pause);
    this.waiting.set(timer, c);
  }

  private async commit(batch: Claim[], live?: Set<string> | null): Promise<Decision[]> {
    if (this.closed) throw new SeenIdsClosedError();
    // Relaxed: only an OS crash can lose a claim, and then the cost is one message shown twice.
    const tx: Tx = (await this.open()).transaction(["seen"], "readwrite", { durability: "relaxed" });
    const known = await Promise.all(batch.map((c) => tx.store.get([c.scope, c.id])));
    // Ids held by another inbox: ask which inboxes live (outside a transaction), then decide again.
    if (live === undefined && known.some((r) => r?.holder !== undefined && r.holder !== this.holder)) {
      await tx.done;
      return this.commit(batch, await this.liveHolders());
    }
    const taken = new Set<string>();
    const now = Date.now();
    const decisions = batch.map((c, i): Decision => {
      const key = claimKey(c.scope, c.id);
      // A second claim of an id this batch just granted waits for it (it is in hand now).
      if (taken.has(key)) return "wait";
      let decision = this.decide(known[i], live);
      if (decision === "wait" && c.waitedMs >= this.maxWaitMs) decision = true; // waited long enough: take it
      if (decision === "handed") void tx.store.put({ scope: c.scope, id: c.id, at: now });
      if (decision !== true) return decision === "handed" ? false : decision;
      taken.add(key);
      void tx.store.put({ scope: c.scope, id: c.id, at: now, holder: this.holder });
      return true;
    });
    await this.trimScopes(tx, batch, decisions);
    await tx.done;
    batch.forEach((c, i) => decisions[i] === true && this.inHand.add(claimKey(c.scope, c.id)));
    return decisions;
  }

  /** Trims each scope that took new claims, now and then (eviction is amortised). */
  private async trimScopes(tx: Tx, batch: Claim[], decisions: Decision[]): Promise<void> {
    for (const scope of new Set(batch.filter((_, i) => decisions[i] === true).map((c) => c.scope))) {
      const n = (this.sinceTrim.get(scope) ?? TRIM_EVERY) + decisions.filter((d, i) => d === true && batch[i]!.scope === scope).length;
      this.sinceTrim.set(scope, n > TRIM_EVERY ? 0 : n);
      if (n > TRIM_EVERY) await this.trim(tx, scope);
    }
  }

  /**
   * Whether a record can be claimed: free, or held by an inbox that is gone
   * without having handed it over. "handed": its holder's journal says it
   * was (the record is then corrected). "wait": a live inbox has it in hand
   * (another tab's, or another inbox on this very set). Without Web Locks
   * no tab can be told dead, so an id another tab holds is waited on too.
   */
  private decide(rec: Rec | undefined, live: Set<string> | null | undefined): Decision | "handed" {
    if (!rec) return true;
    if (rec.holder === undefined) return false;
    if (rec.holder === this.holder) return this.inHand.has(claimKey(rec.scope, rec.id)) ? "wait" : false;
    if (this.storage && HandedJournal.has(this.storage, rec.holder, rec.scope, rec.id)) return "handed";
    return !live || live.has(rec.holder) ? "wait" : true;
  }

  /**
   * Marks claimed ids handed to the app. Called right after the handover, in
   * the same task: the journal is written at once, IndexedDB commits later.
   */
  handed(scope: string, ids: string[]): Promise<void> {
    const entry = this.journal?.add(scope, ids) ?? null;
    for (const id of ids) this.inHand.delete(claimKey(scope, id));
    if (this.closed) return Promise.resolve(); // the journal has them: the next claimant folds it in
    const write = this.open().then(async (db) => {
      const tx: Tx = db.transaction(["seen"], "readwrite", { durability: "relaxed" });
      const now = Date.now();
      for (const id of ids) void tx.store.put({ scope, id, at: now });
      await tx.done;
      this.journal?.committed(entry);
    });
    this.writes = this.writes.then(() => write).catch(() => undefined);
    return write;
  }

  /** Frees ids this instance claimed and never handed over, so another inbox may take them now. */
  release(scope: string, ids: string[]): Promise<void> {
    if (this.closed) return Promise.resolve(); // its holder lock goes with it: the ids are free anyway
    return this.open().then(async (db) => {
      const tx: Tx = db.transaction(["seen"], "readwrite", { durability: "relaxed" });
      const recs = await Promise.all(ids.map((id) => tx.store.get([scope, id])));
      for (const r of recs) if (r?.holder === this.holder) void tx.store.delete([scope, r.id]);
      await tx.done;
      // Only now: until the delete commits, a claim here must wait rather than read "ours, so handed".
      for (const id of ids) this.inHand.delete(claimKey(scope, id));
    });
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

  /**
   * Lets go once the pending "handed" writes are done, so no claim is
   * released before it is marked. Claims still waiting fail with
   * {@link SeenIdsClosedError}: the inbox then refuses their messages, which
   * their senders keep.
   */
  close(): void {
    this.closed = true;
    for (const [timer, c] of this.waiting) {
      clearTimeout(timer);
      c.reject(new SeenIdsClosedError());
    }
    this.waiting.clear();
    const db = this.db;
    this.db = null;
    void this.writes.finally(() => {
      this.releaseHolder();
      void db?.then((d) => d.close()).catch(() => undefined);
    });
  }
}
