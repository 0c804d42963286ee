// Plain IndexedDB requests under promises, for the hot paths where idb's
// promise per request costs more than the request (src/storage/indexeddb.ts,
// src/storage/claims/indexeddb.ts). Awaiting one of these inside a
// transaction keeps the transaction active: the continuation runs in the
// success event's microtasks.

/** A request's result. */
export function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The records at `keys`, in order (undefined where none): one `get` each, one promise for all. */
export function getEach<T>(store: IDBObjectStore, keys: readonly IDBValidKey[]): Promise<Array<T | undefined>> {
  const out = new Array<T | undefined>(keys.length);
  let left = keys.length;
  return new Promise((resolve, reject) => {
    if (left === 0) resolve(out);
    keys.forEach((k, i) => {
      const req = store.get(k);
      req.onsuccess = () => {
        out[i] = req.result as T | undefined;
        if (--left === 0) resolve(out);
      };
      req.onerror = () => reject(req.error);
    });
  });
}

/** Resolves when the transaction commits; rejects when it aborts. Handled even if nobody awaits it (a throw before). */
export function committed(tx: IDBTransaction): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException("The transaction was aborted.", "AbortError"));
  });
  done.catch(() => undefined);
  return done;
}
