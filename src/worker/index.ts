/**
 * The store's service-worker side, for an app that has its own worker:
 * call `serveOfflineStore(self)` in it (see the README's "Your own worker").
 *
 * @packageDocumentation
 */
export { serveOfflineStore, type ServeOptions } from "./serve.ts";
export type { StoreHost } from "../protocol/host.ts";
