import { resolve } from "node:path";
import { defineConfig } from "vite";
import { serviceWorker } from "./scripts/vite-plugin-sw.ts";

const root = import.meta.dirname;

// One build: the demo page, the browser-test harness page and the service worker (/sw.js).
export default defineConfig({
  plugins: [serviceWorker()],
  // @xmpp/debug reads process.env.XMPP_DEBUG, which browsers do not have.
  define: { "process.env.XMPP_DEBUG": "undefined" },
  build: {
    target: "es2022",
    sourcemap: true,
    rollupOptions: {
      input: {
        index: resolve(root, "index.html"),
        harness: resolve(root, "test/e2e/harness.html"),
        sw: resolve(root, "src/worker/sw.ts"),
      },
    },
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
