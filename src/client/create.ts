import { Workbox, messageSW } from "workbox-window";
import { StorageFailedError } from "../core/errors.ts";
import type { StoreConfig } from "../protocol/config.ts";
import type { Reply } from "../protocol/request.ts";
import { withTimeout } from "../core/timeout.ts";
import { option } from "../core/options.ts";
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
  if (!globalThis.isSecureContext) {
    throw new StorageFailedError(`${location.origin} is not a secure context (service workers need https or localhost).`);
  }
  if (!("serviceWorker" in navigator) || !navigator.serviceWorker) {
    throw new StorageFailedError("Service workers are not available here.");
  }
  const wb = new Workbox(o.swUrl ?? "/sw.js", { type: "module" });
  const ms = o.activationTimeoutMs ?? 10_000;
  const registration = await withTimeout(wb.register(), ms, "Service worker registration");
  if (!registration) throw new StorageFailedError("The service worker did not register.");
  // The store answers from a worker still installing (precaching the app shell): no wait for activation.
  const current = () => registration.active ?? registration.waiting ?? registration.installing;
  if (!current()) await withTimeout(wb.active, ms, "Service worker activation");
  // Ask whichever version is active now (else the one on its way), so a worker update takes over without a reload.
  return (req) => {
    const sw = current();
    if (!sw) return Promise.reject(new StorageFailedError("No active service worker."));
    return withTimeout(messageSW(sw, req) as Promise<Reply>, o.timeoutMs ?? 10_000, "The service worker");
  };
}

/** Page mode, loaded on demand: a page whose worker serves never downloads the store itself. */
async function pageStore(o: CreateOfflineStoreOptions): Promise<ClientStore> {
  const { pageStore: open } = await import("./page.ts");
  return open(o.dbName);
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens the offline store for this page: hosted by the service worker and
 * shared by every tab when one can serve (registered with workbox-window),
 * else run in this page with the same API (`store.mode` says which). Tabs
 * in page mode share the same IndexedDB database, so limits stay exact.
 * When `prefer: "auto"` falls back to page mode, one console warning says
 * why (registration failed and how, no service worker support, insecure
 * context).
 */
export async function createOfflineStore(options: CreateOfflineStoreOptions = {}): Promise<ClientStore> {
  const prefer = option.oneOf("prefer", options.prefer, "auto", ["auto", "worker", "page"]);
  option.duration("timeoutMs", options.timeoutMs, 10_000, 1);
  option.duration("activationTimeoutMs", options.activationTimeoutMs, 10_000, 1);
  let store: ClientStore;
  if (prefer === "page") store = await pageStore(options);
  else {
    try {
      store = new ClientStore("worker", await workerTransport(options));
    } catch (e) {
      if (prefer === "worker") throw e;
      console.warn(`offline-edge: the store runs in this page (page mode), not in the service worker ${options.swUrl ?? "/sw.js"}: ${reason(e)}`);
      store = await pageStore(options);
    }
  }
  if (options.config) await store.configure(options.config);
  return store;
}
