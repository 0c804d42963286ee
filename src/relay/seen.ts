import { InvalidOptionError } from "../core/errors.ts";
import { IdbSeenIds } from "./seen-idb.ts";

/** Default bound on remembered ids per scope: the oldest are forgotten first. */
export const DEFAULT_MAX_SEEN = 10_000;

/**
 * The origin-ids (XEP-0359) a receiver has already handed to its app,
 * per scope (a bare JID, usually). `claim` is atomic: of several claims of
 * one id in one scope, across tabs too when the set is shared, exactly one
 * gets true.
 */
export interface SeenIds {
  /** Records the id as taken by this receiver; true when nobody had it (or its taker died before handing it over). */
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
}

function checkMax(max: number): number {
  if (!(Number.isInteger(max) && max > 0)) throw new InvalidOptionError("maxPerScope must be a positive whole number.");
  return max;
}

/** Seen ids in memory: they last as long as this JS context. */
export class MemorySeenIds implements SeenIds {
  private readonly scopes = new Map<string, Set<string>>();
  private readonly max: number;

  constructor(options: Pick<SeenIdsOptions, "maxPerScope"> = {}) {
    this.max = checkMax(options.maxPerScope ?? DEFAULT_MAX_SEEN);
  }

  async claim(scope: string, id: string): Promise<boolean> {
    let ids = this.scopes.get(scope);
    if (!ids) this.scopes.set(scope, (ids = new Set()));
    if (ids.has(id)) return false;
    ids.add(id);
    // A Set iterates in insertion order: the first is the oldest.
    for (const old of ids) {
      if (ids.size <= this.max) break;
      ids.delete(old);
    }
    return true;
  }

  async handed(): Promise<void> {}

  async release(scope: string, ids: string[]): Promise<void> {
    for (const id of ids) this.scopes.get(scope)?.delete(id);
  }

  close(): void {
    this.scopes.clear();
  }
}

/**
 * The seen-id set for this runtime: in IndexedDB when there is one (it
 * survives reloads and is shared by the origin's tabs), else in memory.
 */
export function openSeenIds(options: SeenIdsOptions = {}): SeenIds {
  const max = checkMax(options.maxPerScope ?? DEFAULT_MAX_SEEN);
  if (typeof indexedDB === "undefined") return new MemorySeenIds({ maxPerScope: max });
  return new IdbSeenIds({ name: options.name ?? "offline-edge-seen", maxPerScope: max });
}
