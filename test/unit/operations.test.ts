import { describe, expect, it, vi } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { toOpenMetrics } from "../../src/core/openmetrics.ts";
import { summarize } from "../../src/core/metrics.ts";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { BACKENDS, bodies, chat, makeStore } from "./helpers.ts";

const DAY = 86_400_000;

describe.each(BACKENDS)("operations (%s)", (_name, backend) => {
  it("count, list without removing, and queues", async () => {
    const store = makeStore(backend(), { now: () => 5000 });
    await store.write([chat("bob@localhost", "1"), chat("bob@localhost", "2"), chat("carol@localhost", "3")]);
    expect(await store.count("Bob@LocalHost/any")).toBe(2);
    const listed = await store.list("bob@localhost");
    expect(bodies(listed)).toEqual(["1", "2"]);
    expect(listed[0]!.stanza).not.toContain("Offline Storage");
    expect(await store.count("bob@localhost")).toBe(2);
    const queues = (await store.queues()).sort((a, b) => a.owner.localeCompare(b.owner));
    expect(queues).toEqual([
      { owner: "bob@localhost", count: 2, oldest: 5000 },
      { owner: "carol@localhost", count: 1, oldest: 5000 },
    ]);
  });

  it("ack removes exactly the acked records: a consecutive run, a scattered few, and keys already gone", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } });
    await store.write(Array.from({ length: 12 }, (_, i) => chat("bob@localhost", `m${i}`)));
    await store.write([chat("carol@localhost", "c")]);
    const keys = (await store.peek("bob@localhost", 12)).map((m) => m.key);
    expect(await store.ack("bob@localhost", [keys[2]!, keys[0]!, keys[1]!])).toBe(3); // a run, out of order
    expect(bodies(await store.list("bob@localhost"))).toEqual(["m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11"]);
    // Two keys whose span holds seven others (more than twice the keys), then one whose span holds one other.
    expect(await store.ack("bob@localhost", [keys[3]!, keys[11]!])).toBe(2);
    expect(await store.ack("bob@localhost", [keys[5]!, keys[7]!, keys[3]!])).toBe(2); // keys[3] is gone already
    expect(bodies(await store.list("bob@localhost"))).toEqual(["m4", "m6", "m8", "m9", "m10"]);
    expect(await store.count("bob@localhost")).toBe(5);
    expect(await store.count("carol@localhost")).toBe(1);
  });

  it("removeUser empties one queue only", async () => {
    const store = makeStore(backend());
    await store.write([chat("bob@localhost"), chat("bob@localhost"), chat("carol@localhost")]);
    expect(await store.removeUser("bob@localhost")).toBe(2);
    expect(await store.count("bob@localhost")).toBe(0);
    expect(await store.count("carol@localhost")).toBe(1);
    expect((await store.queues()).map((q) => q.owner)).toEqual(["carol@localhost"]);
  });

  it("removeOlderThan(days) removes by message time", async () => {
    let now = 100 * DAY;
    const store = makeStore(backend(), { now: () => now });
    await store.write([chat("bob@localhost", "old")]);
    now += 3 * DAY;
    await store.write([chat("bob@localhost", "new")]);
    expect(await store.removeOlderThan(2)).toBe(1);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["new"]);
    await expect(store.removeOlderThan(-1)).rejects.toThrow(/days/);
  });

  it("removeOlderThan refuses a day count below 1 with a typed error, and deletes nothing", async () => {
    const store = makeStore(backend());
    await store.write([chat("bob@localhost", "a")]);
    for (const days of [0, 0.5, NaN, -1]) {
      await expect(store.removeOlderThan(days)).rejects.toMatchObject({ code: "invalid-request", message: expect.stringMatching(/>= 1/) });
    }
    expect(await store.count("bob@localhost")).toBe(1);
  });

  it("export gives everything stored for a user", async () => {
    const store = makeStore(backend(), { now: () => Date.parse("2026-01-01T00:00:00Z") });
    await store.write([chat("bob@localhost", "a", "<x xmlns='jabber:x:expire' seconds='60'/>")]);
    const out = await store.export("bob@localhost");
    expect(out.owner).toBe("bob@localhost");
    expect(out.exported).toBe("2026-01-01T00:00:00.000Z");
    expect(out.messages).toHaveLength(1);
    expect(out.messages[0]).toMatchObject({ from: "alice@localhost/web", expireAt: Date.parse("2026-01-01T00:01:00Z") });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it("events tell what happened", async () => {
    const store = makeStore(backend());
    const seen: string[] = [];
    const off = store.subscribe((e) => seen.push(e.type));
    await store.write([chat(), "<message type='headline' to='bob@localhost'><body>x</body></message>"]);
    await store.pop("bob@localhost");
    off();
    await store.write([chat()]);
    expect(seen).toEqual(["dropped", "stored", "popped"]);
  });
});

describe.each(BACKENDS)("metrics (%s)", (_name, backend) => {
  it("counts and times writes and pops, and renders OpenMetrics", async () => {
    const store = makeStore(backend());
    await store.write([chat(), chat(), "<message type='headline' to='bob@localhost'><body>x</body></message>"]);
    await store.pop("bob@localhost");
    const s = await store.metricsSnapshot();
    expect(s.counters).toMatchObject({ stored: 2, popped: 2, dropped: { type: 1 } });
    expect(s.histograms.write_messages.count).toBe(1);
    expect(s.histograms.pop_messages.count).toBe(1);
    expect(summarize(s.histograms.write_messages).p99).toBeGreaterThan(0);
    const text = toOpenMetrics(s, { queued_messages: 0 });
    expect(text).toContain("offline_edge_write_messages_seconds_count 1");
    expect(text).toContain("offline_edge_pop_messages_seconds_bucket{le=\"+Inf\"} 1");
    expect(text).toContain("offline_edge_stored_messages_total 2");
    expect(text).toContain("offline_edge_dropped_messages_total{reason=\"type\"} 1");
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
  });

  it("group-commits writes that arrive together", async () => {
    const b = backend();
    const spy = vi.spyOn(b, "write");
    const store = makeStore(b);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.write([chat()])));
    expect(results.flat().every((r) => r.status === "stored")).toBe(true);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    expect(await store.count("bob@localhost")).toBe(50);
  });
});

describe("indexeddb persistence", () => {
  it("keeps queues and metric totals across a reopen", async () => {
    const factory = new IDBFactory();
    const first = makeStore(new IndexedDBBackend({ factory, name: "p" }));
    await first.write([chat("bob@localhost", "kept")]);
    await first.pop("carol@localhost");
    await first.close();
    const second = makeStore(new IndexedDBBackend({ factory, name: "p" }));
    expect(bodies(await second.list("bob@localhost"))).toEqual(["kept"]);
    const m = await second.metricsSnapshot();
    expect(m.counters.stored).toBe(1);
    expect(m.histograms.write_messages.count).toBe(1);
    expect(m.histograms.pop_messages.count).toBe(1);
  });

  it("a pop reads a long queue in cursor batches and leaves other users alone", async () => {
    const factory = new IDBFactory();
    const b = new IndexedDBBackend({ factory, batchSize: 7 });
    const store = makeStore(b, { access: { max_user_offline_messages: [] } });
    await store.write(Array.from({ length: 50 }, (_, i) => chat("bob@localhost", `b${i}`)));
    await store.write([chat("bobby@localhost", "other"), chat("alice@localhost", "other")]);
    expect(bodies(await store.pop("bob@localhost"))).toEqual(Array.from({ length: 50 }, (_, i) => `b${i}`));
    expect(await store.count("bobby@localhost")).toBe(1);
    expect(await store.count("alice@localhost")).toBe(1);
  });

  it("opens a database another version left, without losing its queue", async () => {
    const factory = new IDBFactory();
    const a = new IndexedDBBackend({ factory, name: "v" });
    await makeStore(a).write([chat()]);
    // A second connection (a new worker version) opens the same database.
    const b = makeStore(new IndexedDBBackend({ factory, name: "v" }));
    expect(await b.count("bob@localhost")).toBe(1);
    expect(await makeStore(a).count("bob@localhost")).toBe(1);
  });
});

describe("dead letters, memory backend", () => {
  it("a letter whose key is taken again in its queue stays dead on retry, as IndexedDB's add refuses it", async () => {
    const b = new MemoryBackend();
    const store = makeStore(b);
    await store.write([chat("bob@localhost", "refused"), chat("bob@localhost", "next")]);
    const [first] = await store.peek("bob@localhost", 1);
    expect(await store.bury("bob@localhost", first!.key, { type: "cancel", condition: "not-allowed" })).toBe(true);
    // Something else now sits under that key (IndexedDB: a row put there by another writer).
    const queue = (b as unknown as { queues_: Map<string, Array<{ ts: number; seq: number }>> }).queues_.get("bob@localhost")!;
    queue.unshift({ ...(await b.read("bob@localhost", { now: Date.now() })).records[0]!, ts: first!.key[1], seq: first!.key[2] });
    expect(await store.retryDead("bob@localhost", [first!.key])).toBe(0);
    expect((await store.deadLetters("bob@localhost")).map((d) => d.record.id)).toEqual([first!.id]);
    // With the key free again, the retry puts it back in its place.
    queue.shift();
    expect(await store.retryDead("bob@localhost", [first!.key])).toBe(1);
    expect(bodies(await store.list("bob@localhost"))).toEqual(["refused", "next"]);
  });
});
