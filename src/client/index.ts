/** The page side of the store: open it (service worker or page mode) and call it. */
export type { OfflineStoreApi, MetricsReport, StoreMode } from "../core/store-api.ts";
export { ClientStore } from "./client-store.ts";
export { createOfflineStore, type CreateOfflineStoreOptions } from "./create.ts";
export type { StoreConfig } from "../protocol/config.ts";
