/**
 * The Vite plugin of offline-edge: builds the store's service worker into
 * the app's build (at `/sw.js` by default) and serves it in `vite dev`.
 *
 * ```ts
 * // vite.config.ts
 * import { defineConfig } from "vite";
 * import { offlineEdge } from "offline-edge/vite";
 * export default defineConfig({ plugins: [offlineEdge()] });
 * ```
 *
 * @packageDocumentation
 */
export { offlineEdge, type OfflineEdgePluginOptions } from "./plugin.ts";
