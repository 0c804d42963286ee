// Stanza ids from crypto.getRandomValues, which, unlike crypto.randomUUID,
// also exists outside secure contexts (a page on plain http://host).

/** A random id of 16 base-36 characters (about 82 bits). */
export function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let id = "";
  for (const b of bytes) id += (b % 36).toString(36);
  return id;
}
