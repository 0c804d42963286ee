// The IndexedDB seen-id set across tabs that live, die mid-handover, or
// hand over: Node has neither Web Locks nor localStorage, so each test gives
// the set a small in-process stand-in for both (the browser tests use the
// real ones).
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IdbSeenIds, type HolderLocks, type IdbSeenIdsOptions } from "../../src/messaging/receive/claims.ts";
import { HandedJournal, type JournalStorage } from "../../src/messaging/receive/handed-journal.ts";
import { SeenIdsClosedError } from "../../src/messaging/receive/claims.ts";

const HOLDER_LOCK = "offline-edge:seen-holder:";

/** Web Locks within one process: a held lock is listed until its callback settles or its tab is killed. */
class ProcessLocks {
  readonly held = new Set<string>();
  async request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    this.held.add(name);
    try {
      return await callback();
    } finally {
      this.held.delete(name);
    }
  }
  async query(): Promise<{ held: Array<{ name: string }> }> {
    return { held: [...this.held].map((name) => ({ name })) };
  }
  /** The holder ids of live seen-sets, oldest first. */
  holders(): string[] {
    return [...this.held].filter((n) => n.startsWith(HOLDER_LOCK)).map((n) => n.slice(HOLDER_LOCK.length));
  }
  /** A tab dies: the browser lets go of its locks. */
  kill(holder: string): void {
    this.held.delete(HOLDER_LOCK + holder);
  }
}

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

const open: IdbSeenIds[] = [];
afterEach(() => open.splice(0).forEach((s) => s.close()));

/** One origin: a database, its Web Locks and its localStorage; `tab()` opens a seen-set in a new tab and returns its holder id. */
function origin() {
  const name = `seen-${crypto.randomUUID()}`;
  const locks = new ProcessLocks();
  const storage = new MapStorage();
  const tab = (extra: Partial<IdbSeenIdsOptions> = {}) => {
    const seen = new IdbSeenIds({ name, maxPerScope: 100, locks: locks as unknown as HolderLocks, journal: storage, ...extra });
    open.push(seen);
    return { seen, holder: locks.holders().at(-1)! };
  };
  return { locks, storage, tab };
}

/** Whether a promise has settled after the current turn of work. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, 30));
  return done;
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
  });

  it("an id held by a live tab waits for it: false once that tab hands it over, true if it dies first", async () => {
    const { locks, tab } = origin();
    const a = tab();
    const b = tab();
    expect(await a.seen.claim("bob", "h1")).toBe(true);
    expect(await a.seen.claim("bob", "h2")).toBe(true);
    const handedThenAsked = b.seen.claim("bob", "h1");
    const diedThenAsked = b.seen.claim("bob", "h2");
    expect(await settled(handedThenAsked)).toBe(false); // undecided while a lives
    await a.seen.handed("bob", ["h1"]);
    expect(await handedThenAsked).toBe(false);
    expect(await settled(diedThenAsked)).toBe(false);
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
    expect(await b.seen.claim("bob", "other")).toBe(true); // opens the database, which folds a's journal
    await vi.waitFor(() => expect(storage.length).toBe(0));
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
    expect(await settled(handedMeanwhile)).toBe(false);
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
    expect(await settled(waiting)).toBe(false);
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
    expect(await settled(claim)).toBe(false); // waiting, within the bound
    expect(await claim).toBe(true);
  });
});
