import type { Element } from "@xmpp/xml";
import { xml } from "./xml.ts";
import { NS } from "./namespaces.ts";
import { removeChildren } from "./stanza.ts";

/** UTC RFC 3339 / XEP-0082 DateTime with milliseconds, e.g. 2026-11-25T14:00:00.000Z. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Takes the time a message carries in an existing XEP-0203 `<delay/>`, and
 * removes that element (it is replaced by ours on pop). Returns `now` when
 * there is none or its stamp is unreadable.
 */
export function takeDelay(el: Element, now: number): number {
  const delay = el.getChild("delay", NS.delay);
  if (!delay) return now;
  removeChildren(el, "delay", NS.delay);
  const t = Date.parse(delay.attrs.stamp ?? "");
  return Number.isFinite(t) ? t : now;
}

/** Adds the delay stamp mod_offline puts on each popped message. */
export function addOfflineDelay(el: Element, domain: string, timestamp: number): void {
  el.append(xml("delay", { xmlns: NS.delay, from: domain, stamp: stamp(timestamp) }, "Offline Storage"));
}

/**
 * XEP-0023: the expiry time in ms of a message, or null when it has none.
 * Only N > 0 counts; other values are ignored, as the XEP asks.
 */
export function expiryOf(el: Element, timestamp: number): number | null {
  const x = el.getChild("x", NS.expire);
  const n = Number(x?.attrs.seconds);
  return x && Number.isInteger(n) && n > 0 ? timestamp + n * 1000 : null;
}

/** XEP-0023 §4: on delivery, `seconds` tells the time that is left. */
export function refreshExpiry(el: Element, expireAt: number | null, now: number): void {
  const x = el.getChild("x", NS.expire);
  if (x && expireAt !== null) x.attrs.seconds = String(Math.max(1, Math.ceil((expireAt - now) / 1000)));
}
