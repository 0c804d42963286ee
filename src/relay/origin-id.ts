import type { Element } from "@xmpp/xml";
import { NS } from "../core/namespaces.ts";

/**
 * The XEP-0359 origin-id of a message, if it has one: the id that stays
 * the same through every retry, by which a receiver drops a redelivery.
 * (The reading half of core's `ensureOriginId`.)
 */
export function originIdOf(el: Element): string | undefined {
  return el.getChild("origin-id", NS.sid)?.attrs.id || undefined;
}
