import { afterEach, describe, expect, it, vi } from "vitest";
import type { Element } from "@xmpp/xml";
import { readMessage } from "../../src/core/stanza.ts";
import { Inbox, InboxClosedError } from "../../src/messaging/receive/inbox.ts";
import { MemorySeenIds, SeenIdsClosedError, openSeenIds, type SeenIds } from "../../src/messaging/receive/claims.ts";
import { IdbClaimRecords } from "../../src/storage/claims/indexeddb.ts";
import type { ClaimRecord } from "../../src/storage/claims/records.ts";
import { FakeRelay, bodyOf } from "./relay-helpers.ts";

const BOB = "bob@mesh.local";
const msg = (id: string | null, body = id ?? "anon") =>
  readMessage(`<message to='${BOB}' type='chat'><body>${body}</body>${id ? `<origin-id xmlns='urn:xmpp:sid:0' id='${id}'/>` : ""}</message>`);

const toClose: Array<{ close(): void }> = [];
afterEach(() => {
  for (const x of toClose.splice(0)) x.close();
  vi.unstubAllGlobals();
});

function inbox(relay: FakeRelay, seen: SeenIds, got: Element[], scope?: string) {
  const box = new Inbox({ relay, seen, scope });
  box.subscribe((el) => void got.push(el));
  toClose.push(box, seen);
  return box;
}

/**
 * Runs every timer and promise job there is, on a fake clock, until none is
 * left: whatever could happen has happened (the memory seen-set's only
 * clock is its pause before asking again).
 */
async function everythingDone(): Promise<void> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    await vi.runAllTimersAsync();
  } finally {
    vi.useRealTimers();
  }
}

/** Delivers like a relay does: every listener, then waits for what they return (the mesh acks after). */
async function deliver(relay: FakeRelay, el: Element): Promise<void> {
  await Promise.all(relay.messages.emit(el));
}

describe("inbox", () => {
  it("hands each origin-id over once, in arrival order; one without an origin-id always", async () => {
    const relay = new FakeRelay(BOB);
    const got: Element[] = [];
    const box = inbox(relay, openSeenIds({ name: `seen-${crypto.randomUUID()}` }), got);
    await Promise.all(["a", "b", "a", null, "c", "b", null].map((id) => deliver(relay, msg(id))));
    expect(got.map(bodyOf)).toEqual(["a", "b", "anon", "c", "anon"]);
    expect(box.stats).toEqual({ handed: 5, duplicates: 2 });
  });

  it("holds what arrives before the app listens, unclaimed, and hands it to the first listener", async () => {
    const relay = new FakeRelay(BOB);
    const seen = new MemorySeenIds();
    const box = new Inbox({ relay, seen });
    toClose.push(box, seen);
    let settled = false;
    const early = deliver(relay, msg("e1")).then(() => (settled = true));
    await everythingDone();
    expect(settled).toBe(false); // no ack to the sender while nobody could show it
    const got: Element[] = [];
    box.subscribe((el) => void got.push(el));
    await early;
    expect(got.map(bodyOf)).toEqual(["e1"]);
  });

  it("closed before a message's turn: it is not handed over, and the relay is told it was not taken", async () => {
    const relay = new FakeRelay(BOB);
    let claimed!: (grant: () => void) => void;
    const claiming = new Promise<() => void>((r) => (claimed = r));
    const slow: SeenIds = {
      claim: () => new Promise<boolean>((r) => claimed(() => r(true))),
      handed: async () => {},
      close: () => {},
    };
    const got: Element[] = [];
    const box = inbox(relay, slow, got);
    const taken = deliver(relay, msg("late"));
    const grant = await claiming;
    box.close(); // pagehide while the claim is still being written
    grant();
    await expect(taken).rejects.toThrow("closed");
    expect(got).toEqual([]);
    expect(box.stats).toEqual({ handed: 0, duplicates: 0 });
  });

  it("a pagehide that leaves the page closes the inbox: what is handed is marked, nothing more is handed, the rest is released", async () => {
    const page = new EventTarget();
    const seen = new MemorySeenIds({ maxWaitMs: 60_000 });
    toClose.push(seen);
    expect(await seen.claim(BOB, "m2")).toBe(true); // m2 is in another inbox's hand: the page's m2 and m3 wait behind it
    const relay = new FakeRelay(BOB);
    const box = new Inbox({ relay, seen, lifecycle: page });
    toClose.push(box);
    const got: string[] = [];
    box.subscribe((el) => void got.push(bodyOf(el)));
    page.dispatchEvent(Object.assign(new Event("pagehide"), { persisted: true })); // into the back/forward cache: it stays open
    await deliver(relay, msg("m1"));
    const waiting = [deliver(relay, msg("m2")), deliver(relay, msg("m3"))];
    await new Promise((r) => setTimeout(r, 0)); // m3's claim is granted, waiting its turn behind m2
    page.dispatchEvent(Object.assign(new Event("pagehide"), { persisted: false }));
    await Promise.all(waiting.map((t) => expect(t).rejects.toBeInstanceOf(InboxClosedError)));
    await expect(deliver(relay, msg("m4"))).resolves.toBeUndefined(); // no longer listening to the relay
    expect(got).toEqual(["m1"]);
    expect(await seen.claim(BOB, "m1")).toBe(false); // handed before the page hid: marked
    expect(await seen.claim(BOB, "m3")).toBe(true); // released: the next inbox takes it
  });

  it.each([
    ["memory", () => new MemorySeenIds()],
    ["IndexedDB", () => openSeenIds({ name: `seen-${crypto.randomUUID()}` })],
  ])("gives up the claim of a message it closed before handing over: another inbox on the set (%s) takes it", async (_, make) => {
    const seen = make();
    toClose.push(seen);
    const relay1 = new FakeRelay(BOB);
    const first = new Inbox({ relay: relay1, seen });
    first.subscribe(() => expect.unreachable("closed first"));
    const taken = deliver(relay1, msg("r1"));
    first.close(); // its claim of r1 is on its way
    await expect(taken).rejects.toThrow("closed");
    const relay2 = new FakeRelay(BOB);
    const got: Element[] = [];
    const second = new Inbox({ relay: relay2, seen });
    second.subscribe((el) => void got.push(el));
    toClose.push(second);
    await deliver(relay2, msg("r1")); // once: a claim still in the first inbox's hands waits, it is not a repeat
    expect(got.map(bodyOf)).toEqual(["r1"]);
    expect(second.stats).toEqual({ handed: 1, duplicates: 0 });
  });

  it("a claim of an id another inbox has in hand waits: a repeat once handed, fresh once released (memory)", async () => {
    const seen = new MemorySeenIds();
    expect(await seen.claim("s", "a")).toBe(true);
    expect(await seen.claim("s", "b")).toBe(true);
    const afterHanded = seen.claim("s", "a");
    const afterRelease = seen.claim("s", "b");
    await seen.handed("s", ["a"]);
    await seen.release("s", ["b"]);
    expect(await afterHanded).toBe(false);
    expect(await afterRelease).toBe(true);
    const waiting = seen.claim("s", "b");
    seen.close();
    await expect(waiting).rejects.toBeInstanceOf(SeenIdsClosedError);
  });

  it("closing gives up claims already granted to messages waiting their turn", async () => {
    const seen = new MemorySeenIds({ maxWaitMs: 60_000 }); // a claim left in hand would stall the test
    toClose.push(seen);
    expect(await seen.claim(BOB, "m1")).toBe(true); // someone else has m1 in hand: the first inbox's m1 waits
    let m2Granted!: () => void;
    const granted = new Promise<void>((r) => (m2Granted = r));
    const watched: SeenIds = {
      claim: (scope, id) => seen.claim(scope, id).finally(() => id === "m2" && m2Granted()),
      handed: (scope, ids) => seen.handed(scope, ids),
      release: (scope, ids) => seen.release(scope, ids),
      close: () => {},
    };
    const relay1 = new FakeRelay(BOB);
    const first = new Inbox({ relay: relay1, seen: watched });
    first.subscribe(() => expect.unreachable("nothing is handed before m1"));
    const taken = [deliver(relay1, msg("m1")), deliver(relay1, msg("m2"))];
    await granted; // m2 is claimed...
    await new Promise((r) => setTimeout(r, 0)); // ...and, once the promise jobs have run, decided, waiting behind m1
    first.close();
    await Promise.all(taken.map((t) => expect(t).rejects.toBeInstanceOf(InboxClosedError)));
    const relay2 = new FakeRelay(BOB);
    const got: Element[] = [];
    inbox(relay2, seen, got);
    await deliver(relay2, msg("m2"));
    expect(got.map(bodyOf)).toEqual(["m2"]);
  });

  it("a message the seen-set refuses (closed) is not confirmed, nor any behind it, so order holds", async () => {
    const relay = new FakeRelay(BOB);
    const closing: SeenIds = {
      claim: (_, id) => (id === "m1" ? Promise.reject(new SeenIdsClosedError()) : Promise.resolve(true)),
      handed: async () => {},
      close: () => {},
    };
    const got: Element[] = [];
    inbox(relay, closing, got);
    const results = await Promise.allSettled([deliver(relay, msg("m1")), deliver(relay, msg("m2"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(got).toEqual([]);
  });

  it("with no listener, messages wait for the next one instead of being confirmed unseen", async () => {
    const relay = new FakeRelay(BOB);
    const got: Element[] = [];
    const seen = new MemorySeenIds();
    const box = new Inbox({ relay, seen });
    toClose.push(box, seen);
    box.subscribe(() => undefined)(); // listened once, then stopped
    let settled = false;
    const taken = deliver(relay, msg("w1")).then(() => (settled = true));
    await everythingDone();
    expect(settled).toBe(false);
    box.subscribe((el) => void got.push(el));
    await taken;
    expect(got.map(bodyOf)).toEqual(["w1"]);
  });

  it("closed before anyone listened: what arrived is refused, not left waiting", async () => {
    const relay = new FakeRelay(BOB);
    const box = new Inbox({ relay, seen: new MemorySeenIds() });
    const early = deliver(relay, msg("e1"));
    box.close();
    await expect(early).rejects.toBeInstanceOf(InboxClosedError);
  });

  it("remembers across a reload (IndexedDB)", async () => {
    const name = `seen-${crypto.randomUUID()}`;
    const got: Element[] = [];
    const relay1 = new FakeRelay(BOB);
    inbox(relay1, openSeenIds({ name }), got);
    await deliver(relay1, msg("x1"));
    for (const x of toClose.splice(0)) x.close();
    const relay2 = new FakeRelay(BOB);
    const again = inbox(relay2, openSeenIds({ name }), got);
    await deliver(relay2, msg("x1"));
    await deliver(relay2, msg("x2"));
    expect(got.map(bodyOf)).toEqual(["x1", "x2"]);
    expect(again.stats.duplicates).toBe(1);
  });

  it("tabs sharing a scope hand a message over once between them", async () => {
    const name = `seen-${crypto.randomUUID()}`;
    const got1: Element[] = [];
    const got2: Element[] = [];
    const [r1, r2] = [new FakeRelay(BOB), new FakeRelay(BOB)];
    inbox(r1, openSeenIds({ name }), got1);
    inbox(r2, openSeenIds({ name }), got2);
    await Promise.all([deliver(r1, msg("same")), deliver(r2, msg("same"))]);
    expect(got1.length + got2.length).toBe(1);
    // A tab with a scope of its own shows it as well.
    const got3: Element[] = [];
    const r3 = new FakeRelay(BOB);
    inbox(r3, openSeenIds({ name }), got3, "bob@mesh.local#tab3");
    await deliver(r3, msg("same"));
    expect(got3.map(bodyOf)).toEqual(["same"]);
  });

  it("forgets the oldest ids past the bound (memory and IndexedDB)", async () => {
    const mem = new MemorySeenIds({ maxPerScope: 3 });
    for (const id of ["1", "2", "3", "4"]) {
      expect(await mem.claim("s", id)).toBe(true);
      await mem.handed("s", [id]);
    }
    expect(await mem.claim("s", "1")).toBe(true); // evicted, so new again
    expect(await mem.claim("s", "4")).toBe(false);
    expect(await mem.claim("other", "4")).toBe(true); // scopes are apart

    const idb = openSeenIds({ name: `seen-${crypto.randomUUID()}`, maxPerScope: 3 });
    toClose.push(idb);
    for (let i = 1; i <= 70; i++) {
      expect(await idb.claim("s", `id${i}`)).toBe(true);
      await idb.handed("s", [`id${i}`]);
    }
    expect(await idb.claim("s", "id70")).toBe(false);
    expect(await idb.claim("s", "id1")).toBe(true); // evicted long ago
  });

  it("IndexedDB claim records: a trim keeps exactly the newest maxPerScope claims of the scope written, and no other scope's", async () => {
    const records = new IdbClaimRecords(`seen-${crypto.randomUUID()}`, { maxPerScope: 5 });
    const of = (scope: string, n: number): ClaimRecord[] => Array.from({ length: n }, (_, i) => ({ scope, id: `id${i}`, at: 1000 + i }));
    const read = async (recs: ClaimRecord[]) => {
      let found: Array<ClaimRecord | undefined> = [];
      await records.transact([], recs.map((r) => [r.scope, r.id] as const), (f) => ((found = f), null));
      return found.map((r) => r?.id ?? null);
    };
    try {
      // Claims, as the engine writes them (what `decide` returns); a fresh store checks its bound at its first write to a scope.
      const claim = (recs: ClaimRecord[]) => records.transact([], [], () => ({ put: recs, delete: [] }));
      await claim(of("other", 3));
      // Three transactions: the bound is checked at the first (2 ids, under it), then past 64 more ids (at the third).
      const s = of("s", 75);
      for (const part of [s.slice(0, 2), s.slice(2, 5), s.slice(5)]) await claim(part);
      expect(await read(s)).toEqual([...Array<null>(70).fill(null), "id70", "id71", "id72", "id73", "id74"]);
      // The rest of a partly forgotten transaction goes first at the next trim.
      const more = Array.from({ length: 70 }, (_, i) => ({ scope: "s", id: `id${75 + i}`, at: 2000 + i }));
      await claim(more);
      expect((await read([...s, ...more])).filter((id) => id !== null)).toEqual(["id140", "id141", "id142", "id143", "id144"]);
      expect(await read(of("other", 3))).toEqual(["id0", "id1", "id2"]);
    } finally {
      records.close();
    }
  });

  it("IndexedDB claim records of schema v1 (one record an id) move into the log of v2, and are forgotten oldest first by their age", async () => {
    const name = `seen-${crypto.randomUUID()}`;
    const v1 = [
      { scope: "s", id: "a", at: 3 },
      { scope: "s", id: "b", at: 1, holder: "h1" },
      { scope: "s", id: "c", at: 2 },
      { scope: "t", id: "z", at: 0 },
    ];
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore("seen", { keyPath: ["scope", "id"] }).createIndex("byAge", ["scope", "at"]);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction("seen", "readwrite");
        for (const r of v1) tx.objectStore("seen").put(r);
        tx.oncomplete = () => (open.result.close(), resolve());
      };
    });
    const records = new IdbClaimRecords(name, { maxPerScope: 2 });
    try {
      let found: Array<ClaimRecord | undefined> = [];
      // Read with the bound of 2: the oldest by age (b) is forgotten; a claim of d then forgets c.
      await records.transact([], [["s", "a"], ["s", "b"], ["s", "c"], ["t", "z"]], (f) => ((found = f), { put: [{ scope: "s", id: "d", at: 4 }], delete: [] }));
      expect(found).toEqual([v1[0], undefined, v1[2], v1[3]]);
      await records.transact([], [["s", "a"], ["s", "b"], ["s", "c"], ["s", "d"], ["t", "z"]], (f) => ((found = f), null));
      expect(found.map((r) => r?.id ?? null)).toEqual(["a", null, null, "d", "z"]);
    } finally {
      records.close();
    }
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    expect([db.version, [...db.objectStoreNames]]).toEqual([2, ["log"]]);
    db.close();
  });

  it("falls back to memory without IndexedDB", () => {
    vi.stubGlobal("indexedDB", undefined);
    expect(openSeenIds()).toBeInstanceOf(MemorySeenIds);
  });

  it("hands over when the seen-set fails (a rare repeat is the lesser harm than a lost message)", async () => {
    const broken: SeenIds = {
      claim: () => Promise.reject(new Error("disk full")),
      handed: () => Promise.reject(new Error("disk full")),
      close: () => {},
    };
    const relay = new FakeRelay(BOB);
    const got: Element[] = [];
    inbox(relay, broken, got);
    await deliver(relay, msg("k"));
    await deliver(relay, msg("k"));
    expect(got).toHaveLength(2);
  });
});
