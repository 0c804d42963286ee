// The claim engine over IndexedDB records, across tabs that live, die mid-handover, or
// hand over: Node has neither Web Locks nor localStorage, so each test gives
// the set a small in-process stand-in for both (the browser tests use the
// real ones).
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { ClaimEngine, type ClaimEngineOptions, type HolderLocks } from "../../src/messaging/receive/claim-engine.ts";
import { HandedJournal, type JournalStorage } from "../../src/messaging/receive/handed-journal.ts";
import { SeenIdsClosedError } from "../../src/core/errors.ts";
import { IdbClaimRecords } from "../../src/storage/claims/indexeddb.ts";
import type { ClaimRecords } from "../../src/storage/claims/records.ts";
import { ProcessLocks } from "./relay-helpers.ts";

/** localStorage's shape over a Map. */
class MapStorage implements JournalStorage {
  private readonly map = new Map<string, string>();
  get length(): number {
    return this.map.size;
  }
  key(i: number): string | null {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

const open: ClaimEngine[] = [];
afterEach(() => open.splice(0).forEach((s) => s.close()));

/** One origin: a database, its Web Locks and its localStorage; `tab()` opens a seen-set in a new tab and returns its holder id. */
function origin() {
  const name = `seen-${crypto.randomUUID()}`;
  const locks = new ProcessLocks();
  const storage = new MapStorage();
  const tab = (extra: Partial<ClaimEngineOptions> = {}) => {
    const records = new CountedRecords(new IdbClaimRecords(name, { maxPerScope: 1000 }));
    const seen = new ClaimEngine({ records, locks: locks as unknown as HolderLocks, journal: storage, ...extra });
    open.push(seen);
    return { seen, records, holder: seen.holder };
  };
  return { locks, storage, tab };
}

/** Records that count their transactions, and tell when the next ones have committed. */
class CountedRecords implements ClaimRecords {
  transactions = 0;
  private readonly waiters: Array<{ at: number; resolve: () => void }> = [];
  constructor(private readonly inner: ClaimRecords) {}
  async transact(...args: Parameters<ClaimRecords["transact"]>): Promise<void> {
    await this.inner.transact(...args);
    this.transactions++;
    for (const w of this.waiters.filter((w) => w.at <= this.transactions)) w.resolve();
  }
  /** Resolves once `n` more transactions have committed. */
  next(n: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ at: this.transactions + n, resolve }));
  }
  close(): void {
    this.inner.close();
  }
}

/**
 * Whether a claim is still unanswered after its engine asked again about
 * it (two more transactions: it was told to wait, paused, and waited
 * again). An event, not a sleep.
 */
async function stillWaiting(p: Promise<unknown>, records: CountedRecords): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await records.next(3);
  return !done;
}

describe("seen ids across tabs (IndexedDB, Web Locks, handed journal)", () => {
  it("a tab that died after handing over, before IndexedDB marked it: its journal stops a second handover", async () => {
    const { locks, storage, tab } = origin();
    const a = tab();
    const b = tab();
    expect(await b.seen.claim("bob", "m0")).toBe(true); // b is open before a dies: no folding at open
    expect(await a.seen.claim("bob", "m1")).toBe(true);
    expect(await a.seen.claim("bob", "m2")).toBe(true);
    // a's app got m1 and its journal says so (written in the same task); then the tab died.
    new HandedJournal(storage, a.holder).add("bob", ["m1"]);
    locks.kill(a.holder);
    expect(await b.seen.claim("bob", "m1")).toBe(false);
    expect(await b.seen.claim("bob", "m2")).toBe(true); // claimed, never handed: b may show it
    // The repeat repaired the record (handed): once the journal is gone, m1 is still a repeat for a third tab.
    for (let i = storage.length - 1; i >= 0; i--) storage.removeItem(storage.key(i)!);
    expect(await tab().seen.claim("bob", "m1")).toBe(false);
  });

  it("an id held by a live tab waits for it: false once that tab hands it over, true if it dies first", async () => {
    const { locks, tab } = origin();
    const a = tab();
    const b = tab();
    expect(await a.seen.claim("bob", "h1")).toBe(true);
    expect(await a.seen.claim("bob", "h2")).toBe(true);
    const handedThenAsked = b.seen.claim("bob", "h1");
    const diedThenAsked = b.seen.claim("bob", "h2");
    expect(await stillWaiting(handedThenAsked, b.records)).toBe(true); // undecided while a lives
    await a.seen.handed("bob", ["h1"]);
    expect(await handedThenAsked).toBe(false);
    expect(await stillWaiting(diedThenAsked, b.records)).toBe(true);
    locks.kill(a.holder);
    expect(await diedThenAsked).toBe(true);
  });

  it("handed() journals synchronously and clears it once IndexedDB has the marks; a dead tab's journal is folded in by the next", async () => {
    const { locks, storage, tab } = origin();
    const a = tab();
    expect(await a.seen.claim("bob", "j1")).toBe(true);
    const marking = a.seen.handed("bob", ["j1"]);
    expect(HandedJournal.has(storage, a.holder, "bob", "j1")).toBe(true); // in the same task as the handover
    await marking;
    expect(storage.length).toBe(0);

    expect(await a.seen.claim("bob", "j2")).toBe(true);
    new HandedJournal(storage, a.holder).add("bob", ["j2"]);
    locks.kill(a.holder);
    const b = tab();
    expect(await b.seen.claim("bob", "other")).toBe(true); // its first batch folds a's journal in
    expect(storage.length).toBe(0);
    expect(await b.seen.claim("bob", "j2")).toBe(false); // now a plain handed record
  });

  it("a journal that cannot be read or written decides per record, and fails no claim", async () => {
    const { locks, storage, tab } = origin();
    const a = tab();
    const b = tab();
    expect(await b.seen.claim("bob", "s0")).toBe(true);
    await b.seen.handed("bob", ["s0"]);
    expect(await a.seen.claim("bob", "s1")).toBe(true);
    locks.kill(a.holder);
    const broken = () => {
      throw new DOMException("denied", "SecurityError");
    };
    Object.assign(storage, { getItem: broken, setItem: broken, removeItem: broken, key: broken });
    Object.defineProperty(storage, "length", { get: broken });
    // One batch: a handed id, and an id held by a dead tab whose journal cannot be read.
    const [handed, orphan] = await Promise.all([b.seen.claim("bob", "s0"), b.seen.claim("bob", "s1")]);
    expect([handed, orphan]).toEqual([false, true]);
    expect(await b.seen.claim("bob", "s2")).toBe(true);
    await b.seen.handed("bob", ["s1", "s2"]); // the journal write fails quietly; IndexedDB still has the marks
    expect(await b.seen.claim("bob", "s2")).toBe(false);
  });

  it("without Web Locks, an id another tab holds is waited on (never a repeat it cannot know): handed, or taken after maxWaitMs", async () => {
    const { tab } = origin();
    const a = tab({ locks: null });
    const b = tab({ locks: null, maxWaitMs: 150 });
    expect(await a.seen.claim("bob", "n1")).toBe(true);
    expect(await a.seen.claim("bob", "n2")).toBe(true);
    const handedMeanwhile = b.seen.claim("bob", "n1");
    const neverHanded = b.seen.claim("bob", "n2"); // a may have died: nobody can tell
    expect(await stillWaiting(handedMeanwhile, b.records)).toBe(true);
    await a.seen.handed("bob", ["n1"]);
    expect(await handedMeanwhile).toBe(false);
    expect(await neverHanded).toBe(true);
  });

  it("closing fails claims still waiting with SeenIdsClosedError (the inbox then refuses the message: its sender keeps it)", async () => {
    const { tab } = origin();
    const a = tab();
    const b = tab();
    expect(await a.seen.claim("bob", "c1")).toBe(true);
    const waiting = b.seen.claim("bob", "c1");
    expect(await stillWaiting(waiting, b.records)).toBe(true);
    b.seen.close();
    await expect(waiting).rejects.toBeInstanceOf(SeenIdsClosedError);
    await expect(b.seen.claim("bob", "c2")).rejects.toBeInstanceOf(SeenIdsClosedError);
  });

  it("a claim waits at most maxWaitMs on a live holder, then takes the id (two tabs waiting on each other would never end)", async () => {
    const { tab } = origin();
    const a = tab();
    const b = tab({ maxWaitMs: 150 });
    expect(await a.seen.claim("bob", "w1")).toBe(true); // a lives and never hands it over
    const claim = b.seen.claim("bob", "w1");
    expect(await stillWaiting(claim, b.records)).toBe(true); // waiting, within the bound
    expect(await claim).toBe(true);
  });

  it("a second claim of an id in the same batch waits for the first (never a repeat): false once handed", async () => {
    const { tab } = origin();
    const a = tab({ maxWaitMs: 60_000 });
    const [first, second] = [a.seen.claim("bob", "d1"), a.seen.claim("bob", "d1")];
    expect(await first).toBe(true);
    expect(await stillWaiting(second, a.records)).toBe(true);
    await a.seen.handed("bob", ["d1"]);
    expect(await second).toBe(false);
  });

  it("a second claim of an id in the same batch is granted once the first is released", async () => {
    const { tab } = origin();
    const a = tab({ maxWaitMs: 60_000 });
    const [first, second] = [a.seen.claim("bob", "d2"), a.seen.claim("bob", "d2")];
    expect(await first).toBe(true);
    await a.seen.release("bob", ["d2"]);
    expect(await second).toBe(true);
  });

  it("closing lets go of the holder lock once its marks are written: another tab takes its unhanded ids at once", async () => {
    const { locks, tab } = origin();
    const a = tab();
    const b = tab({ maxWaitMs: 60_000 }); // only a's death can free k2 in time
    expect(await a.seen.claim("bob", "k1")).toBe(true);
    expect(await a.seen.claim("bob", "k2")).toBe(true);
    void a.seen.handed("bob", ["k1"]);
    a.seen.close();
    await expect.poll(() => locks.holders()).not.toContain(a.holder);
    expect(await b.seen.claim("bob", "k1")).toBe(false); // marked before the lock went
    expect(await b.seen.claim("bob", "k2")).toBe(true);
  });

  it("group commit: a burst of claims is one transaction, and its handed marks ride with the next burst's claims", async () => {
    const { tab } = origin();
    const a = tab();
    const ids = (from: number) => Array.from({ length: 200 }, (_, i) => `g${from + i}`);
    const first = await Promise.all(ids(0).map((id) => a.seen.claim("bob", id)));
    expect(first.every((x) => x === true)).toBe(true);
    expect(a.records.transactions).toBe(1);
    const marked = a.seen.handed("bob", ids(0));
    const second = await Promise.all([...ids(0), ...ids(200)].map((id) => a.seen.claim("bob", id)));
    await marked;
    expect(second).toEqual([...ids(0).map(() => false), ...ids(200).map(() => true)]);
    expect(a.records.transactions).toBe(2);
  });
});
