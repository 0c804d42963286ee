import type { StoreEvent, StoreListener } from "../core/events.ts";
import { OfflineStore, type OfflineStoreOptions } from "../core/offline-store.ts";
import { toOpenMetrics } from "../core/openmetrics.ts";
import type { RecordKey } from "../core/record.ts";
import { IndexedDBBackend } from "../storage/indexeddb.ts";
import type { MetricsReport, OfflineStoreApi } from "./api.ts";

/** Store options a page may set: everything but the backend, which is IndexedDB. */
export type StoreConfig = Omit<OfflineStoreOptions, "backend" | "now">;

/** Name of the BroadcastChannel that carries store events between tabs and the worker. */
export const EVENTS_CHANNEL = "offline-edge:events";

/** Builds the metrics report from a store (shared by the worker and page mode). */
export async function metricsReport(store: OfflineStore): Promise<MetricsReport> {
  const [snapshot, queues] = await Promise.all([store.metricsSnapshot(), store.queues()]);
  const limits: Record<string, number | null> = {};
  for (const q of queues) {
    const l = store.limitOf(q.owner);
    limits[q.owner] = Number.isFinite(l) ? l : null;
  }
  const queued = queues.reduce((n, q) => n + q.count, 0);
  return { snapshot, queues, limits, openMetrics: toOpenMetrics(snapshot, { queued_messages: queued }) };
}

/**
 * The store run in this page, for when no service worker can serve it.
 * Tabs in page mode share one IndexedDB database, whose transactions keep
 * the limits exact across tabs; events reach every tab over a BroadcastChannel.
 */
export class PageStore implements OfflineStoreApi {
  readonly mode = "page" as const;
  private readonly store: OfflineStore;
  private readonly channel = new BroadcastChannel(EVENTS_CHANNEL);
  private readonly listeners = new Set<StoreListener>();

  constructor(config: StoreConfig = {}, dbName = "offline-edge") {
    this.store = new OfflineStore({ ...config, backend: new IndexedDBBackend({ name: dbName }) });
    // Our own events go to our listeners and to every other tab.
    this.store.subscribe((e) => {
      this.deliver(e);
      this.channel.postMessage(e);
    });
    this.channel.onmessage = (m: MessageEvent<StoreEvent>) => this.deliver(m.data);
  }

  private deliver(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }

  write(stanzas: string[]) {
    return this.store.write(stanzas);
  }
  pop(owner: string, limit?: number) {
    return this.store.pop(owner, limit);
  }
  peek(owner: string, limit?: number) {
    return this.store.peek(owner, limit);
  }
  ack(owner: string, keys: RecordKey[]) {
    return this.store.ack(owner, keys);
  }
  count(owner: string) {
    return this.store.count(owner);
  }
  list(owner: string, limit?: number) {
    return this.store.list(owner, limit);
  }
  queues() {
    return this.store.queues();
  }
  async limitOf(owner: string) {
    return this.store.limitOf(owner);
  }
  removeUser(owner: string) {
    return this.store.removeUser(owner);
  }
  removeExpired() {
    return this.store.removeExpired();
  }
  removeOlderThan(days: number) {
    return this.store.removeOlderThan(days);
  }
  export(owner: string) {
    return this.store.export(owner);
  }
  metrics(): Promise<MetricsReport> {
    return metricsReport(this.store);
  }
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.channel.close();
    await this.store.close();
  }
}
