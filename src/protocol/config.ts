import type { OfflineStoreOptions } from "../core/offline-store.ts";
import { InvalidOptionError } from "../core/errors.ts";

/** Store options a page may set: everything but the backend and the clock. */
export type StoreConfig = Omit<OfflineStoreOptions, "backend" | "now">;

const KEYS: Record<keyof StoreConfig, (v: unknown) => boolean> = {
  mode: (v) => v === "enabled" || v === "disabled" || v === "stub",
  storeGroupchatMessages: (v) => typeof v === "boolean",
  acl: (v) => typeof v === "object" && v !== null,
  access: (v) => typeof v === "object" && v !== null,
  accessMaxUserMessages: (v) => typeof v === "string",
  maxStanzaBytes: (v) => Number.isInteger(v) && (v as number) > 0,
};

/**
 * Checks a configuration that crossed a channel: known keys only, each of
 * the right type. The store's constructor checks the rules in depth.
 */
export function parseConfig(data: Record<string, unknown>): StoreConfig {
  for (const [k, v] of Object.entries(data)) {
    const check = Object.hasOwn(KEYS, k) ? KEYS[k as keyof StoreConfig] : undefined;
    if (!check) throw new InvalidOptionError(`Unknown store option ${JSON.stringify(k)}.`);
    if (v !== undefined && !check(v)) throw new InvalidOptionError(`Bad value for store option ${k}.`);
  }
  return data as StoreConfig;
}
