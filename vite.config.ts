import { resolve } from "node:path";
import { defineConfig } from "vite";
import { offlineEdge } from "./src/vite/index.ts";

const root = import.meta.dirname;

// One build: the demo page, the browser-test harness page and the service worker
// (/sw.js, from its source here, by the package's own Vite plugin).
export default defineConfig({
  plugins: [offlineEdge({ entry: "src/worker/sw.ts" })],
  build: {
    target: "es2022",
    sourcemap: true,
    rollupOptions: {
      input: {
        index: resolve(root, "index.html"),
        harness: resolve(root, "test/e2e/harness.html"),
      },
    },
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
