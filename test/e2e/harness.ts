// The page browser tests drive: it exposes the library on window.harness.
import { createOfflineStore } from "../../src/client/create.ts";
import { OfflineStore } from "../../src/core/offline-store.ts";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { parseRequest } from "../../src/protocol/request.ts";

const harness = { createOfflineStore, OfflineStore, IndexedDBBackend, parseRequest };
declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.body.dataset.ready = "true";
