import { jid as parseJid, type JID } from "@xmpp/jid";
import { InvalidJidError } from "./errors.ts";

// RFC 7622 caps each part at 1023 octets; these characters may never appear
// in a localpart, and no part may hold whitespace or control characters.
const MAX_PART = 1023;
const LOCAL_FORBIDDEN = /["&'/:<>@\s\p{Cc}]/u;
const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}_-]{1,63}(?<!-)$/u;
const CONTROL = /[\p{Cc}]/u;

const encoder = new TextEncoder();

function bytes(s: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: skip encoding short strings.
  return s.length * 3 <= MAX_PART ? s.length : encoder.encode(s).length;
}

function checkDomain(domain: string, raw: string): void {
  const ipv6 = domain.startsWith("[") && domain.endsWith("]");
  const labels = domain.split(".");
  if (!ipv6 && !labels.every((l) => DOMAIN_LABEL.test(l))) {
    throw new InvalidJidError(`Invalid domain in JID ${JSON.stringify(raw)}.`);
  }
}

/**
 * Parses and validates a JID. Stricter than `@xmpp/jid`, which accepts any
 * string: bad input must fail here, at the edge, with a clear error.
 */
export function parseAddress(raw: unknown): JID {
  if (typeof raw !== "string" || raw.length === 0) throw new InvalidJidError("JID is missing.");
  const slash = raw.indexOf("/");
  const bare = slash === -1 ? raw : raw.slice(0, slash);
  const resource = slash === -1 ? "" : raw.slice(slash + 1);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at);
  const domain = at === -1 ? bare : bare.slice(at + 1);
  if (at === 0 || (slash !== -1 && !resource)) throw new InvalidJidError(`Empty part in JID ${JSON.stringify(raw)}.`);
  if (local && LOCAL_FORBIDDEN.test(local)) throw new InvalidJidError(`Invalid localpart in JID ${JSON.stringify(raw)}.`);
  if (CONTROL.test(resource)) throw new InvalidJidError(`Invalid resource in JID ${JSON.stringify(raw)}.`);
  if ([local, domain, resource].some((p) => bytes(p) > MAX_PART)) throw new InvalidJidError(`A part of JID is over ${MAX_PART} bytes.`);
  checkDomain(domain, raw);
  return parseJid(raw);
}

/** A validated address in its normal forms; shared, so frozen. */
export interface Address {
  /** The full JID as @xmpp/jid normalises it (`local@domain/resource`). */
  readonly full: string;
  /** The bare JID (`local@domain`). */
  readonly bare: string;
  /** The resource, or "" for a bare JID. */
  readonly resource: string;
}

// Addresses seen lately: the same few recur on every write and every mesh
// frame, and a parse (@xmpp/jid's escaping `detect` included) is the cost.
const cache = new Map<string, Address>();
const CACHE_MAX = 10_000;

/**
 * Validates and normalises an address, parsing each distinct string once
 * (the most recent 10,000 are remembered). Throws as `parseAddress` does.
 */
export function address(raw: unknown): Address {
  const hit = typeof raw === "string" ? cache.get(raw) : undefined;
  if (hit !== undefined) return hit;
  const jid = parseAddress(raw);
  const a = Object.freeze({ full: jid.toString(), bare: jid.bare().toString(), resource: jid.resource ?? "" });
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(raw as string, a);
  return a;
}

/** The bare JID (`local@domain`, lowercased as @xmpp/jid normalises it) of an address. */
export function bareJid(raw: unknown): string {
  return address(raw).bare;
}
