// Shared set-up for browser benchmarks: the production build served by
// `vite preview` on 127.0.0.1, and Debian's Chromium through playwright-core.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview } from "vite";
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Builds, serves and launches; returns { baseUrl, browser, close() }. */
export async function startBench() {
  const outDir = mkdtempSync(join(tmpdir(), "offline-edge-bench-"));
  await build({ logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server = await preview({ build: { outDir }, preview: { host: "127.0.0.1", port: 0 }, logLevel: "warn" });
  const { port } = server.httpServer.address();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise((r) => server.httpServer.close(r));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Opens the harness page in a context; resolves once window.harness is there. */
export async function openHarness(context, baseUrl) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/test/e2e/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  return page;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n, d = 1) => Number(n).toFixed(d);
