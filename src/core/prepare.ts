import { xml, type Element } from "./xml.ts";
import { bareJid } from "./jid.ts";
import { NS } from "./namespaces.ts";
import { decide, type DropReason, type PolicyOptions } from "./policy.ts";
import type { NewRecord } from "./record.ts";
import { cloneElement, readMessage } from "./stanza.ts";
import { randomId } from "./id.ts";
import { expiryOf, takeDelay } from "./time.ts";

/** A message read, checked and judged, ready to store or to answer. */
export type Prepared =
  | { kind: "store"; element: Element; record: NewRecord }
  | { kind: "drop"; element: Element; reason: DropReason | "expired" };

/**
 * The XEP-0359 origin-id of a message, if it has one: the id that stays the
 * same through every retry, by which a receiver drops a redelivery.
 */
export function originIdOf(el: Element): string | undefined {
  return el.getChild("origin-id", NS.sid)?.attrs.id || undefined;
}

/** The stable id of a message: its XEP-0359 origin-id, added when absent. */
export function ensureOriginId(el: Element): string {
  const existing = originIdOf(el);
  if (existing) return existing;
  const id = randomId();
  el.append(xml("origin-id", { xmlns: NS.sid, id }));
  return id;
}

function markerKey(el: Element, type: string, thread: string): string {
  const from = el.attrs.from ? bareJid(el.attrs.from) : "";
  return `${type}\u0000${thread}\u0000${from}`;
}

/**
 * Reads one stanza for an offline recipient and turns it into a record,
 * or says why it is not stored. Throws a typed error for bad input
 * (malformed XML, missing or invalid `to`/`from`, over the size cap).
 */
export function prepare(input: unknown, now: number, maxBytes: number, policy: PolicyOptions): Prepared {
  const parsed = readMessage(input, maxBytes);
  const owner = bareJid(parsed.attrs.to);
  if (parsed.attrs.from !== undefined) bareJid(parsed.attrs.from); // validates, cached
  const decision = decide(parsed, policy);
  if (!decision.store) return { kind: "drop", element: parsed, reason: decision.reason };
  // Work on a copy from here: the caller's element stays as it was (and bounces quote it).
  const el = cloneElement(parsed);
  const ts = takeDelay(el, now);
  const expireAt = expiryOf(el, ts);
  if (expireAt !== null && expireAt <= now) return { kind: "drop", element: parsed, reason: "expired" };
  const id = ensureOriginId(el);
  const marker = decision.marker ? markerKey(el, decision.marker.type, decision.marker.thread) : null;
  // Proven to read back by construction: `el` is what the strict reader read (readMessage), changed only
  // by removing <delay/> and adding an <origin-id/> with an escaped id; a second parse would only
  // repeat that proof (test/unit/property.test.ts holds it against saxes, a strict parser we did not write).
  const record: NewRecord = { owner, ts, id, from: el.attrs.from ?? "", expireAt, marker, packet: el.toString(), verified: true };
  return { kind: "store", element: parsed, record };
}
