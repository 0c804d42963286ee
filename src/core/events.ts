import type { BounceReason } from "./bounce.ts";

/** What the store tells its subscribers (and, through the worker, every tab). */
export type StoreEvent =
  | { type: "stored"; owner: string; ids: string[] }
  | { type: "bounced"; owner: string; reason: BounceReason; count: number }
  | { type: "dropped"; owner: string; reason: string }
  | { type: "popped"; owner: string; ids: string[] }
  | { type: "requeued"; owner: string; ids: string[] }
  | { type: "expired"; owner: string | null; count: number }
  | { type: "removed"; owner: string | null; count: number }
  | { type: "quarantined"; owner: string; ids: string[] };

export type StoreListener = (event: StoreEvent) => void;
