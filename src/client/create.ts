import { Workbox, messageSW } from "workbox-window";
import { StorageFailedError } from "../core/errors.ts";
import { IndexedDBBackend } from "../storage/indexeddb.ts";
import type { StoreConfig } from "../protocol/config.ts";
import { StoreHost } from "../protocol/host.ts";
import type { Reply } from "../protocol/request.ts";
import { withTimeout } from "../core/timeout.ts";
import { ClientStore, type Transport } from "./client-store.ts";

export interface CreateOfflineStoreOptions {
  /** The service worker script. Default `/sw.js` (the one this package's vite build emits). */
  swUrl?: string;
  /** `auto` (default): the worker when one can serve, else this page; `worker`: fail without one; `page`: never register. */
  prefer?: "auto" | "worker" | "page";
  /** Store options for every tab (limits, mode, …); unset keeps what the store has. */
  config?: StoreConfig;
  /** Longest wait for one request, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Longest wait for the worker to register and activate before falling back, in ms. Default 10 000. */
  activationTimeoutMs?: number;
  /** IndexedDB database name for page mode; must match the worker's. Default `offline-edge`. */
  dbName?: string;
}

async function workerTransport(o: CreateOfflineStoreOptions): Promise<Transport> {
  if (!("serviceWorker" in navigator) || !navigator.serviceWorker) {
    throw new StorageFailedError("Service workers are not available here.");
  }
  const wb = new Workbox(o.swUrl ?? "/sw.js", { type: "module" });
  const ms = o.activationTimeoutMs ?? 10_000;
  const registration = await withTimeout(wb.register(), ms, "Service worker registration");
  if (!registration) throw new StorageFailedError("The service worker did not register.");
  await withTimeout(wb.active, ms, "Service worker activation");
  // Ask whichever version is active now, so a worker update takes over without a reload.
  return (req) => {
    const sw = registration.active;
    if (!sw) return Promise.reject(new StorageFailedError("No active service worker."));
    return withTimeout(messageSW(sw, req) as Promise<Reply>, o.timeoutMs ?? 10_000, "The service worker");
  };
}

function pageStore(o: CreateOfflineStoreOptions): ClientStore {
  const host = new StoreHost(new IndexedDBBackend({ name: o.dbName }));
  // structuredClone: the page host sees copies, as the worker would.
  const transport: Transport = (req) => host.handle(structuredClone(req));
  return new ClientStore("page", transport, () => host.close());
}

/**
 * Opens the offline store for this page: hosted by the service worker and
 * shared by every tab when one can serve (registered with workbox-window),
 * else run in this page with the same API (`store.mode` says which). Tabs
 * in page mode share the same IndexedDB database, so limits stay exact.
 */
export async function createOfflineStore(options: CreateOfflineStoreOptions = {}): Promise<ClientStore> {
  const prefer = options.prefer ?? "auto";
  let store: ClientStore;
  if (prefer === "page") store = pageStore(options);
  else {
    try {
      store = new ClientStore("worker", await workerTransport(options));
    } catch (e) {
      if (prefer === "worker") throw e;
      store = pageStore(options);
    }
  }
  if (options.config) await store.configure(options.config);
  return store;
}
