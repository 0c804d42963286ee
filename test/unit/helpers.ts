import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { OfflineStore, type OfflineStoreOptions } from "../../src/core/offline-store.ts";
import type { OfflineBackend } from "../../src/core/backend.ts";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";

/** The backends the behavioural suite runs against. Each call gives a fresh, empty one. */
export const BACKENDS: Array<[string, () => OfflineBackend]> = [
  ["memory", () => new MemoryBackend()],
  ["indexeddb", () => new IndexedDBBackend({ factory: new IDBFactory() })],
];

export function makeStore(backend: OfflineBackend, options: Partial<OfflineStoreOptions> = {}): OfflineStore {
  return new OfflineStore({ backend, ...options });
}

let n = 0;
/** A chat message from alice to `to`, with a fresh id, and a body (default `hello <n>`). */
export function chat(to = "bob@localhost", body?: string, extra = "", attrs = ""): string {
  const id = ++n;
  return `<message xmlns='jabber:client' type='chat' from='alice@localhost/web' to='${to}' id='m${id}' ${attrs}><body>${body ?? `hello ${id}`}</body>${extra}</message>`;
}

export function bodies(stanzas: Array<{ stanza: string }>): string[] {
  return stanzas.map((s) => /<body>(.*?)<\/body>/.exec(s.stanza)?.[1] ?? "");
}
