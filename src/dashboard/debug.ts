import type { MetricsReport, OfflineStoreApi } from "../core/store-api.ts";
import type { QueueInfo } from "../core/backend.ts";
import type { ListedMessage } from "../core/offline-store.ts";

/**
 * The console handle `exposeDebugHandle` puts on `window`. In devtools:
 *
 * ```js
 * await offlineEdge.queues()          // [{ owner, count, oldest }]
 * await offlineEdge.table()           // the same as console.table, with limits and ages
 * await offlineEdge.list("bob@example.org")
 * await offlineEdge.export("bob@example.org")
 * copy(await offlineEdge.openMetrics())
 * offlineEdge.store                   // the store itself, for anything else
 * ```
 */
export interface OfflineEdgeDebugHandle {
  /** The store the handle wraps. */
  readonly store: OfflineStoreApi;
  /** The full metrics report: snapshot, OpenMetrics text, queues, limits. */
  metrics(): Promise<MetricsReport>;
  /** Every non-empty queue. */
  queues(): Promise<QueueInfo[]>;
  /** Prints the queues with depth, limit and oldest age via `console.table`, and returns the rows. */
  table(): Promise<Array<{ owner: string; count: number; limit: number | string; oldest: string }>>;
  /** A queue's messages as stored, oldest first (default: all). */
  list(peer: string, limit?: number): Promise<ListedMessage[]>;
  /** A queue as JSON-ready data (what "Export JSON" saves per queue). */
  export(peer: string): ReturnType<OfflineStoreApi["export"]>;
  /** The metrics as OpenMetrics text. */
  openMetrics(): Promise<string>;
  /** Prints this help. */
  help(): void;
}

const HELP = `offline-edge debug handle:
  .store                   the OfflineStoreApi
  .metrics()               metrics report (snapshot, openMetrics, queues, limits)
  .queues()                non-empty queues [{ owner, count, oldest }]
  .table()                 console.table of queues with limits and ages
  .list(peer, limit?)      a queue's stored messages
  .export(peer)            a queue as JSON-ready data
  .openMetrics()           metrics as OpenMetrics text`;

/**
 * Puts a console handle for a store on `window[name]` (default
 * `window.offlineEdge`) for debugging in devtools; see
 * `OfflineEdgeDebugHandle`. Returns a function that removes it again.
 * Meant for development builds: the handle reads every queue.
 */
export function exposeDebugHandle(store: OfflineStoreApi, name = "offlineEdge"): () => void {
  const handle: OfflineEdgeDebugHandle = {
    store,
    metrics: () => store.metrics(),
    queues: () => store.queues(),
    async table() {
      const { queues, limits } = await store.metrics();
      const now = Date.now();
      const rows = queues.map((q) => ({
        owner: q.owner,
        count: q.count,
        limit: limits[q.owner] ?? "∞",
        oldest: q.oldest === null ? "—" : `${Math.round((now - q.oldest) / 1000)} s ago`,
      }));
      console.table(rows);
      return rows;
    },
    list: (peer, limit) => store.list(peer, limit),
    export: (peer) => store.export(peer),
    openMetrics: async () => (await store.metrics()).openMetrics,
    help: () => console.info(HELP),
  };
  const target = window as unknown as Record<string, unknown>;
  target[name] = handle;
  return () => {
    if (target[name] === handle) delete target[name];
  };
}
