// The handed journal (src/messaging/receive/handed-journal.ts): what it reads back from a
// localStorage that other code (or an older version, or a bug) also writes to.
import { describe, expect, it } from "vitest";
import { HandedJournal, defaultJournalStorage, type JournalStorage } from "../../src/messaging/receive/handed-journal.ts";

/** A Storage over a Map, in insertion order; `failing` makes every call throw (blocked storage). */
function memoryStorage(failing = { on: false }): JournalStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  const guard = () => {
    if (failing.on) throw new DOMException("blocked", "SecurityError");
  };
  return {
    map,
    get length() {
      guard();
      return map.size;
    },
    key: (i) => (guard(), [...map.keys()][i] ?? null),
    getItem: (k) => (guard(), map.get(k) ?? null),
    setItem: (k, v) => (guard(), void map.set(k, String(v))),
    removeItem: (k) => (guard(), void map.delete(k)),
  };
}

describe("handed journal", () => {
  it("each handover batch is its own entry, read back by holder and scope, and gone once committed", () => {
    const storage = memoryStorage();
    const j = new HandedJournal(storage, "h1");
    const first = j.add("bob", ["a", "b"]);
    const second = j.add("carol", ["c"]);
    expect(first).not.toBe(second);
    expect([HandedJournal.has(storage, "h1", "bob", "b"), HandedJournal.has(storage, "h1", "carol", "c")]).toEqual([true, true]);
    expect([HandedJournal.has(storage, "h1", "carol", "a"), HandedJournal.has(storage, "h2", "bob", "a")]).toEqual([false, false]);
    j.committed(first);
    expect(HandedJournal.has(storage, "h1", "bob", "a")).toBe(false);
    expect(HandedJournal.has(storage, "h1", "carol", "c")).toBe(true);
    j.committed(null); // an entry storage refused: nothing to remove
    expect(storage.map.size).toBe(1);
  });

  it("skips what is not a journal entry: other keys, other holders, and entries that do not parse or have the wrong shape", () => {
    const storage = memoryStorage();
    storage.setItem("app:setting", JSON.stringify(["bob", ["x"]]));
    storage.setItem("offline-edge:handed:h1:1", "{not json");
    storage.setItem("offline-edge:handed:h1:2", JSON.stringify({ scope: "bob", ids: ["x"] }));
    storage.setItem("offline-edge:handed:h1:3", JSON.stringify([7, ["x"]]));
    storage.setItem("offline-edge:handed:h1:4", JSON.stringify(["bob", "x"]));
    storage.setItem("offline-edge:handed:h1:5", JSON.stringify(["bob", ["x", 9]]));
    storage.setItem("offline-edge:handed:h10:1", JSON.stringify(["bob", ["x"]])); // h10 is not h1
    expect(HandedJournal.has(storage, "h1", "bob", "x")).toBe(false);
    storage.setItem("offline-edge:handed:h1:6", JSON.stringify(["bob", ["x"]]));
    expect(HandedJournal.has(storage, "h1", "bob", "x")).toBe(true);
    // Orphans: every holder not live, entries that read back only; drop() removes exactly those.
    const orphans = HandedJournal.orphans(storage, new Set(["h1"]));
    expect(orphans.entries).toEqual([["bob", ["x"]]]);
    orphans.drop();
    expect(storage.map.has("offline-edge:handed:h10:1")).toBe(false);
    expect(storage.map.size).toBe(7);
  });

  it("storage that refuses access reads as empty and writes nothing, without throwing", () => {
    const failing = { on: false };
    const storage = memoryStorage(failing);
    const j = new HandedJournal(storage, "h1");
    const key = j.add("bob", ["a"]);
    failing.on = true;
    expect(j.add("bob", ["b"])).toBeNull();
    expect(HandedJournal.has(storage, "h1", "bob", "a")).toBe(false);
    expect(HandedJournal.orphans(storage, new Set()).entries).toEqual([]);
    expect(() => j.committed(key)).not.toThrow();
    failing.on = false;
    expect(HandedJournal.has(storage, "h1", "bob", "a")).toBe(true); // left behind, for a later tab to fold in
  });

  it("defaults to the page's localStorage, and to none where there is none or it is blocked", () => {
    expect(defaultJournalStorage()).toBeNull(); // Node: no localStorage
    const storage = memoryStorage();
    Object.defineProperty(globalThis, "localStorage", { value: storage, configurable: true });
    try {
      expect(defaultJournalStorage()).toBe(storage);
      Object.defineProperty(globalThis, "localStorage", { get: () => { throw new DOMException("blocked", "SecurityError"); }, configurable: true });
      expect(defaultJournalStorage()).toBeNull();
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});
