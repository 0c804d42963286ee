import type { BounceReason } from "./bounce.ts";
import type { StanzaErrorData } from "./dead-letter.ts";

/** What the store tells its subscribers (and, through the worker, every tab). */
export type StoreEvent =
  | { type: "stored"; owner: string; ids: string[] }
  | { type: "bounced"; owner: string; reason: BounceReason; count: number }
  | { type: "dropped"; owner: string; reason: string }
  | { type: "popped"; owner: string; ids: string[] }
  | { type: "requeued"; owner: string; ids: string[] }
  /** Refused for good by the relay: moved from the queue to the dead letters. */
  | { type: "failed"; owner: string; ids: string[]; error: StanzaErrorData }
  /** Dead letters put back into their queue (retry). */
  | { type: "revived"; owner: string; ids: string[] }
  /** Dead letters deleted. */
  | { type: "discarded"; owner: string; ids: string[] }
  | { type: "expired"; owner: string | null; count: number }
  | { type: "removed"; owner: string | null; count: number }
  | { type: "quarantined"; owner: string; ids: string[] };

export type StoreListener = (event: StoreEvent) => void;
