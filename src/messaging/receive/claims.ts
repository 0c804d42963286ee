import { InvalidOptionError } from "../../core/errors.ts";
import { withTimeout } from "../../core/timeout.ts";
import { IdbSeenIds } from "./claims-idb.ts";

/** Default bound on remembered ids per scope: the oldest are forgotten first. */
export const DEFAULT_MAX_SEEN = 10_000;

/** Default bound on a claim's wait for an id another inbox holds. */
export const DEFAULT_MAX_WAIT_MS = 5000;


/**
 * The origin-ids (XEP-0359) a receiver has already handed to its app,
 * per scope (a bare JID, usually). `claim` is atomic: of several claims of
 * one id in one scope, across tabs too when the set is shared, exactly one
 * gets true.
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

/** The seen-id set was closed: it takes no claims, so a message cannot be taken through it. */
export class SeenIdsClosedError extends Error {
  constructor() {
    super("The seen-id set is closed.");
    this.name = "SeenIdsClosedError";
  }
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

function checkMax(max: number): number {
  if (!(Number.isInteger(max) && max > 0)) throw new InvalidOptionError("maxPerScope must be a positive whole number.");
  return max;
}

/**
 * Seen ids in memory: they last as long as this JS context. A claim of an
 * id another inbox holds (claimed, not yet handed) waits for it: false once
 * handed, a fresh claim if released.
 */
export class MemorySeenIds implements SeenIds {
  /** Per scope, each id's state; a Map iterates in insertion order, so the first is the oldest. */
  private readonly scopes = new Map<string, Map<string, Held | "handed">>();
  private readonly max: number;
  private closed = false;

  private readonly maxWaitMs: number;

  constructor(options: Pick<SeenIdsOptions, "maxPerScope" | "maxWaitMs"> = {}) {
    this.max = checkMax(options.maxPerScope ?? DEFAULT_MAX_SEEN);
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  async claim(scope: string, id: string): Promise<boolean> {
    if (this.closed) throw new SeenIdsClosedError();
    let ids = this.scopes.get(scope);
    if (!ids) this.scopes.set(scope, (ids = new Map()));
    const state = ids.get(id);
    if (state === "handed") return false;
    if (state) {
      const handed = await withTimeout(state.settled, this.maxWaitMs, "The inbox holding this id").catch(() => undefined);
      if (handed !== undefined) return handed ? false : this.claim(scope, id);
      // Waited long enough (two inboxes waiting on each other must not stall): take it.
    }
    ids.set(id, held());
    for (const old of ids.keys()) {
      if (ids.size <= this.max) break;
      this.settle(scope, old, false); // forgotten: a claim waiting on it may take it
    }
    return true;
  }

  async handed(scope: string, ids: string[]): Promise<void> {
    for (const id of ids) this.settle(scope, id, true);
  }

  async release(scope: string, ids: string[]): Promise<void> {
    for (const id of ids) this.settle(scope, id, false);
  }

  private settle(scope: string, id: string, handed: boolean): void {
    const ids = this.scopes.get(scope);
    const state = ids?.get(id);
    if (handed) ids?.set(id, "handed");
    else ids?.delete(id);
    if (state && state !== "handed") state.settle(handed);
  }

  /** Claims waiting on a held id fail with {@link SeenIdsClosedError}. */
  close(): void {
    this.closed = true;
    const scopes = [...this.scopes];
    this.scopes.clear();
    for (const [, ids] of scopes) for (const state of ids.values()) if (state !== "handed") state.settle(false);
  }
}

/** A claimed id not yet handed over: `settled` is true once handed, false once released. */
interface Held {
  settled: Promise<boolean>;
  settle: (handed: boolean) => void;
}

function held(): Held {
  let settle!: (handed: boolean) => void;
  const settled = new Promise<boolean>((r) => (settle = r));
  return { settled, settle };
}

/**
 * The seen-id set for this runtime: in IndexedDB when there is one (it
 * survives reloads and is shared by the origin's tabs), else in memory.
 */
export function openSeenIds(options: SeenIdsOptions = {}): SeenIds {
  const max = checkMax(options.maxPerScope ?? DEFAULT_MAX_SEEN);
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  if (typeof indexedDB === "undefined") return new MemorySeenIds({ maxPerScope: max, maxWaitMs });
  return new IdbSeenIds({ name: options.name ?? "offline-edge-seen", maxPerScope: max, maxWaitMs });
}
