import type { ClaimRecord } from "../../storage/claims/records.ts";

/**
 * The answer to one claim (README "States of a claimed id"):
 * - `grant`: the id is ours now (held by us, in hand) — hand the message over;
 * - `repeat`: it was handed before — drop the message;
 * - `repair-then-repeat`: a dead holder's journal says it handed it — write the record as handed, and drop;
 * - `wait`: a live inbox (or our own) has it in hand — ask again later.
 */
export type ClaimDecision = { kind: "grant" } | { kind: "repeat" } | { kind: "repair-then-repeat" } | { kind: "wait" };

/** Everything a claim is decided from. */
export interface ClaimFacts {
  /** The id's record, if any. */
  record: ClaimRecord | undefined;
  /** This engine's holder id. */
  me: string;
  /** This engine holds the id and has not handed or released it yet. */
  inHand: boolean;
  /** Whether the record's holder (another engine) still runs; null: cannot be told (no Web Locks). */
  holderAlive: boolean | null;
  /** The holder's handed journal lists the id. */
  journaled: boolean;
  /** How long this claim has waited so far, and how long it may. */
  waitedMs: number;
  maxWaitMs: number;
  /** An earlier claim of the same id in this very batch was granted. */
  grantedInBatch: boolean;
}

const GRANT: ClaimDecision = { kind: "grant" };
const REPEAT: ClaimDecision = { kind: "repeat" };
const REPAIR: ClaimDecision = { kind: "repair-then-repeat" };
const WAIT: ClaimDecision = { kind: "wait" };

/** Past `maxWaitMs` a wait becomes a grant: two inboxes waiting on each other must not stall (a repeat is the lesser harm). */
const waitOrTake = (f: ClaimFacts): ClaimDecision => (f.waitedMs >= f.maxWaitMs ? GRANT : WAIT);

/** Decides one claim: the transitions of the README's state table, and nothing else. Pure. */
export function decideClaim(f: ClaimFacts): ClaimDecision {
  // The batch just put it in our hand: wait for that handover, never a forced repeat (README: "in hand").
  if (f.grantedInBatch) return WAIT;
  const r = f.record;
  if (!r) return GRANT; // absent
  if (r.holder === undefined) return REPEAT; // handed
  if (r.holder === f.me) return f.inHand ? waitOrTake(f) : REPEAT; // ours: in hand, or handed (mark on its way)
  if (f.journaled) return REPAIR; // another's, and its journal says handed
  if (f.holderAlive === false) return GRANT; // a dead other's, never handed: take it over
  return waitOrTake(f); // a live other's (or one we cannot tell dead)
}
