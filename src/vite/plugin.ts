import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin, ResolvedConfig } from "vite";

const MANIFEST = "self.__WB_MANIFEST";
/** The package's worker module, as a bare import (dev: Vite pre-bundles it, CommonJS deps included). */
const PACKAGED = "offline-edge/worker/sw";
/** Dev only: /sw.js imports this first (an empty precache manifest), then the worker. */
const DEV_SW = "\0offline-edge:dev-sw";
const DEV_MANIFEST = "\0offline-edge:dev-manifest";
/**
 * @xmpp/resolve's `browser` field empties "./lib/dns" but it imports
 * "./lib/dns.js", so browser builds pull `node:dns` (and Vite warns): in a
 * browser build that module is the empty one its authors meant.
 */
const NO_DNS = "\0offline-edge:no-dns";

/** Options of {@link offlineEdge}. */
export interface OfflineEdgePluginOptions {
  /** Where the worker is served, from the site root. Default `/sw.js` (what `createOfflineStore` registers). */
  swPath?: string;
  /**
   * The worker's source module. Default: the package's own worker (precaches
   * the build, takes over at once, serves the store). Point it at your own
   * worker (which calls `serveOfflineStore(self)`) to add routes or push.
   */
  entry?: string;
}

/** The package's worker module, beside this file in `dist/`. */
function packagedWorker(): string {
  return fileURLToPath(new URL("./sw-entry.js", import.meta.url));
}

/** A precache entry per emitted file: a revision only where the name has no content hash. */
function precacheEntries(bundle: Record<string, { fileName: string; type: string }>, swFile: string, base: string) {
  return Object.values(bundle)
    .filter((f) => f.fileName !== swFile && !f.fileName.endsWith(".map"))
    .map((f) => {
      const hashed = /-[\w-]{8,}\.\w+$/.test(f.fileName);
      const body = f.type === "chunk" ? (f as unknown as { code: string }).code : (f as unknown as { source: string | Uint8Array }).source;
      const revision = hashed ? null : createHash("sha256").update(body).digest("hex").slice(0, 16);
      return { url: `${base}${f.fileName}`, revision };
    });
}

/**
 * The offline-edge Vite plugin: builds the store's service worker as
 * `/sw.js` beside the app, without a second build. In `vite build` the
 * worker is one more emitted chunk, and its Workbox precache manifest
 * (every emitted file, with a revision where the name has no hash) is
 * injected in place of `self.__WB_MANIFEST` (what workbox-build's
 * injectManifest does); in `vite dev` the same source is served at `/sw.js`
 * as a module worker with an empty manifest (the package's worker
 * pre-bundled by Vite, so its CommonJS dependencies load too). It also
 * keeps `node:dns` (from @xmpp/resolve) out of browser builds. It also defines
 * `process.env.XMPP_DEBUG` (read by @xmpp/client's debug module) away.
 */
export function offlineEdge(options: OfflineEdgePluginOptions = {}): Plugin {
  const swPath = options.swPath ?? "/sw.js";
  const swFile = swPath.replace(/^\/+/, "");
  let config: ResolvedConfig | undefined;
  const entry = () => resolve(config?.root ?? process.cwd(), options.entry ?? packagedWorker());
  return {
    name: "offline-edge",
    config: () => ({
      define: { "process.env.XMPP_DEBUG": "undefined" },
      ...(options.entry ? {} : { optimizeDeps: { include: [PACKAGED] } }),
    }),
    resolveId: {
      order: "pre",
      handler(id, importer, opts) {
        if (id === DEV_SW || id === DEV_MANIFEST) return id;
        if (id === "./lib/dns.js" && !opts?.ssr && importer && /[\\/]@xmpp[\\/]resolve[\\/]/.test(importer)) return NO_DNS;
        return null;
      },
    },
    load(id) {
      if (id === NO_DNS) return "export const resolve = undefined, lookup = undefined;"; // @xmpp/resolve tests `dns.resolve` before use
      // The manifest module runs before the worker module (imports evaluate in order).
      if (id === DEV_MANIFEST) return `${MANIFEST} = [];`;
      if (id === DEV_SW) return `import ${JSON.stringify(DEV_MANIFEST)};\nimport ${JSON.stringify(options.entry ? entry() : PACKAGED)};\n`;
      return null;
    },
    configResolved(resolved) {
      config = resolved;
    },
    buildStart() {
      if (config?.command !== "build" || config.build.ssr) return;
      this.emitFile({ type: "chunk", id: entry(), fileName: swFile });
    },
    configureServer(server) {
      server.middlewares.use(swPath, async (req, res, next) => {
        // Only the path itself (connect strips the mount path: "/" or "/?query" remain).
        if (req.url && !/^\/?(\?|$)/.test(req.url)) return next();
        try {
          const result = await server.transformRequest(DEV_SW);
          res.setHeader("Content-Type", "text/javascript");
          res.setHeader("Service-Worker-Allowed", "/");
          res.end(result?.code ?? "");
        } catch (e) {
          next(e);
        }
      });
    },
    generateBundle: {
      order: "post",
      handler(_options, bundle) {
        const sw = bundle[swFile];
        if (!sw || sw.type !== "chunk") return;
        sw.code = sw.code.replace(MANIFEST, JSON.stringify(precacheEntries(bundle, swFile, config?.base ?? "/")));
      },
    },
  };
}
