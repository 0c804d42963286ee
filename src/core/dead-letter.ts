import type { OfflineRecord } from "./record.ts";

/**
 * A stanza error as data (RFC 6120 §8.3): its `type` (`cancel`, `modify`,
 * `auth`, `wait`, `continue`), its defined condition and optional text.
 */
export interface StanzaErrorData {
  type: string;
  condition: string;
  text?: string;
}

/** Error types after which sending the same message again cannot help (RFC 6120 §8.3.2). */
export const PERMANENT_ERROR_TYPES: ReadonlySet<string> = new Set(["cancel", "modify", "auth"]);

/**
 * A message the relay refused for good, set aside from its queue so it no
 * longer blocks what is behind it (see src/messaging/README.md). The app
 * can list it, retry it (back into its place in the queue) or discard it.
 */
export interface DeadLetter {
  /** The record as it was queued (`packet` is the stored stanza). */
  record: OfflineRecord;
  /** Why it was refused. */
  error: StanzaErrorData;
  /** When it was set aside, in ms since the epoch. */
  failedAt: number;
}
