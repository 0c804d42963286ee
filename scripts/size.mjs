// Size budgets of the package (gzip, minified, as an app's bundler ships them):
// bundles small apps against dist/ with esbuild and counts what loads at
// start (the entry chunk and its static imports; lazy chunks are not counted).
// Usage: node scripts/size.mjs [--json]   (after npm run build:lib). Exit 1 over budget.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const KB = 1000;

/** The gzip size of what loads at start when a page runs `code`. */
async function startupBytes(code) {
  // Inside the package, so "offline-edge/…" resolves to dist/ through its own `exports` (self-reference).
  const dir = mkdtempSync(join(root, "node_modules", ".size-"));
  try {
    const entry = join(dir, "app.js");
    writeFileSync(entry, code);
    const result = await build({
      entryPoints: [entry], bundle: true, splitting: true, format: "esm", minify: true, write: true,
      outdir: join(dir, "out"), metafile: true, logLevel: "error", platform: "browser", target: "es2022",
    });
    const outputs = result.metafile.outputs;
    const start = Object.keys(outputs).find((o) => outputs[o].entryPoint);
    const seen = new Set();
    const walk = (o) => {
      if (seen.has(o)) return;
      seen.add(o);
      for (const i of outputs[o].imports) if (i.kind === "import-statement" && !i.external) walk(i.path);
    };
    walk(start);
    let bytes = 0;
    for (const o of seen) bytes += gzipSync(readFileSync(resolve(o)), { level: 9 }).length;
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const client = await startupBytes(`import { createOfflineStore } from "offline-edge/client"; console.log(await createOfflineStore());`);
const withMesh = await startupBytes(`
import { createOfflineStore } from "offline-edge/client";
import { Messenger } from "offline-edge/messaging";
import { MeshRelay } from "offline-edge/relay/mesh";
const store = await createOfflineStore();
console.log(await Messenger.start({ store, relay: new MeshRelay({ self: "a@mesh.local" }) }));`);
const worker = gzipSync(readFileSync(join(root, "dist/sw.js")), { level: 9 }).length;
// The worker the Vite plugin builds into an app (with Workbox precaching), bundled and minified.
const viteWorker = await startupBytes(`import ${JSON.stringify(join(root, "dist/sw-entry.js"))};`);

const rows = [
  { what: "store client alone (worker mode; page mode is a lazy chunk)", bytes: client, budget: 10 * KB },
  { what: "mesh relay + messenger, on top of the client", bytes: withMesh - client, budget: 15 * KB },
  { what: "worker, prebuilt (dist/sw.js, self-contained)", bytes: worker, budget: 20 * KB },
  { what: "worker with Workbox precaching (what offline-edge/vite builds)", bytes: viteWorker, budget: 20 * KB },
];
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else for (const r of rows) console.log(`${r.bytes <= r.budget ? "ok  " : "OVER"} ${(r.bytes / KB).toFixed(2)} kB / ${r.budget / KB} kB gzip  ${r.what}`);
process.exitCode = rows.every((r) => r.bytes <= r.budget) ? 0 : 1;
