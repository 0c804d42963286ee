// Random ids from crypto.getRandomValues, which, unlike crypto.randomUUID,
// also exists outside secure contexts (a page on plain http://192.168.x.x).

/** 64 URL-safe symbols: 256 is a multiple of 64, so `byte & 63` picks each with equal odds (no modulo bias). */
const ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";

/**
 * A random id of `size` URL-safe characters (default 21: 126 bits, as
 * nanoid), from `crypto.getRandomValues`, so it works on any origin.
 */
export function randomId(size = 21): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(size));
  let id = "";
  for (const b of bytes) id += ALPHABET[b & 63];
  return id;
}
