/**
 * offline-edge: XEP-0160 offline message storage at the edge.
 *
 * The runtime-agnostic core (no DOM needed: Node 20 runs it as is) and the
 * storage backends. A named list on purpose: what is not here (`prepare`,
 * `decide`, `tallied`, `Listeners`, …) is internal and may change.
 *
 * @packageDocumentation
 */
export { OfflineStore } from "./core/offline-store.ts";
export type { ListedMessage, OfflineStoreOptions, PoppedMessage, StorageMode, WriteResult } from "./core/offline-store.ts";
export type { OfflineBackend, QueueInfo, ReadOptions, ReadResult, WriteGroup } from "./core/backend.ts";
export type { NewRecord, OfflineRecord, QuarantinedRecord, RecordKey } from "./core/record.ts";
export type { DeadLetter, StanzaErrorData } from "./core/dead-letter.ts";
export { IndexedDBBackend, MemoryBackend, SCHEMA_VERSION, type IndexedDBBackendOptions } from "./storage/index.ts";
export { DEFAULT_ACCESS } from "./core/access.ts";
export type { AccessRule, AccessRules, AclSpec, AclTable, LimitValue } from "./core/access.ts";
export type { PolicyOptions, DropReason } from "./core/policy.ts";
export type { BounceReason } from "./core/bounce.ts";
export {
  InvalidJidError,
  InvalidOptionError,
  InvalidRequestError,
  MalformedStanzaError,
  OfflineEdgeError,
  OversizedStanzaError,
  type OfflineEdgeErrorCode,
} from "./core/errors.ts";
export type { StoreEvent, StoreListener } from "./core/events.ts";
export type { Counters, HistogramName, HistogramSummary, MetricsSnapshot } from "./core/metrics.ts";
export { toOpenMetrics } from "./core/openmetrics.ts";
export type { MetricsReport, OfflineStoreApi, StoreMode } from "./core/store-api.ts";
export { bareJid, parseAddress } from "./core/jid.ts";
export { NS } from "./core/namespaces.ts";
export { DEFAULT_MAX_STANZA_BYTES, parseElement } from "./core/stanza.ts";
export { originIdOf } from "./core/prepare.ts";
export { randomId } from "./core/id.ts";
