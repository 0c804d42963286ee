// @ts-check
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createRequire } from "node:module";
import { defineConfig } from "tsdown";

/**
 * The package's public entries: `offline-edge/<name>` -> dist/<name>.js (+ .d.ts).
 * A new entry (e.g. `relay/webrtc`) is one line here and one in package.json's `exports`.
 */
export const ENTRIES = {
  index: "src/index.ts",
  client: "src/client/index.ts",
  messaging: "src/messaging/index.ts",
  relay: "src/relay/index.ts",
  "relay/mesh": "src/relay/mesh/index.ts",
  "relay/xmpp": "src/relay/xmpp/index.ts",
  "relay/webrtc": "src/relay/webrtc/index.ts",
  "relay/webrtc/peerjs": "src/relay/webrtc/peerjs/index.ts",
  dashboard: "src/dashboard/index.ts",
  worker: "src/worker/index.ts",
  // Not an export: the worker module the Vite plugin builds into an app (imports workbox-precaching).
  "sw-entry": "src/worker/sw.ts",
};

const require = createRequire(import.meta.url);

/** Vite's `?inline` CSS imports, done at build time: the style sheet's text as a string, for any bundler. */
const inlineCss = {
  name: "offline-edge:inline-css",
  resolveId: {
    order: "pre",
    filter: { id: /\.css\?inline$/ },
    handler(id) {
      // The id must not end in .css, or tsdown's CSS handling takes it.
      return id.endsWith(".css?inline") ? `\0inline-css:${require.resolve(id.slice(0, -"?inline".length))}.js` : null;
    },
  },
  load: {
    filter: { id: /^\0inline-css:/ },
    handler(id) {
      return `export default ${JSON.stringify(readFileSync(id.slice("\0inline-css:".length, -".js".length), "utf8"))};`;
    },
  },
};

/**
 * The xmpp.js packages ship no typings: ours (src/types/xmpp.d.ts, ambient
 * modules) travel in dist/types and every .d.ts that names `@xmpp/*` points
 * at them, so a consumer's tsc sees them without any setup.
 */
function referenceXmppTypes() {
  for (const file of readdirSync("dist", { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".d.ts") || file.startsWith("types")) continue;
    const path = join("dist", file);
    const text = readFileSync(path, "utf8");
    if (!text.includes('"@xmpp/')) continue;
    const ref = relative(dirname(path), "dist/types/xmpp.d.ts");
    writeFileSync(path, `/// <reference path="${ref.startsWith(".") ? ref : `./${ref}`}" />\n${text}`);
  }
}

/** @type {import("tsdown").UserConfig} */
const shared = {
  format: "esm",
  target: "es2022",
  outDir: "dist",
  sourcemap: true,
  plugins: [inlineCss],
  define: { "process.env.XMPP_DEBUG": "undefined" },
  // .js and .d.ts for every platform (the package is "type": "module").
  outExtensions: () => ({ js: ".js", dts: ".d.ts" }),
};

export default defineConfig([
  {
    ...shared,
    entry: ENTRIES,
    platform: "browser",
    dts: true,
    clean: true,
    copy: [{ from: "src/types/xmpp.d.ts", to: "dist/types" }],
    hooks: { "build:done": referenceXmppTypes },
  },
  {
    ...shared,
    // The Vite plugin runs in Node, beside the app's vite.config.
    entry: { vite: "src/vite/index.ts" },
    platform: "node",
    dts: true,
    clean: false,
  },
  {
    ...shared,
    // The prebuilt worker for apps without Vite: one self-contained file (no precaching).
    entry: { sw: "src/worker/prebuilt.ts" },
    platform: "browser",
    dts: false,
    clean: false,
    minify: true,
    deps: { alwaysBundle: [/.*/] },
  },
]);
