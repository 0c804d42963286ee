import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch } from "../e2e/browser.ts";
import { freePort, installApp, sh, startServer } from "./apps.ts";

interface Result {
  mode: string;
  status: string;
  count: number;
  typedError: string;
}

async function loadApp(browser: Browser, url: string): Promise<{ page: Page; result: Result; warnings: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on("console", (m) => void (m.type() === "warning" && warnings.push(m.text())));
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.result !== undefined, null, { timeout: 60_000 });
  const result = JSON.parse((await page.evaluate(() => document.body.dataset.result))!) as Result;
  return { page, result, warnings };
}

async function styled(page: Page) {
  await page.waitForFunction(() => document.querySelector("offline-dashboard")?.shadowRoot?.querySelector("style") != null);
  return page.evaluate(() => {
    const el = document.querySelector("offline-dashboard")!;
    const css = [...el.shadowRoot!.querySelectorAll("style")].map((s) => s.textContent ?? "").join("\n");
    return { uplot: css.includes(".uplot"), objectObject: css.includes("[object Object]"), accent: getComputedStyle(el).getPropertyValue("--od-accent").trim() !== "" };
  });
}

describe("consumer (a): a fresh create-vite vanilla-ts app with the packed tarball and offline-edge/vite", () => {
  let app: Awaited<ReturnType<typeof installApp>>;
  let browser: Browser;
  beforeAll(async () => {
    app = await installApp("vite-app");
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    app?.remove();
  });

  it("type-checks with create-vite's tsconfig (erasableSyntaxOnly on), strict off and on", async () => {
    // create-vite's tsconfig has comments (JSONC).
    const tsconfig = JSON.parse(readFileSync(join(app.dir, "tsconfig.json"), "utf8").replace(/\/\*.*?\*\//g, "")) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions.erasableSyntaxOnly).toBe(true);
    expect(tsconfig.compilerOptions.strict).toBeUndefined();
    await sh(app.dir, "npx", ["tsc", "-p", "."]);
    await sh(app.dir, "npx", ["tsc", "-p", ".", "--strict"]);
  });

  it("every ts code block of the packed README compiles as written, strict off and on", async () => {
    const readme = readFileSync(join(app.dir, "node_modules/offline-edge/README.md"), "utf8");
    const blocks = [...readme.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)].map((m) => m[2]!.replace(new RegExp(`^${m[1]}`, "gm"), ""));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const dir = join(app.dir, "readme");
    mkdirSync(dir, { recursive: true });
    blocks.forEach((code, i) => writeFileSync(join(dir, `block-${i}.ts`), code));
    // The one package a block names that this app does not install: its signature, as published.
    writeFileSync(
      join(dir, "vite-plugin-pwa.d.ts"),
      `declare module "vite-plugin-pwa" {\n  export function VitePWA(options: { strategies?: "generateSW" | "injectManifest"; srcDir?: string; filename?: string; injectRegister?: false | "auto" | "script" | "inline" }): import("vite").Plugin;\n}\n`,
    );
    writeFileSync(join(app.dir, "tsconfig.readme.json"), JSON.stringify({ extends: "./tsconfig.json", include: ["readme"] }));
    await sh(app.dir, "npx", ["tsc", "-p", "tsconfig.readme.json"]);
    await sh(app.dir, "npx", ["tsc", "-p", "tsconfig.readme.json", "--strict"]);
  });

  it("builds (tsc && vite build) with /sw.js and its precache manifest, and without node:dns warnings", async () => {
    const out = await sh(app.dir, "npm", ["run", "build"]);
    expect(out).not.toMatch(/node:dns/);
    const sw = readFileSync(join(app.dir, "dist/sw.js"), "utf8");
    expect(sw).not.toContain("self.__WB_MANIFEST");
    expect(sw).toMatch(/"url":"\/index\.html"/);
  });

  it("vite preview: the worker registers through the plugin, the store runs in it, writes and counts; the dashboard is styled", async () => {
    const port = await freePort();
    const server = await startServer(app.dir, "node_modules/.bin/vite", ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], /Local:/);
    try {
      const { page, result, warnings } = await loadApp(browser, `http://127.0.0.1:${port}/`);
      expect(result).toEqual({ mode: "worker", status: "stored", count: 1, typedError: "malformed-stanza" });
      expect(warnings.filter((w) => w.includes("offline-edge"))).toEqual([]);
      expect(await styled(page)).toEqual({ uplot: true, objectObject: false, accent: true });
      await page.context().close();
    } finally {
      await server.stop();
    }
  });

  it("vite dev: the plugin serves /sw.js and the store runs in the worker", async () => {
    const port = await freePort();
    const server = await startServer(app.dir, "node_modules/.bin/vite", ["--host", "127.0.0.1", "--port", String(port), "--strictPort"], /Local:/);
    try {
      const { page, result, warnings } = await loadApp(browser, `http://127.0.0.1:${port}/`);
      expect(result.mode, warnings.join("\n")).toBe("worker");
      expect(result.count).toBe(1);
      await page.context().close();
    } finally {
      await server.stop();
    }
  });

  it("without the plugin, page mode says why in one console warning", async () => {
    writeFileSync(join(app.dir, "vite.config.ts"), `import { defineConfig } from "vite";\nexport default defineConfig({});\n`);
    await sh(app.dir, "node_modules/.bin/vite", ["build"]);
    const port = await freePort();
    const server = await startServer(app.dir, "node_modules/.bin/vite", ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], /Local:/);
    try {
      const { page, result, warnings } = await loadApp(browser, `http://127.0.0.1:${port}/`);
      expect(result.mode).toBe("page");
      const ours = warnings.filter((w) => w.includes("offline-edge"));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatch(/page mode.*\/sw\.js.*MIME type/i);
      await page.context().close();
    } finally {
      await server.stop();
    }
  });
});
