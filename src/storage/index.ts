/** Storage backends: IndexedDB (default) and memory. */
export { IndexedDBBackend, type IndexedDBBackendOptions } from "./indexeddb.ts";
export { MemoryBackend } from "./memory.ts";
export { SCHEMA_VERSION } from "./schema.ts";
