/// <reference lib="webworker" />
/**
 * The service worker this package builds (`/sw.js`): precaches the app
 * shell so the demo loads with the network off, takes over at once on
 * update (queues live in IndexedDB, so a new version loses nothing), and
 * serves the offline store to every tab.
 */
import { cleanupOutdatedCaches, precacheAndRoute } from "workbox-precaching";
import { serveOfflineStore } from "./serve.ts";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
serveOfflineStore(self);
