/** The page side: open the store (service worker or page mode), and wire a relay to it. */
export type { OfflineStoreApi, MetricsReport, StoreMode } from "./api.ts";
export { ClientStore } from "./client-store.ts";
export { createOfflineStore, type CreateOfflineStoreOptions } from "./create.ts";
export { Messenger, type MessengerOptions } from "./messenger.ts";
export type { StoreConfig } from "../protocol/config.ts";
