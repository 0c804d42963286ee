import { IndexedDBBackend } from "../storage/indexeddb.ts";
import { StoreHost } from "../protocol/host.ts";
import { ClientStore, type Transport } from "./client-store.ts";

/**
 * The store run in this page (page mode): the same host the worker runs,
 * over a direct transport. Its own module, loaded only when needed, so a
 * page whose worker serves never downloads the store itself.
 */
export function pageStore(dbName: string | undefined): ClientStore {
  const host = new StoreHost(new IndexedDBBackend({ name: dbName }));
  // structuredClone: the page host sees copies, as the worker would.
  const transport: Transport = (req) => host.handle(structuredClone(req));
  return new ClientStore("page", transport, () => host.close());
}
