/**
 * One stored offline message, as every storage backend keeps it. A user's
 * queue is the key range `[owner, …]`, ordered by `ts` then `seq`, so pop
 * and count never touch another user's messages.
 */
export interface OfflineRecord {
  /** Bare JID of the recipient: whose queue this is. */
  owner: string;
  /** Message time in ms since the epoch: its incoming `<delay/>` stamp, else arrival. */
  ts: number;
  /** Tie-break within one `ts`, assigned by the backend, strictly increasing. */
  seq: number;
  /** Stable id (XEP-0359 origin-id), the same through every retry. */
  id: string;
  /** Sender as written on the stanza (may be empty for a local app). */
  from: string;
  /** XEP-0023 expiry in ms since the epoch, or null. */
  expireAt: number | null;
  /** For chat markers (XEP-0333): "type, thread, peer"; only the latest per key is kept. */
  marker: string | null;
  /** The stanza as stored: serialised XML, incoming delay removed. */
  packet: string;
  /**
   * True when `packet` was proven to read back before it was stored (every
   * record this version writes). Only such a record is stamped by string
   * assembly on pop; an older record is parsed first, and quarantined if it
   * cannot be read.
   */
  verified?: true;
}

/**
 * A stored record that could not be read back (written by an older
 * version, before stanzas were proven to read back): moved aside out of
 * its queue so it never blocks the messages behind it, and kept for
 * inspection rather than deleted.
 */
export interface QuarantinedRecord extends OfflineRecord {
  /** Why it could not be read. */
  reason: string;
  /** When it was moved aside, ms since the epoch. */
  at: number;
}

/** A record before its backend gives it a `seq`. */
export type NewRecord = Omit<OfflineRecord, "seq">;

/** The primary key of a record. */
export type RecordKey = [owner: string, ts: number, seq: number];

export function keyOf(r: OfflineRecord): RecordKey {
  return [r.owner, r.ts, r.seq];
}

/** Orders records oldest first. */
export function compareRecords(a: OfflineRecord, b: OfflineRecord): number {
  return a.ts - b.ts || a.seq - b.seq;
}
