import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launch, newContext, openHarness, until } from "./browser.ts";

declare global {
  interface Window {
    store: Awaited<ReturnType<Window["harness"]["createOfflineStore"]>>;
  }
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function openStore(page: Page, prefer: "worker" | "page" | "auto" = "auto"): Promise<string> {
  return page.evaluate(async (prefer) => {
    window.store = await window.harness.createOfflineStore({ prefer, timeoutMs: 20_000 });
    return window.store.mode;
  }, prefer);
}

/** Each tab fires `n` single-message writes at once to bob; returns their statuses and errors. */
function writeMany(page: Page, tab: string, n: number) {
  return page.evaluate(
    async ({ tab, n }) => {
      const one = (i: number) =>
        `<message type='chat' from='alice@localhost/${tab}' to='bob@localhost' id='${tab}-${i}'><body>${tab} ${i}</body></message>`;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => window.store.write([one(i)])));
      return results.map(([r]) => (r!.status === "bounced" ? `bounced:${r!.error}` : r!.status));
    },
    { tab, n },
  );
}

const bodiesOf = (page: Page) =>
  page.evaluate(async () => (await window.store.list("bob@localhost")).map((m) => /<body>(.*?)<\/body>/.exec(m.stanza)![1]!));

/** The flows that must hold in worker mode and in page (fallback) mode alike. */
function sharedFlows(mode: "worker" | "page", options: () => Parameters<typeof newContext>[1]) {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await newContext(browser, options());
  });
  afterAll(async () => {
    await context?.close();
  });

  it(`reports ${mode} mode`, async () => {
    const page = await openHarness(context);
    expect(await openStore(page)).toBe(mode);
    await page.close();
  });

  it("two tabs write 150 each to one offline peer with limit 100: exactly 100 stored, 200 refused", async () => {
    const [a, b] = [await openHarness(context), await openHarness(context)];
    await Promise.all([openStore(a), openStore(b)]);
    await a.evaluate(() => window.store.removeUser("bob@localhost"));
    const [ra, rb] = await Promise.all([writeMany(a, "A", 150), writeMany(b, "B", 150)]);
    const all = [...ra, ...rb];
    expect(all.filter((s) => s === "stored")).toHaveLength(100);
    const refused = all.filter((s) => s.startsWith("bounced:"));
    expect(refused).toHaveLength(200);
    expect(refused.every((s) => s.includes("<resource-constraint xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"))).toBe(true);
    const stored = await bodiesOf(b);
    expect(stored).toHaveLength(100);
    expect(new Set(stored).size).toBe(100); // nothing doubled
    // What each tab was told was stored is exactly what is in the queue.
    const told = [...ra.map((s, i) => [s, `A ${i}`]), ...rb.map((s, i) => [s, `B ${i}`])].filter(([s]) => s === "stored").map(([, body]) => body);
    expect(new Set(stored)).toEqual(new Set(told));
    await Promise.all([a.close(), b.close()]);
  });

  it("the queue survives a reload", async () => {
    const page = await openHarness(context);
    await openStore(page);
    const before = await bodiesOf(page);
    expect(before.length).toBe(100);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === "true");
    expect(await openStore(page)).toBe(mode);
    expect(await bodiesOf(page)).toEqual(before);
    await page.close();
  });

  it("a malformed request gets an error reply and changes nothing", async () => {
    const page = await openHarness(context);
    await openStore(page);
    const errors = await page.evaluate(async () => {
      const bad = [
        "<message to='bob@localhost'><body>unclosed",
        "<message to='not a jid' type='chat'><body>x</body></message>",
        `<message to='bob@localhost' type='chat'><body>${"x".repeat(300_000)}</body></message>`,
      ];
      const out: string[] = [];
      for (const s of bad) out.push(await window.store.write([s]).then(() => "ok", (e: { code: string }) => e.code));
      out.push(await window.store.removeOlderThan(-5).then(() => "ok", (e: { code: string }) => e.code));
      return out;
    });
    expect(errors).toEqual(["malformed-stanza", "invalid-jid", "oversized-stanza", "invalid-request"]);
    expect(await bodiesOf(page)).toHaveLength(100);
    await page.close();
  });
}

describe("service worker mode", () => {
  let context: BrowserContext;
  sharedFlows("worker", () => ({}));

  beforeAll(async () => {
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
  });

  it("registers, activates and controls the page", async () => {
    const page = await openHarness(context);
    expect(await openStore(page, "worker")).toBe("worker");
    const controlled = await page.evaluate(async () => {
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      }
      return navigator.serviceWorker.controller!.scriptURL;
    });
    expect(controlled).toMatch(/\/sw\.js$/);
    await page.close();
  });

  it("precaches the app shell, so the demo and harness load from the worker", async () => {
    const page = await openHarness(context);
    await openStore(page, "worker");
    const cached = await page.evaluate(async () => {
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      }
      const names = await caches.keys();
      const urls: string[] = [];
      for (const n of names) for (const req of await (await caches.open(n)).keys()) urls.push(new URL(req.url).pathname);
      return urls;
    });
    expect(cached).toContain("/index.html");
    expect(cached).toContain("/test/e2e/harness.html");
    expect(cached.some((u) => /^\/assets\/.+\.js$/.test(u))).toBe(true);
    // Served by the worker from the precache, not by the server.
    const response = await page.goto("/index.html");
    expect(response!.fromServiceWorker()).toBe(true);
    await page.close();
  });

  it("answers a raw malformed or unknown request with a typed error, and changes nothing", async () => {
    const page = await openHarness(context);
    await openStore(page, "worker");
    await page.evaluate(() => window.store.write(["<message type='chat' to='carol@localhost'><body>keep</body></message>"]));
    const replies = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      const ask = (data: unknown) =>
        new Promise<unknown>((resolve) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = (m) => resolve(m.data);
          reg.active!.postMessage(data, [ch.port2]);
        });
      return Promise.all([
        ask("garbage"),
        ask({ protocol: "offline-edge/1", op: "dropEverything", args: [] }),
        ask({ protocol: "offline-edge/1", op: "write", args: [["<message/>"]] }),
        ask({ protocol: "offline-edge/0", op: "count", args: ["carol@localhost"] }),
        ask({ protocol: "offline-edge/1", op: "removeUser", args: [] }),
        ask({ protocol: "offline-edge/1", op: "configure", args: [{ mode: "sideways" }] }),
        ask({ protocol: "offline-edge/1", op: "configure", args: [{ access: { max_user_offline_messages: [{ acl: "all", value: -3 }] } }] }),
      ]);
    });
    for (const r of replies) expect(r).toMatchObject({ ok: false });
    // A bad write call fails on its own, inside a request that is otherwise well-formed.
    const badCall = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return new Promise<unknown>((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = (m) => resolve(m.data);
        reg.active!.postMessage({ protocol: "offline-edge/1", op: "write", args: [[[42]]] }, [ch.port2]);
      });
    });
    expect(badCall).toMatchObject({ ok: true, value: [{ ok: false, error: { code: "invalid-request" } }] });
    expect(replies.map((r) => (r as { error: { code: string } }).error.code)).toEqual([
      "invalid-request",
      "invalid-request",
      "invalid-request",
      "invalid-request",
      "invalid-request",
      "invalid-option",
      "invalid-option",
    ]);
    expect(await page.evaluate(() => window.store.count("carol@localhost"))).toBe(1);
    expect(await page.evaluate(() => window.store.limitOf("carol@localhost"))).toBe(100);
    await page.close();
  });

  it("the queue survives the worker being stopped", async () => {
    const page = await openHarness(context);
    await openStore(page, "worker");
    await page.evaluate(() => window.store.write(["<message type='chat' to='dave@localhost'><body>before stop</body></message>"]));
    const totals = () => page.evaluate(async () => (await window.store.metrics()).snapshot.counters);
    // Metric totals are saved by the store's flush (50 ms), not with each write: a worker stopped
    // inside that window may lose the last write's tally (README, Durability), never the message.
    const before = await totals();
    expect(before.stored).toBeGreaterThanOrEqual(1);
    const cdp = await context.newCDPSession(page);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    // The next request starts the worker again from nothing but IndexedDB.
    const listed = await page.evaluate(async () => (await window.store.list("dave@localhost")).length);
    expect(listed).toBe(1);
    expect(await page.evaluate(() => window.store.count("dave@localhost"))).toBe(1);
    const after = await totals();
    expect(after.stored).toBeGreaterThanOrEqual(before.stored - 1);
    expect(after.stored).toBeLessThanOrEqual(before.stored);
    await page.close();
  });

  it("an update to a new worker version takes over and loses nothing", async () => {
    const page = await openHarness(context);
    await openStore(page, "worker");
    const before = await page.evaluate(async () => (await window.store.queues()).map((q) => `${q.owner}:${q.count}`).sort());
    expect(before.length).toBeGreaterThan(0);
    const scripts = await page.evaluate(async () => {
      const old = (await navigator.serviceWorker.ready).active!.scriptURL;
      const changed = new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      // A new script URL for the same scope is a new version.
      window.store = await window.harness.createOfflineStore({ prefer: "worker", swUrl: "/sw.js?v=2" });
      await changed;
      return [old, navigator.serviceWorker.controller!.scriptURL];
    });
    expect(scripts[0]).toMatch(/\/sw\.js$/);
    expect(scripts[1]).toMatch(/\/sw\.js\?v=2$/);
    const after = await page.evaluate(async () => (await window.store.queues()).map((q) => `${q.owner}:${q.count}`).sort());
    expect(after).toEqual(before);
    await page.close();
  });
});

describe("a database an older version left (schema 4, a count row per queue), opened by the worker", () => {
  it("moves the counts into the tallies: counts, order, sequences and limits hold, the old store is gone", async () => {
    const context = await newContext(browser);
    try {
      const page = await openHarness(context);
      // As version 4 wrote it, before any worker of this version ran: bob 3 messages, carol 1.
      await page.evaluate(async () => {
        const { openDB, upgrade } = window.harness;
        const db = await openDB("offline-edge", 4, { upgrade: (d, old, _n, tx) => upgrade(d, old, tx, 4) });
        const packet = (to: string, body: string) => `<message xmlns='jabber:client' type='chat' from='alice@localhost/A' to='${to}'><body>${body}</body></message>`;
        const queued = [["bob@localhost", 5, "b5"], ["bob@localhost", 6, "b6"], ["bob@localhost", 9, "b9"], ["carol@localhost", 2, "c2"]] as const;
        for (const [owner, seq, body] of queued) await db.put("messages", { owner, ts: 1000, seq, id: body, from: "alice@localhost/A", expireAt: null, marker: null, packet: packet(owner, body) });
        await db.put("counts", { owner: "bob@localhost", count: 3, seq: 9 });
        await db.put("counts", { owner: "carol@localhost", count: 1, seq: 2 });
        await db.put("meta", { key: "rows-complete", value: true }); // as version 4 left it: every queue has its row
        db.close();
      });
      expect(await openStore(page, "worker")).toBe("worker");
      await page.evaluate(() => window.store.configure({ access: { max_user_offline_messages: [{ acl: "all", value: 4 }] } }));
      const queues = await page.evaluate(() => window.store.queues());
      expect(queues.map((q) => `${q.owner}:${q.count}`).sort()).toEqual(["bob@localhost:3", "carol@localhost:1"]);
      // The limit counts the migrated messages: one more fits, the next is refused.
      const write = () => page.evaluate(() => window.store.write(["<message type='chat' from='alice@localhost/A' to='bob@localhost'><body>new</body></message>"]).then(([r]) => r!.status));
      expect(await write()).toBe("stored");
      expect(await write()).toBe("bounced");
      expect(await bodiesOf(page)).toEqual(["b5", "b6", "b9", "new"]);
      // What the worker left on disk: no per-queue rows; bob's entry continues above his highest key.
      const disk = await page.evaluate(async () => {
        const db = await window.harness.openDB("offline-edge");
        const stores = [...db.objectStoreNames];
        const rows = await db.getAll("tallies");
        const mark = await db.get("meta", "rows-complete");
        db.close();
        return { stores, entries: Object.fromEntries(rows.flatMap((r) => [...r.queues])), mark: mark?.value };
      });
      expect(disk.stores).not.toContain("counts");
      expect(disk.mark).toBe(true);
      expect(disk.entries).toEqual({ "bob@localhost": { count: 4, seq: 10 }, "carol@localhost": { count: 1, seq: 2 } });
    } finally {
      await context.close();
    }
  });
});

describe("first visit: the store answers before precaching finishes", () => {
  it("a worker still installing (one precached file held back) stores and reads, then activates", async () => {
    const context = await newContext(browser);
    // The demo's stylesheet is precached but the harness page never loads it: holding it back
    // holds the worker's install (Chromium routes the worker's fetches through the context).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let heldSeen = false;
    await context.route(/\/assets\/index-[^/]+\.css$/, async (route) => {
      heldSeen = true;
      await held;
      await route.continue();
    });
    try {
      const page = await openHarness(context);
      const seen = await page.evaluate(async () => {
        // Short activation timeout: a store that waited for activation would fail here.
        const store = await window.harness.createOfflineStore({ prefer: "worker", activationTimeoutMs: 5000, timeoutMs: 20_000 });
        const [r] = await store.write(["<message type='chat' to='early@localhost'><body>early</body></message>"]);
        const reg = await navigator.serviceWorker.getRegistration();
        return { status: r!.status, count: await store.count("early@localhost"), active: reg?.active?.state ?? null, installing: reg?.installing?.state ?? null };
      });
      await until(() => heldSeen); // install is indeed held on that file (it may be asked for after the store answered)
      expect(seen).toEqual({ status: "stored", count: 1, active: null, installing: "installing" });
      release();
      const after = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        const store = await window.harness.createOfflineStore({ prefer: "worker" });
        return { active: reg.active?.state, count: await store.count("early@localhost") };
      });
      expect(after.count).toBe(1);
      expect(["activating", "activated"]).toContain(after.active);
    } finally {
      release();
      await context.close();
    }
  });
});

describe("fallback (page) mode, service workers blocked", () => {
  sharedFlows("page", () => ({ serviceWorkers: "block" }));
});
