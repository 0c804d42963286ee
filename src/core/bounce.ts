import { xml, type Element } from "./xml.ts";
import { NS } from "./namespaces.ts";
import { cloneElement } from "./stanza.ts";

/** Why a message came back to its sender as an error. */
export type BounceReason = "resource-constraint" | "service-unavailable" | "storage-full";

const BOUNCES: Record<BounceReason, { type: string; text: string }> = {
  // mod_offline's texts, word for word.
  "resource-constraint": {
    type: "wait",
    text: "Your contact offline message queue is full. The message has been discarded.",
  },
  "service-unavailable": { type: "cancel", text: "Bounce offline message" },
  // The browser refused the write for lack of disk space (its storage quota): try again later.
  "storage-full": {
    type: "wait",
    text: "Offline storage is full (the browser's storage quota is reached). The message has been discarded.",
  },
};

/** The RFC 6120 condition element each reason is sent as. */
const CONDITION: Record<BounceReason, string> = {
  "resource-constraint": "resource-constraint",
  "service-unavailable": "service-unavailable",
  "storage-full": "resource-constraint",
};

/**
 * The error a refused message earns its sender (RFC 6120 §8.3): the
 * original stanza with `from`/`to` swapped, `type='error'` and the
 * `<error/>` of mod_offline.
 */
export function bounce(original: Element, reason: BounceReason): Element {
  const { type, text } = BOUNCES[reason];
  const reply = cloneElement(original);
  const { from, to } = original.attrs;
  reply.attrs = { ...reply.attrs, type: "error", from: to, to: from };
  reply.append(
    xml(
      "error",
      { type },
      xml(CONDITION[reason], { xmlns: NS.stanzas }),
      xml("text", { xmlns: NS.stanzas }, text),
    ),
  );
  return reply;
}
