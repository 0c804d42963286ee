// The page browser tests drive: it exposes the library on window.harness.
import { createOfflineStore } from "../../src/client/create.ts";
import { OfflineStore } from "../../src/core/offline-store.ts";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { parseRequest } from "../../src/protocol/request.ts";
import { defineOfflineDashboard, exposeDebugHandle } from "../../src/dashboard/index.ts";
import { startChat } from "./chat-harness.ts";
import { readMessage } from "../../src/core/stanza.ts";
import { createXmppRelay } from "../../src/relay/xmpp/create.ts";
import { xml } from "@xmpp/client";
import { shardOf } from "../../src/storage/tallies.ts";
import { upgrade, type OfflineDB } from "../../src/storage/schema.ts";
import { openDB as openIdb } from "idb";

/** Opens a database with idb, typed as the offline store's schema (tests building older versions of it). */
const openDB = (name: string, version?: number, options?: Parameters<typeof openIdb<OfflineDB>>[2]) => openIdb<OfflineDB>(name, version, options);

const harness = { createOfflineStore, OfflineStore, IndexedDBBackend, parseRequest, defineOfflineDashboard, exposeDebugHandle, startChat, readMessage, createXmppRelay, xml, shardOf, upgrade, openDB };
declare global {
  interface Window {
    harness: typeof harness;
    chat: Awaited<ReturnType<typeof startChat>>;
  }
}
window.harness = harness;
document.body.dataset.ready = "true";
