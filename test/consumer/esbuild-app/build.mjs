// Bundles the page (mesh relay + messenger + dashboard, no XMPP) and the app's own worker
// with esbuild, and copies the package's prebuilt worker. Writes meta.json (bundle inputs).
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

mkdirSync("public", { recursive: true });
const page = await build({
  entryPoints: ["src/page.js"], bundle: true, format: "esm", outfile: "public/page.js", metafile: true, platform: "browser",
});
writeFileSync("meta.json", JSON.stringify(page.metafile));
await build({ entryPoints: ["src/app-sw.js"], bundle: true, format: "esm", outfile: "public/app-sw.js", platform: "browser" });
// Way 2: the prebuilt worker, one line.
copyFileSync("node_modules/offline-edge/dist/sw.js", "public/sw.js");
