/// <reference lib="webworker" />
/**
 * The prebuilt worker shipped as `offline-edge/sw.js` (dist/sw.js) for apps
 * without Vite: one self-contained file that serves the store to every tab
 * and takes over at once on update (queues live in IndexedDB, so a new
 * version loses nothing). It precaches nothing (such an app has no build
 * manifest to give it): for precaching use the Vite plugin, or call
 * `serveOfflineStore(self)` in your own Workbox worker.
 */
import { serveOfflineStore } from "./serve.ts";

declare const self: ServiceWorkerGlobalScope;

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
serveOfflineStore(self);
