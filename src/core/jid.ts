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

// IP-literal of RFC 3986 §3.2.2 (RFC 7622 §3.2): an IPv6 address or an IPvFuture, in brackets.
const H16 = "[0-9A-Fa-f]{1,4}";
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const LS32 = `(?:${H16}:${H16}|${OCTET}(?:\\.${OCTET}){3})`;
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
].join("|");
const IP_LITERAL = new RegExp(`^\\[(?:${IPV6}|[vV][0-9A-Fa-f]+\\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\\]$`);

function checkDomain(domain: string, raw: string): void {
  const ok = domain.startsWith("[") ? IP_LITERAL.test(domain) : domain.split(".").every((l) => DOMAIN_LABEL.test(l));
  if (!ok) throw new InvalidJidError(`Invalid domain in JID ${JSON.stringify(raw)}.`);
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
