// The write baseline of bench/store.mjs: Workbox's background-sync Queue,
// driven from a page. Queue reads `self.registration` (a worker global);
// in a page it is absent, so it gets an empty one: no Background Sync, the
// queue only stores (what our store's write is compared with).
import { Queue } from "workbox-background-sync";

globalThis.registration ??= {};

/** A fresh Workbox queue with its own name. */
export function newQueue(name) {
  return new Queue(name, { forceSyncFallback: true });
}

/** What an app hands Workbox to keep for later: a POST carrying the stanza. */
export function requestFor(stanza) {
  return new Request("/xmpp/send", { method: "POST", body: stanza, headers: { "content-type": "application/xml" } });
}
