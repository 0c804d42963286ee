import { createHash } from "node:crypto";
import type { Plugin } from "vite";

const SW_SOURCE = "/src/worker/sw.ts";
const MANIFEST = "self.__WB_MANIFEST";

/**
 * Builds the service worker as `/sw.js` beside the app, without a second
 * build: in `vite build` the worker is one more entry, and its Workbox
 * precache manifest (every emitted file, with a revision where the name
 * has no hash) is injected in place of `self.__WB_MANIFEST` (what
 * workbox-build's injectManifest does); in `vite dev` the same source is
 * served at `/sw.js` as a module worker with an empty manifest.
 */
export function serviceWorker(): Plugin {
  return {
    name: "offline-edge:service-worker",
    config: () => ({
      build: {
        rollupOptions: {
          output: {
            entryFileNames: (chunk: { name: string }) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
          },
        },
      },
    }),
    configureServer(server) {
      server.middlewares.use("/sw.js", async (_req, res, next) => {
        try {
          const result = await server.transformRequest(SW_SOURCE);
          res.setHeader("Content-Type", "text/javascript");
          res.setHeader("Service-Worker-Allowed", "/");
          res.end((result?.code ?? "").replace(MANIFEST, "[]"));
        } catch (e) {
          next(e);
        }
      });
    },
    generateBundle: {
      order: "post",
      handler(_options, bundle) {
        const sw = bundle["sw.js"];
        if (!sw || sw.type !== "chunk") return;
        const entries = Object.values(bundle)
          .filter((f) => f.fileName !== "sw.js" && !f.fileName.endsWith(".map"))
          .map((f) => {
            const hashed = /-[\w-]{8,}\.\w+$/.test(f.fileName);
            const body = f.type === "chunk" ? f.code : f.source;
            const revision = hashed ? null : createHash("sha256").update(body).digest("hex").slice(0, 16);
            return { url: `/${f.fileName}`, revision };
          });
        sw.code = sw.code.replace(MANIFEST, JSON.stringify(entries));
      },
    },
  };
}
