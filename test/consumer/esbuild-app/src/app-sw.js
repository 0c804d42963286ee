// Way 3: the app's own worker serves the store.
import { serveOfflineStore } from "offline-edge/worker";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
serveOfflineStore(self);
