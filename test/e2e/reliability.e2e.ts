// Issue 9 in the real browser: a full disk, a crash of the browser, a row an older version could not read back.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject as inject_, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_ARGS, UNLIMITED, baseUrl, launch, newContext, openHarness, until } from "./browser.ts";
import type { Received } from "./chat-harness.ts";

declare global {
  interface Window {
    store: Awaited<ReturnType<Window["harness"]["createOfflineStore"]>>;
    /** Bodies the store said it stored, by label (the first word of the body). */
    kept: Record<string, string>;
    /** Writes one message per size to `to`; returns each one's status (`stored` or the bounce reason). */
    writeSized: (to: string, sizes: number[], extra?: string) => Promise<string[]>;
    /** Writes ever smaller random messages to `to` until even a tiny one is refused: the disk is full. */
    fill: (to: string) => Promise<number>;
  }
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** Installs the writers: bodies are a label then random base64, so IndexedDB's compression cannot shrink them. */
function installWriters(page: Page): Promise<void> {
  return page.evaluate(() => {
    window.kept = {};
    let n = 0;
    const random = (size: number) => {
      const bytes = new Uint8Array(Math.ceil((size * 3) / 4));
      for (let o = 0; o < bytes.length; o += 65_536) crypto.getRandomValues(bytes.subarray(o, o + 65_536));
      return btoa(String.fromCharCode(...bytes)).slice(0, size);
    };
    window.writeSized = async (to, sizes, extra = "") => {
      const bodies = sizes.map((s) => `k${n++} ${random(s)}`);
      const results = await window.store.write(
        bodies.map((b) => `<message type='chat' from='alice@localhost/q' to='${to}'><body>${b}</body>${extra}</message>`),
      );
      return results.map((r, i) => {
        if (r.status === "stored") window.kept[bodies[i]!.split(" ")[0]!] = bodies[i]!;
        return r.status === "bounced" ? r.reason : r.status;
      });
    };
    window.fill = async (to) => {
      let stored = 0;
      for (let size = 64_000, i = 0; size >= 8; i++) {
        if (i > 1_000) throw new Error("the disk never filled: is the quota override in effect?");
        const [status] = await window.writeSized(to, [size]);
        if (status === "stored") stored++;
        else if (status === "storage-full") size = Math.floor(size / 2);
        else throw new Error(`unexpected ${status}`);
      }
      return stored;
    };
  });
}

/**
 * Every queue: its count equals its rows, and every row reads back as exactly the body that was
 * stored. The count is the queue's entry in the tallies, read from the database itself; a queue
 * without an entry (dropped at quota, not yet put back) is counted from its keys, which is right
 * only while the mark that every queue has its entry is absent: else its count is -1.
 */
function audit(page: Page, owners: string[]) {
  return page.evaluate(async (owners) => {
    const out: Record<string, { count: number; rows: number; intact: number }> = {};
    const db = await window.harness.openDB("offline-edge");
    const [tallyRows, mark] = await Promise.all([db.getAll("tallies"), db.get("meta", "rows-complete")]);
    db.close();
    const entries = new Map(tallyRows.flatMap((r) => [...r.queues]));
    const listed = await window.store.queues();
    for (const owner of new Set([...owners, ...listed.map((q) => q.owner)])) {
      const rows = await window.store.list(owner);
      const intact = rows.filter((r) => {
        const body = /<body>(.*?)<\/body>/.exec(r.stanza)?.[1] ?? "";
        return window.kept[body.split(" ")[0]!] === body;
      }).length;
      const queued = listed.find((q) => q.owner === owner)?.count ?? 0;
      const entry = entries.get(owner);
      const count = entry ? entry.count : rows.length === 0 || !mark ? await window.store.count(owner) : -1;
      out[owner] = { count, rows: rows.length, intact: queued === rows.length ? intact : -1 };
    }
    return out;
  }, owners);
}

/** The harness in the context's first page (a new one if none), with the store in worker mode and no per-user limit. */
async function openStore(context: BrowserContext): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${baseUrl()}/test/e2e/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  expect(
    await page.evaluate(async (config) => {
      window.store = await window.harness.createOfflineStore({ prefer: "worker", timeoutMs: 30_000, config });
      return window.store.mode;
    }, UNLIMITED),
  ).toBe("worker");
  return page;
}

describe("at the storage quota (Storage.overrideQuotaForOrigin)", () => {
  let context: BrowserContext;
  let page: Page;
  const BOB = "bob@localhost";
  const CAROL = "carol@localhost";
  const DAVE = "dave@localhost";
  const SYBIL = "sybil@localhost"; // her count shares a row of tallies with bob's: a pass at quota over bob's queue drops both
  const ALL = [BOB, CAROL, DAVE, SYBIL];

  beforeAll(async () => {
    context = await newContext(browser);
    page = await context.newPage();
    page.on("pageerror", (e) => console.error("[page error]", e.message));
    // The quota is set before the origin stores anything, over a session on the page that stays
    // attached: Chromium drops the override when that session goes, and its IndexedDB keeps the
    // space it may still use in a cache that only a refused write refreshes, so an override set
    // after the first write is not seen at once. (Over the browser-wide session it answers
    // "Internal error".) navigator.storage.estimate() keeps reporting the default quota either way
    // (Chromium 156), so the test shows the override by what it does: writes are refused.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: baseUrl(), quotaSize: 4_000_000 });
    await openStore(context);
    await installWriters(page);
  });
  afterAll(async () => {
    await context?.close();
  });

  /** A small write for each of three queues is refused, each message with the storage-full reason. */
  async function expectFull(): Promise<void> {
    const before = await audit(page, ALL);
    const bounced = await page.evaluate(async () => {
      const to = ["bob@localhost", "carol@localhost", "dave@localhost"];
      const results = await window.store.write(to.map((t) => `<message type='chat' from='alice@localhost/q' to='${t}'><body>tiny</body></message>`));
      return results.map((r) => (r.status === "bounced" ? { reason: r.reason, error: r.error } : { reason: r.status, error: "" }));
    });
    expect(bounced.map((b) => b.reason)).toEqual(["storage-full", "storage-full", "storage-full"]);
    for (const b of bounced) {
      expect(b.error).toContain("<resource-constraint xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>");
      expect(b.error).toContain("Offline storage is full");
    }
    // Nothing changed.
    expect(await audit(page, ALL)).toEqual(before);
  }

  it("fills up: every write then bounces storage-full, and nothing stored is damaged", async () => {
    // carol: two messages from ten days ago (their <delay/> sets their time); dave: two that expire in 2 s.
    const old = `<delay xmlns='urn:xmpp:delay' stamp='${new Date(Date.now() - 10 * 86_400_000).toISOString()}'/>`;
    expect(await page.evaluate(({ to, old }) => window.writeSized(to, [20_000, 20_000], old), { to: CAROL, old })).toEqual(["stored", "stored"]);
    expect(await page.evaluate((to) => window.writeSized(to, [20_000, 20_000], "<x xmlns='jabber:x:expire' seconds='2'/>"), DAVE)).toEqual([
      "stored",
      "stored",
    ]);
    expect(await page.evaluate((to) => window.writeSized(to, [1_000, 1_000]), SYBIL)).toEqual(["stored", "stored"]);
    expect(await page.evaluate((to) => window.fill(to), BOB)).toBeGreaterThan(20);
    await expectFull();
    const a = await audit(page, ALL);
    for (const q of Object.values(a)) expect(q).toEqual({ count: q.rows, rows: q.rows, intact: q.rows });
  });

  it("a pop at quota hands out the oldest message and frees its space", async () => {
    const first = await page.evaluate(() => window.store.list("bob@localhost", 1).then(([m]) => m!.stanza));
    const before = await audit(page, [BOB, SYBIL]);
    const popped = await page.evaluate(() => window.store.pop("bob@localhost", 1));
    expect(popped).toHaveLength(1);
    expect(/<body>(.*?)<\/body>/.exec(popped[0]!.stanza)![1]).toBe(/<body>(.*?)<\/body>/.exec(first)![1]);
    const after = await audit(page, [BOB, SYBIL]);
    expect(after[BOB]).toEqual({ count: before[BOB]!.rows - 1, rows: before[BOB]!.rows - 1, intact: before[BOB]!.rows - 1 });
    expect(after[SYBIL]).toEqual({ count: 2, rows: 2, intact: 2 }); // dropped with bob's row, or put back
    // Not asserted: that a write fits right after one row's delete. Chromium's IndexedDB (LevelDB)
    // gives the space back at compaction, not at the delete; the purge test below shows writes
    // coming back once enough is freed.
  });

  it("an ack at quota deletes what was peeked", async () => {
    await page.evaluate((to) => window.fill(to), BOB);
    await expectFull();
    const rows = (await audit(page, [BOB]))[BOB]!.rows;
    const acked = await page.evaluate(async () => {
      const peeked = await window.store.peek("bob@localhost", 2);
      return window.store.ack("bob@localhost", peeked.map((m) => m.key));
    });
    expect(acked).toBe(2);
    expect((await audit(page, [BOB]))[BOB]).toEqual({ count: rows - 2, rows: rows - 2, intact: rows - 2 });
  });

  it("removeOlderThan, removeExpired and removeUser at quota free space; counters equal rows", async () => {
    await page.evaluate((to) => window.fill(to), BOB);
    await expectFull();
    expect(await page.evaluate(() => window.store.removeOlderThan(5))).toBe(2);
    expect((await audit(page, [CAROL]))[CAROL]).toEqual({ count: 0, rows: 0, intact: 0 });

    await page.evaluate((to) => window.fill(to), BOB);
    await expectFull();
    // dave's two messages expire 2 s after they were written: wait for that time, not for an event.
    const expireAt = await page.evaluate(() => window.store.list("dave@localhost").then((l) => Math.max(...l.map((m) => m.expireAt!))));
    await until(() => Date.now() > expireAt + 50, 30_000);
    expect(await page.evaluate(() => window.store.removeExpired())).toBe(2);
    expect((await audit(page, [DAVE]))[DAVE]).toEqual({ count: 0, rows: 0, intact: 0 });

    await page.evaluate((to) => window.fill(to), BOB);
    await expectFull();
    const rows = (await audit(page, [BOB]))[BOB]!.rows;
    expect(await page.evaluate(() => window.store.removeUser("bob@localhost"))).toBe(rows);
    expect(await audit(page, ALL)).toEqual({
      [BOB]: { count: 0, rows: 0, intact: 0 },
      [CAROL]: { count: 0, rows: 0, intact: 0 },
      [DAVE]: { count: 0, rows: 0, intact: 0 },
      [SYBIL]: { count: 2, rows: 2, intact: 2 },
    });
    // Space is back: a full-size write is stored, and counted.
    expect(await page.evaluate((to) => window.writeSized(to, [64_000, 64_000]), BOB)).toEqual(["stored", "stored"]);
    expect((await audit(page, [BOB]))[BOB]).toEqual({ count: 2, rows: 2, intact: 2 });
    // The refusals were counted as bounces for storage-full.
    const metrics = await page.evaluate(() => window.store.metrics());
    expect(metrics.snapshot.counters.bounced["storage-full"]).toBeGreaterThanOrEqual(5 * 3);
  });
});

describe("the browser is killed (SIGKILL) in the middle of a burst of writes", () => {
  let profile: string;
  beforeAll(() => {
    profile = mkdtempSync(join(tmpdir(), "offline-edge-crash-"));
  });
  afterAll(() => {
    rmSync(profile, { recursive: true, force: true });
  });

  /** Chromium on the profile kept in `profile` (a persistent context: the same disk after a restart). */
  const open = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
    });

  /** The browser process of this profile: the one started with its user-data-dir that is not a child (no --type). */
  function browserPid(): number {
    const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
    // Not the wrapper shell of Debian's /usr/bin/chromium, if it did not exec.
    const line = ps.split("\n").find((l) => l.includes(`--user-data-dir=${profile}`) && !l.includes("--type=") && !/^\s*\d+\s+\S*sh\s/.test(l));
    if (!line) throw new Error(`no browser process for ${profile}`);
    return Number(line.trim().split(/\s+/)[0]);
  }


  // Limit, seen by breaking the code: with writes told `stored` before their transaction commits
  // (IndexedDBBackend.write not awaiting tx.done) this test still passed in each of 3 variants tried: the commit
  // reaches the disk before the acknowledgement reaches Node and the kill. It guards against losses
  // that outlast that round trip (a lost commit, a counter kept apart from its rows, a broken reopen).
  it("every write the page was told is stored is there after a restart, and counters equal rows", async () => {
    const first = await open();
    const page = await openStore(first);
    const pid = browserPid(); // looked up now: at the kill, no time is lost
    const acked: string[] = [];
    const closed = new Promise((r) => first.once("close", r));
    // The kill comes in the very callback that brings the 1,000th acknowledgement: a write told
    // `stored` before its transaction committed has the least time to commit after all.
    let told: string[] = [];
    await page.exposeFunction("acked", (id: string) => {
      if (told.length) return;
      acked.push(id);
      if (acked.length < 1_000) return;
      told = [...acked];
      // The whole process group (Playwright starts Chromium detached, as its leader): the browser and
      // its storage service, renderers and worker, all at once, as a crash of the app would.
      process.kill(-pid, "SIGKILL");
    });
    // 16 writers, each a call of 4 messages at a time, without end: the kill lands among writes in flight,
    // group-committed together in transactions of some size.
    void page.evaluate(() => {
      const pad = "x".repeat(2_000);
      const writer = async (w: number) => {
        for (let i = 0; ; i += 4) {
          const ids = [0, 1, 2, 3].map((j) => `w${w}-${i + j}`);
          const results = await window.store.write(
            ids.map((id) => `<message type='chat' from='alice@localhost/c' to='bob@localhost' id='${id}'><body>${id}</body><subject>${pad}</subject></message>`),
          );
          results.forEach((r, j) => r.status === "stored" && void (window as unknown as { acked: (id: string) => Promise<void> }).acked(ids[j]!));
        }
      };
      for (let w = 0; w < 16; w++) void writer(w);
    }).catch(() => undefined);
    await until(() => told.length > 0);
    await closed;
    expect(told.length).toBe(1_000);

    const second = await open();
    try {
      const again = await openStore(second);
      const after = await again.evaluate(async () => {
        const rows = await window.store.list("bob@localhost");
        return {
          count: await window.store.count("bob@localhost"),
          queues: await window.store.queues(),
          ids: rows.map((m) => /<body>(.*?)<\/body>/.exec(m.stanza)![1]!),
          quarantined: (await window.store.quarantined()).length,
        };
      });
      const present = new Set(after.ids);
      expect(told.filter((id) => !present.has(id))).toEqual([]);
      expect(after.ids.length).toBe(new Set(after.ids).size); // nothing doubled
      expect(after.count).toBe(after.ids.length);
      expect(after.queues).toEqual([expect.objectContaining({ owner: "bob@localhost", count: after.ids.length })]);
      expect(after.quarantined).toBe(0);
    } finally {
      await second.close();
    }
  });
});

describe("a row an older version stored that cannot be read back, ahead of good ones", () => {
  // As versions before issue 9 stored `<></>` inside a body: the row does not parse again.
  const POISON = "<message type='chat' from='alice@localhost/old' to='TO'><body>hi</body><></></message>";

  /** Puts a record straight into the store's IndexedDB, with its count entry, as an older version wrote it. */
  function inject(page: Page, owner: string, id: string): Promise<void> {
    return page.evaluate(
      async ({ owner, id, packet }) => {
        const db = await new Promise<IDBDatabase>((ok, ko) => {
          const r = indexedDB.open("offline-edge");
          r.onsuccess = () => ok(r.result);
          r.onerror = () => ko(r.error);
        });
        await new Promise((ok, ko) => {
          const tx = db.transaction(["messages", "tallies"], "readwrite");
          const tallies = tx.objectStore("tallies");
          const shard = window.harness.shardOf(owner);
          tallies.get(shard).onsuccess = (e) => {
            type Row = { shard: number; queues: Map<string, { count: number; seq: number }> };
            const row = ((e.target as IDBRequest).result as Row | undefined) ?? { shard, queues: new Map() };
            const was = row.queues.get(owner) ?? { count: 0, seq: 0 };
            row.queues.set(owner, { count: was.count + 1, seq: was.seq + 1 });
            tallies.put(row);
            const record = { owner, ts: Date.now() - 60_000, seq: was.seq + 1, id, from: "alice@localhost/old", expireAt: null, marker: null, packet };
            tx.objectStore("messages").put(record);
          };
          tx.oncomplete = ok;
          tx.onabort = () => ko(tx.error);
        });
        db.close();
      },
      { owner, id, packet: POISON.replace("TO", owner) },
    );
  }

  for (const relay of ["mesh", "xmpp"] as const) {
    it(`${relay}: the good messages behind it are delivered, it is quarantined and counted`, async () => {
      const [ALICE, BOB] = relay === "mesh" ? ["alice@mesh.local", "bob@mesh.local"] : ["alice@localhost", "bob@localhost"];
      const service = relay === "xmpp" ? inject_("xmppWsUrl") : undefined;
      const aliceContext = await newContext(browser);
      const bobContext = relay === "mesh" ? aliceContext : await newContext(browser);
      try {
        const join = async (context: BrowserContext, self: string, sink?: Received[]) => {
          const page = await openHarness(context);
          if (sink) await page.exposeFunction("onReceived", (r: Received) => void sink.push(r));
          await page.evaluate(
            ({ self, relay, service }) => window.harness.startChat({ self, relay, service }).then((c) => void (window.chat = c)),
            { self, relay, service },
          );
          return page;
        };
        const alice = await join(aliceContext, ALICE);
        await inject(alice, BOB, "poison-1");
        const states = await alice.evaluate((to) => Promise.all(["good 1", "good 2", "good 3"].map((b) => window.chat.send(to, b))), BOB);
        expect(states.map((s) => s.state)).toEqual(["queued", "queued", "queued"]);
        expect(await alice.evaluate((to) => window.chat.store.count(to), BOB)).toBe(4);

        const got: Received[] = [];
        await join(bobContext, BOB, got);
        await until(() => got.length === 3);
        expect(got.map((r) => r.body)).toEqual(["good 1", "good 2", "good 3"]);
        await expect.poll(() => alice.evaluate((to) => window.chat.store.count(to), BOB), { timeout: 30_000 }).toBe(0);
        const aside = await alice.evaluate(async () => {
          const q = await window.chat.store.quarantined();
          return { rows: q.map((r) => ({ id: r.id, owner: r.owner, packet: r.packet, reason: typeof r.reason })), count: (await window.chat.store.metrics()).quarantined };
        });
        expect(aside).toEqual({ rows: [{ id: "poison-1", owner: BOB, packet: POISON.replace("TO", BOB), reason: "string" }], count: 1 });
        // Nothing else came to bob (the bad row was never sent).
        expect(got).toHaveLength(3);

        if (relay === "mesh") {
          // A pop (not the drain's peek and ack) goes past one too, and deletes only what it hands out.
          const CAROL = "carol@mesh.local";
          await inject(alice, CAROL, "poison-2");
          const popped = await alice.evaluate(async (to) => {
            const w = await window.chat.store.write(["c1", "c2"].map((b) => `<message type='chat' from='alice@mesh.local/x' to='${to}'><body>${b}</body></message>`));
            if (!w.every((r) => r.status === "stored")) throw new Error("not stored");
            const out = (await window.chat.store.pop(to)).map((m) => /<body>(.*?)<\/body>/.exec(m.stanza)![1]);
            return { out, count: await window.chat.store.count(to), quarantined: (await window.chat.store.quarantined()).map((r) => r.id).sort() };
          }, CAROL);
          expect(popped).toEqual({ out: ["c1", "c2"], count: 0, quarantined: ["poison-1", "poison-2"] });
        }
      } finally {
        await aliceContext.close();
        if (bobContext !== aliceContext) await bobContext.close();
      }
    });
  }
});
