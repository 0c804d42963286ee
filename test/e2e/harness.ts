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

const harness = { createOfflineStore, OfflineStore, IndexedDBBackend, parseRequest, defineOfflineDashboard, exposeDebugHandle, startChat, readMessage, createXmppRelay, xml, shardOf };
declare global {
  interface Window {
    harness: typeof harness;
    chat: Awaited<ReturnType<typeof startChat>>;
  }
}
window.harness = harness;
document.body.dataset.ready = "true";
