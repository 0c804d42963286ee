// The floor of a store hosted by a service worker, for bench/store.mjs: a
// worker with nothing in it but raw IndexedDB, answering on the reply port a
// page sends (as workbox-window's messageSW does for our store). Requests:
//   { op: "add", stanza }       one readwrite transaction, one add (no check)
//   { op: "checked", stanza, owner }  one readwrite transaction: the owner's
//                                count row read, then the message added and the row put (the
//                                least a store keeping a per-user limit does)
//   { op: "count" }             one readonly transaction, one count
// It is registered under its own scope, so it never controls the page.
let opened = null;
const db = () =>
  (opened ??= new Promise((resolve, reject) => {
    const r = indexedDB.open("floor", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("messages", { autoIncrement: true });
      r.result.createObjectStore("counts", { keyPath: "owner" });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  }));

const done = (tx) => new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });

async function handle({ op, stanza, owner }) {
  const d = await db();
  if (op === "count") {
    const q = d.transaction("messages").objectStore("messages").count();
    return new Promise((resolve) => (q.onsuccess = () => resolve(q.result)));
  }
  const tx = d.transaction(op === "add" ? ["messages"] : ["messages", "counts"], "readwrite");
  if (op === "add") tx.objectStore("messages").add({ stanza });
  else {
    const row = tx.objectStore("counts").get(owner);
    row.onsuccess = () => {
      tx.objectStore("messages").add({ owner, stanza });
      tx.objectStore("counts").put({ owner, count: (row.result?.count ?? 0) + 1 });
    };
  }
  await done(tx);
  return true;
}

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("message", (event) => {
  const port = event.ports[0];
  if (port) event.waitUntil(handle(event.data).then((value) => port.postMessage({ ok: true, value }), (e) => port.postMessage({ ok: false, error: String(e) })));
});
