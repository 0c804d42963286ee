import type { MetricsSnapshot } from "./metrics.ts";
import type { DeadLetter, StanzaErrorData } from "./dead-letter.ts";
import type { NewRecord, OfflineRecord, QuarantinedRecord, RecordKey } from "./record.ts";

/**
 * One recipient's part of one write request. A group is all or nothing:
 * if storing it would take the queue past `max`, none of it is stored
 * (mod_offline refuses a user's whole pending batch the same way).
 */
export interface WriteGroup {
  owner: string;
  max: number;
  records: NewRecord[];
}

/** Summary of one queue, for dashboards. */
export interface QueueInfo {
  owner: string;
  count: number;
  /** `ts` of the oldest message, or null for an empty queue. */
  oldest: number | null;
}

/** Options of a read. */
export interface ReadOptions {
  /** Current time in ms: records with `expireAt <= now` are skipped (and, when removing, deleted). */
  now: number;
  /** At most this many records; default all. */
  limit?: number;
  /** Delete what was read in the same transaction (pop). Default false (peek). */
  remove?: boolean;
  /**
   * With `remove`: says why a record cannot be handed out (null when it
   * can). Such a record is neither returned nor counted as popped: it is
   * moved to the quarantine in the same transaction, so a pop deletes
   * exactly what it returns.
   */
  unreadable?: (r: OfflineRecord) => string | null;
  /** Start after this key (a windowed drain reads on past what it has in flight). Default: the queue's head. */
  after?: RecordKey;
}

/** What a read returns. */
export interface ReadResult {
  records: OfflineRecord[];
  /** Expired records met on the way; deleted when `remove` was set. */
  expired: number;
  /** With `remove`: ids of the records this read moved to the quarantine (not those left in place at quota). */
  quarantined?: string[];
}

/**
 * The storage interface every backend implements: the counterpart of
 * mod_offline's backend behaviour. Every mutating call but `write` may
 * carry a metrics delta, persisted in the same transaction. Writes leave
 * metrics to the store's flush, so a write touches the fewest records.
 */
export interface OfflineBackend {
  /** Which backend this is, for diagnostics. */
  readonly kind: string;
  /** Commits every group in order, in one transaction; returns for each whether it was stored. */
  write(groups: WriteGroup[]): Promise<boolean[]>;
  /** Reads a queue oldest first; with `remove` it is a pop (read and delete in one transaction). */
  read(owner: string, options: ReadOptions, metrics?: MetricsSnapshot): Promise<ReadResult>;
  /** Deletes the given records of one queue (a delivery confirmed); returns the ids of those that existed. */
  remove(owner: string, keys: RecordKey[], metrics?: MetricsSnapshot): Promise<string[]>;
  count(owner: string): Promise<number>;
  /** Moves records of one queue aside to the quarantine (if still queued); returns how many moved. */
  quarantine(owner: string, records: Array<{ key: RecordKey; reason: string }>, now: number): Promise<number>;
  /** Records moved aside, oldest first. */
  quarantined(): Promise<QuarantinedRecord[]>;
  /** Every non-empty queue. */
  queues(): Promise<QueueInfo[]>;
  removeUser(owner: string, metrics?: MetricsSnapshot): Promise<number>;
  /** Deletes records with `expireAt <= now`. */
  removeExpired(now: number, metrics?: MetricsSnapshot): Promise<number>;
  /** Deletes records with `ts < before`. */
  removeOlderThan(before: number, metrics?: MetricsSnapshot): Promise<number>;
  /** Moves one record from its queue to the dead letters (one transaction); returns its id, or null if it was gone. */
  bury(key: RecordKey, error: StanzaErrorData, failedAt: number): Promise<string | null>;
  /**
   * Keeps a record that was never queued (a straight send refused for good)
   * as a dead letter, under a key of its queue that no message or letter
   * has (so a retry puts it in that queue); returns the key.
   */
  entomb(record: NewRecord, error: StanzaErrorData, failedAt: number): Promise<RecordKey>;
  /** Dead letters, oldest first; of one recipient, or all. */
  deadLetters(owner?: string): Promise<DeadLetter[]>;
  /** Moves dead letters back into their places in their queue (no limit check: they were queued before); returns their ids. */
  revive(keys: RecordKey[]): Promise<string[]>;
  /** Deletes dead letters; returns their ids. */
  discard(keys: RecordKey[]): Promise<string[]>;
  /** Metric totals persisted so far. */
  loadMetrics(): Promise<MetricsSnapshot>;
  /** Persists a metrics delta on its own. */
  saveMetrics(delta: MetricsSnapshot): Promise<void>;
  /** The store configuration last saved (a worker restarted by the browser reads it back), or null. */
  loadSettings(): Promise<unknown>;
  saveSettings(settings: unknown): Promise<void>;
  close(): void;
}

/**
 * A copy of a metrics delta with what a transaction did added, for a
 * backend to persist in that same transaction. A copy, so that the caller's
 * delta stays clean if the transaction fails and is restored.
 */
export function tallied(
  delta: MetricsSnapshot | undefined,
  n: { stored?: number; refused?: number; popped?: number; expired?: number },
): MetricsSnapshot | undefined {
  if (!delta) return undefined;
  const out = structuredClone(delta);
  const c = out.counters;
  c.stored += n.stored ?? 0;
  c.popped += n.popped ?? 0;
  c.expired += n.expired ?? 0;
  if (n.refused) c.bounced["resource-constraint"] = (c.bounced["resource-constraint"] ?? 0) + n.refused;
  return out;
}

/**
 * Of several chat markers with one key in a batch, only the last counts
 * (XEP-0333: a later marker supersedes an earlier one).
 */
export function latestMarkersOnly(records: NewRecord[]): NewRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => r.marker !== null && last.set(r.marker, i));
  return last.size ? records.filter((r, i) => r.marker === null || last.get(r.marker) === i) : records;
}
