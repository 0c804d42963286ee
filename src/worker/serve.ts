/// <reference lib="webworker" />
import { OriginRefusedError } from "../core/errors.ts";
import { IndexedDBBackend } from "../storage/indexeddb.ts";
import { StoreHost, errorReply } from "../protocol/host.ts";

export interface ServeOptions {
  /** IndexedDB database name. Default `offline-edge`. */
  dbName?: string;
}

function fromOwnWindow(event: ExtendableMessageEvent, scope: ServiceWorkerGlobalScope): boolean {
  const source = event.source as Client | null;
  return event.origin === scope.location.origin && source !== null && source.type === "window";
}

/**
 * Serves the offline store from a service worker to every tab: answers
 * each request on the port workbox-window's `messageSW` gives, and
 * publishes store events on a BroadcastChannel. Only window clients of the
 * worker's own origin are served. Nothing needed for correctness stays in
 * worker memory: the browser may stop the worker between any two requests.
 * Store events reach every tab through the host's BroadcastChannel.
 */
export function serveOfflineStore(scope: ServiceWorkerGlobalScope, options: ServeOptions = {}): StoreHost {
  const host = new StoreHost(new IndexedDBBackend({ name: options.dbName }));
  scope.addEventListener("message", (event) => {
    const port = event.ports[0];
    if (!port) return; // not a request of ours: requests always carry a reply port
    if (!fromOwnWindow(event, scope)) {
      port.postMessage(errorReply(new OriginRefusedError("Only windows of this origin may use the store.")));
      return;
    }
    event.waitUntil(host.handle(event.data).then((reply) => port.postMessage(reply)));
  });
  return host;
}
