// Random ids from crypto.getRandomValues, which, unlike crypto.randomUUID,
// also exists outside secure contexts (a page on plain http://192.168.x.x).

/** 64 URL-safe symbols: 256 is a multiple of 64, so `byte & 63` picks each with equal odds (no modulo bias). */
const ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";

/** Random bytes are fetched this many at a time: one native call per id cost ~50 µs each in a drain's profile. */
const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let used = 0;

/**
 * A random id of `size` URL-safe characters (default 21: 126 bits, as
 * nanoid), from `crypto.getRandomValues`, so it works on any origin.
 */
export function randomId(size = 21): string {
  if (used + size > pool.length) {
    pool = globalThis.crypto.getRandomValues(new Uint8Array(Math.max(POOL_SIZE, size)));
    used = 0;
  }
  let id = "";
  for (let i = used; i < used + size; i++) id += ALPHABET[pool[i]! & 63];
  used += size;
  return id;
}
