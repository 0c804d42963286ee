import type { QueueInfo } from "./backend.ts";
import type { StoreListener } from "./events.ts";
import type { ListedMessage, OfflineStore, PoppedMessage, WriteResult } from "./offline-store.ts";
import type { QuarantinedRecord, RecordKey } from "./record.ts";
import type { DeadLetter, StanzaErrorData } from "./dead-letter.ts";
import type { MetricsSnapshot } from "./metrics.ts";

/** Metrics as hosts hand them out: snapshot, OpenMetrics text, queues with their limits. */
export interface MetricsReport {
  snapshot: MetricsSnapshot;
  openMetrics: string;
  queues: QueueInfo[];
  /** Per-user limit of each queue; null is infinity. */
  limits: Record<string, number | null>;
  /** Records moved aside because they could not be read back. */
  quarantined: number;
}

/** Where the store runs: in the service worker (shared by every tab), or in this page. */
export type StoreMode = "worker" | "page";

/**
 * The offline store as a page sees it, the same in worker and page mode.
 * Stanzas travel as XML strings. Every call may reject with a typed
 * `OfflineEdgeError` (bad input, timeout), and then nothing was changed,
 * except after a `timeout`, when the outcome is unknown.
 */
export interface OfflineStoreApi {
  readonly mode: StoreMode;
  write(stanzas: string[]): Promise<WriteResult[]>;
  pop(owner: string, limit?: number): Promise<PoppedMessage[]>;
  peek(owner: string, limit?: number, after?: RecordKey): Promise<PoppedMessage[]>;
  ack(owner: string, keys: RecordKey[]): Promise<number>;
  /** Reports that a drain's sent messages came back and stay queued: counted and told to every tab (a `requeued` event). */
  reportRequeued(owner: string, ids: string[]): Promise<void>;
  /** Sets a message the relay refused for good aside, into the dead letters (see src/messaging/README.md). */
  bury(owner: string, key: RecordKey, error: StanzaErrorData): Promise<boolean>;
  /** Keeps a message refused for good on a straight send (never queued) as a dead letter; false if the store would not queue it. */
  deadLetter(stanza: string, error: StanzaErrorData): Promise<boolean>;
  /** Dead letters, of one recipient or all. */
  deadLetters(owner?: string): Promise<DeadLetter[]>;
  /** Puts dead letters back into their queue. */
  retryDead(owner: string, keys: RecordKey[]): Promise<number>;
  /** Deletes dead letters. */
  discardDead(owner: string, keys: RecordKey[]): Promise<number>;
  count(owner: string): Promise<number>;
  list(owner: string, limit?: number): Promise<ListedMessage[]>;
  queues(): Promise<QueueInfo[]>;
  limitOf(owner: string): Promise<number>;
  removeUser(owner: string): Promise<number>;
  removeExpired(): Promise<number>;
  removeOlderThan(days: number): Promise<number>;
  export(owner: string): ReturnType<OfflineStore["export"]>;
  metrics(): Promise<MetricsReport>;
  /** Records that could not be read back, moved out of their queues (see README, Reliability). */
  quarantined(): Promise<QuarantinedRecord[]>;
  /** Store events from every tab (and the worker), as they happen. */
  subscribe(listener: StoreListener): () => void;
  close(): Promise<void>;
}
