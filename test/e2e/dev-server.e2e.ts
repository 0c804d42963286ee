import { afterAll, beforeAll, expect, it } from "vitest";
import { createServer, type ViteDevServer } from "vite";
import type { Browser } from "playwright-core";
import { launch } from "./browser.ts";

// `vite dev` serves the same service worker at /sw.js (src/vite/plugin.ts, the package's offline-edge/vite):
// the store runs in worker mode there too.
let server: ViteDevServer;
let browser: Browser;
beforeAll(async () => {
  server = await createServer({ server: { host: "127.0.0.1", port: 0, hmr: false }, logLevel: "warn" });
  await server.listen();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it("vite dev serves /sw.js as a module worker that hosts the store", async () => {
  const base = server.resolvedUrls!.local[0]!.replace(/\/$/, "");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/test/e2e/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 60_000 });
  const result = await page.evaluate(async () => {
    const store = await window.harness.createOfflineStore({ prefer: "worker", timeoutMs: 20_000 });
    const [r] = await store.write(["<message type='chat' to='bob@localhost'><body>from dev</body></message>"]);
    const reg = await navigator.serviceWorker.ready;
    return { mode: store.mode, status: r!.status, count: await store.count("bob@localhost"), script: reg.active!.scriptURL };
  });
  expect(result).toMatchObject({ mode: "worker", status: "stored", count: 1 });
  expect(result.script).toMatch(/\/sw\.js$/);
  await context.close();
});
