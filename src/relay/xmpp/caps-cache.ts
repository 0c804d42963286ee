// What client versions support, kept across sessions (XEP-0115 §6.3: "all of
// the responses to the disco#info queries SHOULD be cached"), so a drain to a
// peer whose client we have met before need not wait for its disco#info.
import { InvalidOptionError } from "../../core/errors.ts";

/** Features by XEP-0115 `node#ver`: only answers verified against their `ver` are put here (see caps-ver.ts). */
export interface CapsCache {
  get(nodeVer: string): readonly string[] | undefined;
  set(nodeVer: string, features: readonly string[]): void;
}

/** The localStorage key of {@link localCapsCache}. */
export const CAPS_CACHE_KEY = "offline-edge:xmpp-caps";
/** At most this many client versions are kept; the oldest go first. */
export const CAPS_CACHE_MAX = 256;

type Entries = Record<string, readonly string[]>;

function read(storage: Storage): Entries {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(CAPS_CACHE_KEY) ?? "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    // Anything else in that key (another version, another script) is left out, not trusted.
    const entries = Object.entries(parsed).filter(([, v]) => Array.isArray(v) && v.every((f) => typeof f === "string"));
    return Object.fromEntries(entries) as Entries;
  } catch {
    return {};
  }
}

/**
 * A {@link CapsCache} in the origin's localStorage, shared by its tabs: one
 * JSON record of at most {@link CAPS_CACHE_MAX} client versions. Null where
 * there is no usable localStorage (Node, a worker, storage turned off).
 */
export function localCapsCache(storage?: Storage): CapsCache | null {
  let store: Storage;
  try {
    store = storage ?? globalThis.localStorage;
    if (!store) return null;
  } catch {
    return null; // reading `localStorage` itself throws where storage is blocked
  }
  return {
    get: (nodeVer) => read(store)[nodeVer],
    set(nodeVer, features) {
      const entries = read(store);
      delete entries[nodeVer];
      entries[nodeVer] = [...features];
      const keys = Object.keys(entries);
      for (const old of keys.slice(0, Math.max(0, keys.length - CAPS_CACHE_MAX))) delete entries[old];
      try {
        store.setItem(CAPS_CACHE_KEY, JSON.stringify(entries));
      } catch {
        // full or refused: this session still has its answers in memory
      }
    },
  };
}

/** The relay's `capsCache` option: undefined is {@link localCapsCache}, null none; anything else must have `get` and `set`. */
export function capsCacheOption(value: unknown): CapsCache | null {
  if (value === undefined) return localCapsCache();
  if (value === null) return null;
  const cache = value as Partial<CapsCache>;
  if (typeof cache.get !== "function" || typeof cache.set !== "function") {
    throw new InvalidOptionError("capsCache must be null or an object with get(nodeVer) and set(nodeVer, features).");
  }
  return value as CapsCache;
}
