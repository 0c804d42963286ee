import { SeenIdsClosedError } from "../../core/errors.ts";
import { option } from "../../core/options.ts";
import { IdbClaimRecords } from "../../storage/claims/indexeddb.ts";
import { MemoryClaimRecords } from "../../storage/claims/memory.ts";
import { DEFAULT_MAX_PER_SCOPE } from "../../storage/claims/records.ts";
import { ClaimEngine, DEFAULT_MAX_WAIT_MS, type HolderLocks } from "./claim-engine.ts";
import { defaultJournalStorage, type JournalStorage } from "./handed-journal.ts";

export { SeenIdsClosedError, DEFAULT_MAX_WAIT_MS, type HolderLocks };

/** Default bound on remembered ids per scope: the oldest are forgotten first. */
export const DEFAULT_MAX_SEEN = DEFAULT_MAX_PER_SCOPE;

/**
 * The origin-ids (XEP-0359) a receiver has already handed to its app,
 * per scope (a bare JID, usually). `claim` is atomic: of several claims of
 * one id in one scope, across tabs too when the set is shared, exactly one
 * gets true. The rules: README.md beside this file.
 */
export interface SeenIds {
  /**
   * Records the id as taken by this receiver; true when nobody had it (or
   * its taker died or gave it up before handing it over). While another
   * receiver holds it, the answer waits. Rejects with
   * {@link SeenIdsClosedError} once closed.
   */
  claim(scope: string, id: string): Promise<boolean>;
  /** The claimed ids are now with the app. */
  handed(scope: string, ids: string[]): Promise<void>;
  /** Optional: gives up claims this set holds that were never handed over (the app went away first). */
  release?(scope: string, ids: string[]): Promise<void>;
  close(): void;
}

/** Where and how many seen ids are kept. */
export interface SeenIdsOptions {
  /** IndexedDB database name. Default `offline-edge-seen`. */
  name?: string;
  /** Ids kept per scope before the oldest are evicted. Default 10,000. */
  maxPerScope?: number;
  /**
   * How long a claim waits on an id another live inbox holds before taking
   * it anyway. Default 5000 ms. Two inboxes that got two messages in
   * opposite orders could otherwise wait on each other for ever; past this,
   * showing a message twice is the lesser harm.
   */
  maxWaitMs?: number;
}

/** Seen ids in memory: they last as long as this JS context (the claim engine over memory records). */
export class MemorySeenIds extends ClaimEngine implements SeenIds {
  constructor(options: Pick<SeenIdsOptions, "maxPerScope" | "maxWaitMs"> = {}) {
    super({ records: new MemoryClaimRecords(options), maxWaitMs: options.maxWaitMs, locks: null, journal: null });
  }
}

/** Where an {@link IdbSeenIds} keeps its ids and how it tells live inboxes from dead ones. */
export interface IdbSeenIdsOptions extends Pick<SeenIdsOptions, "maxWaitMs" | "maxPerScope"> {
  name: string;
  /** Default `navigator.locks`; null: no Web Locks (no holder can be told dead: a claim of a held id waits out `maxWaitMs`). */
  locks?: HolderLocks | null;
  /** Default `localStorage` in a page; null: no journal (a tab closed mid-handover may show a message twice). */
  journal?: JournalStorage | null;
}

/**
 * Seen ids in their own IndexedDB database (the claim engine over
 * IndexedDB records): they survive a reload and all tabs of the origin
 * share them; Web Locks tell live holders from dead ones, and the handed
 * journal covers a tab that dies between handing over and the mark.
 */
export class IdbSeenIds extends ClaimEngine implements SeenIds {
  constructor(options: IdbSeenIdsOptions) {
    super({
      records: new IdbClaimRecords(options.name, options),
      maxWaitMs: options.maxWaitMs,
      locks: options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks,
      journal: options.journal === undefined ? defaultJournalStorage() : options.journal,
    });
  }
}

/**
 * The seen-id set for this runtime: in IndexedDB when there is one (it
 * survives reloads and is shared by the origin's tabs), else in memory.
 */
export function openSeenIds(options: SeenIdsOptions = {}): SeenIds {
  const maxPerScope = option.positiveInteger("maxPerScope", options.maxPerScope, DEFAULT_MAX_SEEN);
  const maxWaitMs = option.duration("maxWaitMs", options.maxWaitMs, DEFAULT_MAX_WAIT_MS);
  if (typeof indexedDB === "undefined") return new MemorySeenIds({ maxPerScope, maxWaitMs });
  return new IdbSeenIds({ name: options.name ?? "offline-edge-seen", maxPerScope, maxWaitMs });
}
