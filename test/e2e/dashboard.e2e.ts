import { mkdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { launch, newContext, openHarness } from "./browser.ts";

// The <offline-dashboard> element against the real service-worker store, driven as a person would:
// what is asserted is the text on screen, found by role and name.

declare global {
  interface Window {
    dashStore: Awaited<ReturnType<Window["harness"]["createOfflineStore"]>>;
    dashCalls: { metrics: number };
    __xss?: unknown;
  }
}

const ARTIFACTS = resolve(import.meta.dirname, "../../test-results");
const POLL = { timeout: 15_000, interval: 50 };

let browser: Browser;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
  context = await newContext(browser, { viewport: { width: 1100, height: 1000 } });
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

/** Opens the harness with a worker store and a dashboard on it; metrics() calls are counted. */
async function openDashboard(): Promise<{ page: Page; dash: Locator }> {
  const page = await openHarness(context);
  await page.evaluate(async () => {
    const store = await window.harness.createOfflineStore({ prefer: "worker", timeoutMs: 20_000 });
    window.dashStore = store;
    window.dashCalls = { metrics: 0 };
    // The dashboard sees the store through a wrapper that counts metrics() calls.
    const counted = new Proxy(store, {
      get(target, key) {
        if (key === "metrics") return () => (window.dashCalls.metrics++, target.metrics());
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    window.harness.defineOfflineDashboard();
    window.harness.defineOfflineDashboard(); // idempotent
    const el = document.createElement("offline-dashboard");
    el.store = counted;
    document.body.append(el);
  });
  return { page, dash: page.locator("offline-dashboard") };
}

const chat = (to: string, body: string, extra = "") =>
  `<message type='chat' from='alice@localhost/laptop' to='${to}'><body>${body}</body>${extra}</message>`;

/** Writes `n` messages one call after another (so the write histogram counts each). */
function writeSequentially(page: Page, to: string, n: number): Promise<void> {
  return page.evaluate(
    async ({ n, stanza }) => {
      for (let i = 0; i < n; i++) await window.dashStore.write([stanza.replace("#", String(i))]);
    },
    { n, stanza: chat(to, "message #") },
  );
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A peer's row in the queue table. */
const row = (dash: Locator, peer: string) => dash.getByRole("row", { name: new RegExp(escapeRe(peer)) }).first();

/** Waits until a queue row shows exactly this depth text, e.g. "3 / 100". */
async function depthShows(dash: Locator, peer: string, text: string): Promise<void> {
  await row(dash, peer).getByText(text, { exact: true }).waitFor({ timeout: POLL.timeout });
}

/** The value under a labelled figure (a <dt>/<dd> pair) inside a region. */
const figure = (scope: Locator, label: string) => scope.locator(`dt:text-is("${label}") + dd`);

const writeCount = (page: Page) => page.evaluate(async () => (await window.dashStore.metrics()).snapshot.histograms.write_messages.count);
const popCount = (page: Page) => page.evaluate(async () => (await window.dashStore.metrics()).snapshot.histograms.pop_messages.count);

describe("<offline-dashboard> on the service worker store", () => {
  it("shows queue depth rise with writes and fall to zero on pop, with histogram counts", async () => {
    const { page, dash } = await openDashboard();
    const writes0 = await writeCount(page);
    const pops0 = await popCount(page);
    const writeRegion = dash.getByRole("region", { name: "Write latency" });
    const popRegion = dash.getByRole("region", { name: "Pop latency" });

    await writeSequentially(page, "bob@localhost", 3);
    await depthShows(dash, "bob@localhost", "3 / 100");
    await writeSequentially(page, "bob@localhost", 4);
    await depthShows(dash, "bob@localhost", "7 / 100");
    await expect.poll(() => figure(writeRegion, "Count").textContent(), POLL).toBe(String(writes0 + 7));
    // p50/p95/p99 are shown as latencies.
    expect(await figure(writeRegion, "p95").textContent()).toMatch(/^[\d.]+ (µs|ms|s)$/);
    await page.screenshot({ path: resolve(ARTIFACTS, "dashboard-queued.png"), fullPage: true });

    const popped = await page.evaluate(async () => (await window.dashStore.pop("bob@localhost")).length);
    expect(popped).toBe(7);
    await depthShows(dash, "bob@localhost", "0 / 100");
    await expect.poll(() => figure(popRegion, "Count").textContent(), POLL).toBe(String(pops0 + 1));
    expect(await figure(writeRegion, "Count").textContent()).toBe(String(writes0 + 7));
    const totals = dash.getByLabel("Totals");
    expect(Number(await figure(totals, "Popped").textContent())).toBeGreaterThanOrEqual(7);
    // The log shows the drain, newest first.
    const log = dash.getByRole("list", { name: /Recent store events/ });
    await expect.poll(() => log.locator("li").first().textContent(), POLL).toMatch(/Drained.*bob@localhost.*7 messages/);
    await page.close();
  });

  it("renders a hostile body, sender and owner as text, and runs nothing", async () => {
    const { page, dash } = await openDashboard();
    const owner = "onerror=window.__xss=3;img@localhost"; // as hostile as a valid localpart gets
    const body = `<img src=x onerror="window.__xss=1">`;
    const sender = `alice@localhost/<img src=x onerror=window.__xss=2>`;
    const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
    await page.evaluate((s) => window.dashStore.write([s]), `<message type='chat' from='${escape(sender)}' to='${owner}'><body>${escape(body)}</body></message>`);
    await depthShows(dash, owner, "1 / 100");
    await dash.getByRole("button", { name: `Show messages for ${owner}` }).click();
    await dash.getByText(body, { exact: true }).waitFor({ timeout: POLL.timeout });
    await dash.getByText(sender, { exact: true }).waitFor({ timeout: POLL.timeout });
    expect(await dash.getByRole("button", { name: `Hide messages for ${owner}` }).getAttribute("aria-expanded")).toBe("true");
    await page.screenshot({ path: resolve(ARTIFACTS, "dashboard-xss-preview.png"), fullPage: true });
    const found = await page.evaluate(() => {
      const root = document.querySelector("offline-dashboard")!.shadowRoot!;
      return { imgs: root.querySelectorAll("img").length + document.querySelectorAll("img").length, xss: window.__xss };
    });
    expect(found).toEqual({ imgs: 0, xss: undefined });
    await page.close();
  });

  it("shows any store's data as text: an owner that is markup, from a stand-in store", async () => {
    const page = await openHarness(context);
    const owner = `<img src=x onerror="window.__xss=4">@evil`;
    await page.evaluate((owner) => {
      const buckets = () => ({ counts: [] as number[], sum: 0, count: 0 });
      let listener: ((e: unknown) => void) | null = null;
      // A minimal OfflineStoreApi stand-in: any store implementation may hand the dashboard anything.
      const fake = {
        mode: "page",
        metrics: async () => ({
          snapshot: {
            counters: { stored: 2, popped: 0, expired: 0, requeued: 0, bounced: { [owner]: 1 }, dropped: {} },
            histograms: { write_messages: buckets(), pop_messages: buckets() },
          },
          openMetrics: "# EOF\n",
          queues: [{ owner, count: 2, oldest: Date.now() - 90_000 }],
          limits: { [owner]: null },
        }),
        list: async () => [{ key: ["", 0, 0], id: "1", from: owner, ts: Date.now(), expireAt: null, stanza: "<message><body>&lt;script&gt;window.__xss=5&lt;/script&gt;</body></message>" }],
        subscribe: (l: (e: unknown) => void) => ((listener = l), () => (listener = null)),
      };
      // Set up before the tag is defined: the element adopts `store` when it upgrades.
      const el = document.createElement("offline-dashboard");
      el.store = fake as unknown as typeof el.store;
      document.body.append(el);
      window.harness.defineOfflineDashboard();
      setTimeout(() => listener?.({ type: "stored", owner, ids: ["1"] }), 0);
    }, owner);
    const dash = page.locator("offline-dashboard");
    await depthShows(dash, owner, "2 / ∞");
    await row(dash, owner).getByText("1 min", { exact: true }).waitFor({ timeout: POLL.timeout });
    await dash.getByRole("button", { name: `Show messages for ${owner}` }).click();
    await dash.getByText("<script>window.__xss=5</script>", { exact: true }).waitFor({ timeout: POLL.timeout });
    await dash.getByRole("list", { name: /Recent store events/ }).getByText(owner, { exact: true }).waitFor({ timeout: POLL.timeout });
    await dash.getByRole("region", { name: "Bounces by reason" }).getByText(owner, { exact: true }).waitFor({ timeout: POLL.timeout });
    const found = await page.evaluate(() => ({
      imgs: document.querySelector("offline-dashboard")!.shadowRoot!.querySelectorAll("img, script").length,
      xss: window.__xss,
    }));
    expect(found).toEqual({ imgs: 0, xss: undefined });
    await page.close();
  });

  it("purges expired messages", async () => {
    const { page, dash } = await openDashboard();
    // Sent 1 s ago with a 3 s lifetime: stored now (a 2 s margin for a loaded machine), expired 2 s later.
    const sent = Date.now() - 1000;
    const expiring = chat("erin@localhost", "short-lived", `<delay xmlns='urn:xmpp:delay' stamp='${new Date(sent).toISOString()}'/><x xmlns='jabber:x:expire' seconds='3'/>`);
    const [result] = await page.evaluate((s) => window.dashStore.write([s]), expiring);
    expect(result!.status).toBe("stored");
    await depthShows(dash, "erin@localhost", "1 / 100");
    await page.waitForFunction((t) => Date.now() > t, sent + 3000, { timeout: 10_000 });
    await dash.getByRole("button", { name: "Purge expired" }).click();
    await dash.getByRole("status").getByText("Purged 1 expired message.", { exact: true }).waitFor({ timeout: POLL.timeout });
    await depthShows(dash, "erin@localhost", "0 / 100");
    expect(await page.evaluate(() => window.dashStore.count("erin@localhost"))).toBe(0);
    await page.close();
  });

  it("clears a queue only after the confirmation inside the element", async () => {
    const { page, dash } = await openDashboard();
    await writeSequentially(page, "frank@localhost", 2);
    await depthShows(dash, "frank@localhost", "2 / 100");
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });

    await dash.getByRole("button", { name: "Clear frank@localhost" }).click();
    const confirm = dash.getByRole("button", { name: "Confirm clear frank@localhost" });
    await confirm.waitFor();
    expect(await confirm.evaluate((b) => b.getRootNode() instanceof ShadowRoot && (b.getRootNode() as ShadowRoot).activeElement === b)).toBe(true);
    await page.screenshot({ path: resolve(ARTIFACTS, "dashboard-confirm-clear.png"), fullPage: true });
    // The first click cleared nothing.
    expect(await page.evaluate(() => window.dashStore.count("frank@localhost"))).toBe(2);
    await dash.getByRole("button", { name: "Cancel clearing frank@localhost" }).click();
    await dash.getByRole("button", { name: "Clear frank@localhost" }).waitFor();
    expect(await confirm.isVisible()).toBe(false);
    expect(await page.evaluate(() => window.dashStore.count("frank@localhost"))).toBe(2);

    await dash.getByRole("button", { name: "Clear frank@localhost" }).click();
    await confirm.click();
    await depthShows(dash, "frank@localhost", "0 / 100");
    await dash.getByRole("status").getByText("Cleared frank@localhost: 2 messages deleted.", { exact: true }).waitFor();
    expect(await page.evaluate(() => window.dashStore.count("frank@localhost"))).toBe(0);
    expect(dialogs).toBe(0);
    await page.close();
  });

  it("asks the app to drain a peer with a cancelable, composed event", async () => {
    const { page, dash } = await openDashboard();
    await writeSequentially(page, "gina@localhost", 1);
    await depthShows(dash, "gina@localhost", "1 / 100");
    // Nobody handles it: the element says so.
    await dash.getByRole("button", { name: "Drain gina@localhost now" }).click();
    await dash.getByRole("status").getByText(/No drain engine answered/).waitFor();
    // A drain engine on document takes it and pops the queue.
    await page.evaluate(() => {
      document.addEventListener("offline-dashboard:drain", (e) => {
        e.preventDefault();
        (window as unknown as { drained: unknown }).drained = { peer: e.detail.peer, composed: e.composed, target: (e.target as Element).localName };
        void window.dashStore.pop(e.detail.peer);
      });
    });
    await dash.getByRole("button", { name: "Drain gina@localhost now" }).click();
    await dash.getByRole("status").getByText("Drain of gina@localhost requested.", { exact: true }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { drained: unknown }).drained)).toEqual({
      peer: "gina@localhost",
      composed: true,
      target: "offline-dashboard",
    });
    await depthShows(dash, "gina@localhost", "0 / 100");
    await page.close();
  });

  it("exports JSON with every queue, and OpenMetrics text, as downloads", async () => {
    const { page, dash } = await openDashboard();
    await writeSequentially(page, "hank@localhost", 3);
    await depthShows(dash, "hank@localhost", "3 / 100");

    const [json] = await Promise.all([page.waitForEvent("download"), dash.getByRole("button", { name: "Export JSON" }).click()]);
    expect(json.suggestedFilename()).toMatch(/^offline-edge-\d{8}-\d{6}\.json$/);
    const data = JSON.parse(await readFile(await json.path(), "utf8")) as {
      format: string;
      metrics: { queues: Array<{ owner: string; count: number }>; limits: Record<string, number | null> };
      queues: Array<{ owner: string; messages: Array<{ stanza: string }> }>;
    };
    expect(data.format).toBe("offline-edge-dashboard-export/1");
    expect(data.metrics.queues).toContainEqual(expect.objectContaining({ owner: "hank@localhost", count: 3 }));
    expect(data.metrics.limits["hank@localhost"]).toBe(100);
    const hank = data.queues.find((q) => q.owner === "hank@localhost");
    expect(hank?.messages.map((m) => /<body>(.*?)<\/body>/.exec(m.stanza)?.[1])).toEqual(["message 0", "message 1", "message 2"]);
    expect(data.queues.map((q) => q.owner).sort()).toEqual(data.metrics.queues.map((q) => q.owner).sort());

    const [om] = await Promise.all([page.waitForEvent("download"), dash.getByRole("button", { name: "Export OpenMetrics" }).click()]);
    expect(om.suggestedFilename()).toMatch(/\.openmetrics\.txt$/);
    const text = await readFile(await om.path(), "utf8");
    expect(text).toContain("# TYPE offline_edge_write_messages_seconds histogram");
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
    await page.close();
  });

  it("coalesces a burst of events into a few metrics() calls and still shows the final state", async () => {
    const { page, dash } = await openDashboard();
    await dash.getByText(/ · live · updated /).waitFor();
    const result = await page.evaluate(async () => {
      const before = window.dashCalls.metrics;
      const t0 = performance.now();
      let events = 0;
      const stop = window.dashStore.subscribe(() => events++);
      // 90 concurrent writes to each of 3 peers, in 30 waves.
      for (let wave = 0; wave < 30; wave++) {
        await Promise.all(
          ["ivy", "jay", "kim"].flatMap((p) =>
            Array.from({ length: 3 }, (_, i) => window.dashStore.write([`<message type='chat' to='${p}@localhost'><body>${wave}.${i}</body></message>`])),
          ),
        );
      }
      const ms = performance.now() - t0;
      stop();
      return { ms, events, metricsCalls: window.dashCalls.metrics - before };
    });
    for (const p of ["ivy", "jay", "kim"]) await depthShows(dash, `${p}@localhost`, "90 / 100");
    const settled = await page.evaluate(() => window.dashCalls.metrics);
    // At most one refresh per 250 ms (plus the trailing one), however many events came.
    expect(result.events).toBeGreaterThanOrEqual(30);
    expect(result.metricsCalls).toBeLessThanOrEqual(Math.ceil(result.ms / 250) + 2);
    expect(settled).toBeLessThan(result.events);
    await page.screenshot({ path: resolve(ARTIFACTS, "dashboard-burst.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(matchMedia("(prefers-color-scheme: dark)").matches))));
    await page.screenshot({ path: resolve(ARTIFACTS, "dashboard-dark.png"), fullPage: true });
    await page.close();
  });

  it("exposes a console handle for devtools", async () => {
    const page = await openHarness(context);
    const seen = await page.evaluate(async () => {
      const store = await window.harness.createOfflineStore({ prefer: "worker", timeoutMs: 20_000 });
      await store.write(["<message type='chat' to='lou@localhost'><body>debug me</body></message>"]);
      const dispose = window.harness.exposeDebugHandle(store);
      const h = (window as unknown as { offlineEdge: import("../../src/dashboard/debug.ts").OfflineEdgeDebugHandle }).offlineEdge;
      const out = {
        queues: (await h.queues()).some((q) => q.owner === "lou@localhost"),
        list: (await h.list("lou@localhost")).length,
        exported: (await h.export("lou@localhost")).owner,
        openMetrics: (await h.openMetrics()).includes("# EOF"),
        table: (await h.table()).find((r) => r.owner === "lou@localhost")?.limit,
        sameStore: h.store === store,
      };
      dispose();
      return { ...out, gone: !("offlineEdge" in window) };
    });
    expect(seen).toEqual({ queues: true, list: 1, exported: "lou@localhost", openMetrics: true, table: 100, sameStore: true, gone: true });
    await page.close();
  });
});
