// Size budgets of the package (minified, gzip -9), as an app's bundler ships
// it: small apps bundled against dist/ with esbuild into one file, the
// page-mode fallback (a lazy chunk, loaded only when no worker serves) left
// out. Usage: node scripts/size.mjs [--json]   (after npm run build:lib).
// Exits 1 when a row is over its budget.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const KB = 1000;

/** Dynamic imports of dist's page-mode chunk stay out: they load only in page mode. */
const lazyPageMode = {
  name: "lazy-page-mode",
  setup(b) {
    b.onResolve({ filter: /\/page-[\w-]+\.js$/ }, (a) => (a.kind === "dynamic-import" ? { path: a.path, external: true } : null));
  },
};

/** The gzip size of `code` bundled (minified) with what it imports. */
async function bundledBytes(code) {
  // Inside the package, so "offline-edge/…" resolves to dist/ through its own `exports` (self-reference).
  const dir = mkdtempSync(join(root, "node_modules", ".size-"));
  try {
    const entry = join(dir, "app.js");
    writeFileSync(entry, code);
    const result = await build({
      entryPoints: [entry], bundle: true, format: "esm", minify: true, write: false, logLevel: "error",
      platform: "browser", target: "es2022", plugins: [lazyPageMode], define: { "self.__WB_MANIFEST": "[]" },
    });
    return gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const client = await bundledBytes(`import { createOfflineStore } from "offline-edge/client"; console.log(await createOfflineStore());`);
const withMesh = await bundledBytes(`
import { createOfflineStore } from "offline-edge/client";
import { Messenger } from "offline-edge/messaging";
import { MeshRelay } from "offline-edge/relay/mesh";
const store = await createOfflineStore();
console.log(await Messenger.start({ store, relay: new MeshRelay({ self: "a@mesh.local" }) }));`);
const worker = gzipSync(readFileSync(join(root, "dist/sw.js")), { level: 9 }).length;
const viteWorker = await bundledBytes(`import "offline-edge/worker/sw";`);

const rows = [
  { what: "store client alone (worker mode; page mode is a lazy chunk)", bytes: client, budget: 10 * KB },
  { what: "mesh relay + messenger, on top of the client", bytes: withMesh - client, budget: 15 * KB },
  { what: "worker: dist/sw.js, the package's prebuilt worker", bytes: worker, budget: 20 * KB },
  // Not budgeted: the same worker plus Workbox precaching (workbox-precaching, -routing, -strategies, -core).
  { what: "worker + Workbox precaching (what offline-edge/vite builds), for reference", bytes: viteWorker, budget: null },
];
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else {
  for (const r of rows) {
    const verdict = r.budget === null ? "    " : r.bytes <= r.budget ? "ok  " : "OVER";
    console.log(`${verdict} ${(r.bytes / KB).toFixed(2)} kB${r.budget === null ? "" : ` / ${r.budget / KB} kB`} gzip  ${r.what}`);
  }
}
process.exitCode = rows.every((r) => r.budget === null || r.bytes <= r.budget) ? 0 : 1;
