import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch } from "../e2e/browser.ts";
import { installApp, serveStatic, sh } from "./apps.ts";

interface AppWindow {
  isSecureContext: boolean;
  app: {
    store: { mode: string; write(s: string[]): Promise<Array<{ status: string }>>; pop(o: string): Promise<unknown[]>; count(o: string): Promise<number> };
    chat: { send(s: string): Promise<unknown> };
    received: string[];
    statuses: string[];
    warnings: string[];
  };
}
declare const window: AppWindow;

/** The dashboard's shadow root carries uPlot's CSS as text (not "[object Object]") and its own styles apply. */
async function dashboardStyle(page: Page) {
  await page.waitForFunction(() => document.querySelector("offline-dashboard")?.shadowRoot?.querySelector("style") != null);
  return page.evaluate(() => {
    const root = document.querySelector("offline-dashboard")!.shadowRoot!;
    const css = [...root.querySelectorAll("style")].map((s) => s.textContent ?? "").join("\n");
    const host = getComputedStyle(document.querySelector("offline-dashboard")!);
    return { uplot: css.includes(".uplot"), objectObject: css.includes("[object Object]"), accent: host.getPropertyValue("--od-accent").trim() };
  });
}

async function open(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 60_000 });
  return page;
}

describe("consumer (b): an esbuild-bundled page, mesh relay only, from the packed tarball", () => {
  let app: Awaited<ReturnType<typeof installApp>>;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;
  beforeAll(async () => {
    app = await installApp("esbuild-app");
    await sh(app.dir, "npm", ["run", "build"]);
    server = await serveStatic(join(app.dir, "public"));
    // chat.test: a non-loopback host name, so not a secure context (as http://192.168.x.x from a phone).
    browser = await launch([`--host-resolver-rules=MAP chat.test 127.0.0.1`]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    app?.remove();
  });

  it("bundles no XMPP client, transport or node:dns (of @xmpp, only the core's @xmpp/jid)", () => {
    const meta = JSON.parse(readFileSync(join(app.dir, "meta.json"), "utf8")) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((i) => i.includes("offline-edge/dist/relay/mesh.js"))).toBe(true);
    const xmpp = inputs.filter((i) => i.includes("@xmpp/")).map((i) => i.replace(/.*node_modules\/(@xmpp\/[^/]+).*/, "$1"));
    expect([...new Set(xmpp)].sort()).toEqual(["@xmpp/jid"]);
    expect(inputs.some((i) => i.includes("node:dns") || i.includes("offline-edge/dist/relay/xmpp"))).toBe(false);
    const bundle = readFileSync(join(app.dir, "public/page.js"), "utf8");
    expect(bundle).not.toContain("node:dns");
  });

  it("on an insecure origin: page mode with one warning saying why; writes, pops and the mesh work; the dashboard is styled", async () => {
    const url = `http://chat.test:${server.port}`;
    const alice = await open(browser, `${url}/?as=alice@mesh.local`);
    expect(await alice.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await alice.evaluate(() => window.app.store.mode)).toBe("page");
    const warnings = await alice.evaluate(() => window.app.warnings);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/page mode.*not a secure context/);

    const stored = await alice.evaluate(() =>
      window.app.store.write([`<message type="chat" from="alice@mesh.local" to="carol@mesh.local"><body>kept</body></message>`]),
    );
    expect(stored[0]!.status).toBe("stored");
    expect(await alice.evaluate(() => window.app.store.count("carol@mesh.local"))).toBe(1);
    expect(await alice.evaluate(() => window.app.store.pop("carol@mesh.local").then((m) => m.length))).toBe(1);

    // Bob, in another tab of the same browser profile, gets alice's message over the mesh.
    const bob = await alice.context().newPage();
    await bob.goto(`${url}/?as=bob@mesh.local`);
    await bob.waitForFunction(() => document.body.dataset.ready === "true");
    await alice.evaluate(() => window.app.chat.send(`<message type="chat" to="bob@mesh.local"><body>hello bob</body></message>`));
    await bob.waitForFunction(() => window.app.received.includes("hello bob"));
    await alice.waitForFunction(() => window.app.statuses.includes("delivered"));

    expect(await dashboardStyle(alice)).toEqual({ uplot: true, objectObject: false, accent: expect.stringMatching(/\S/) });
    await alice.context().close();
  });

  it("on loopback: the app's own worker (serveOfflineStore) and the prebuilt dist/sw.js both serve the store", async () => {
    for (const sw of ["/app-sw.js", "/sw.js"]) {
      const page = await open(browser, `http://127.0.0.1:${server.port}/?sw=${sw}`);
      expect(await page.evaluate(() => window.app.store.mode), sw).toBe("worker");
      expect(await page.evaluate(() => window.app.warnings)).toEqual([]);
      const [r] = await page.evaluate(() => window.app.store.write([`<message type="chat" from="a@x.org" to="b@x.org"><body>w</body></message>`]));
      expect(r!.status).toBe("stored");
      expect(await page.evaluate(() => window.app.store.count("b@x.org"))).toBe(1);
      expect(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.scriptURL ?? ""))).toContain(sw);
      await page.context().close();
    }
  });
});
