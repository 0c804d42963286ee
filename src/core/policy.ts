import type { Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import { messageType } from "./stanza.ts";

/** Why a message was not stored although its recipient is offline. */
export type DropReason = "type" | "groupchat" | "chat-state-only" | "event-notification" | "no-store-hint" | "empty";

/** What the storage policy decided for one message. */
export type PolicyDecision =
  | { store: true; marker: MarkerKey | null }
  | { store: false; reason: DropReason };

/** Identity of a chat marker for "latest only" replacement (XEP-0333). */
export interface MarkerKey {
  type: string;
  thread: string;
}

export interface PolicyOptions {
  /** Store `groupchat` messages too (mod_offline's `store_groupchat_messages`). Default false. */
  storeGroupchatMessages?: boolean;
}

const MARKERS = new Set(["received", "displayed", "acknowledged"]);
// Children that carry nothing a recipient needs later on their own.
const NOT_WORTH_KEEPING = new Set<string>([NS.chatStates, NS.hints, NS.sid, NS.delay]);

function hint(el: Element, name: string): boolean {
  return el.getChild(name, NS.hints) !== undefined;
}

function markerOf(el: Element): MarkerKey | null {
  const m = el.getChildElements().find((c) => c.attrs.xmlns === NS.markers && MARKERS.has(c.name));
  return m ? { type: m.name, thread: el.getChildText("thread") ?? "" } : null;
}

/** Payload worth keeping: a body, or any extension outside the ignorable set. */
function hasPayload(el: Element): boolean {
  if (el.getChildText("body")?.trim()) return true;
  return el.getChildElements().some((c) => {
    if (c.name === "body" || c.name === "thread" || c.name === "subject") return false;
    if (c.name === "request" && c.attrs.xmlns === NS.receipts) return false;
    return !NOT_WORTH_KEEPING.has(c.attrs.xmlns ?? "");
  });
}

function hasChatState(el: Element): boolean {
  return el.getChildElements().some((c) => c.attrs.xmlns === NS.chatStates);
}

/** A chat state with nothing else worth keeping; a `<thread/>` beside it is content (mod_offline stores it). */
function isChatStateOnly(el: Element): boolean {
  return hasChatState(el) && !hasPayload(el) && el.getChild("thread") === undefined;
}

/**
 * An XEP-0022 event notification: `<x xmlns='jabber:x:event'>` with an
 * `<id/>` (the id of the message it reports on). mod_offline never stores
 * these; a request (`<x><offline/></x>` without `<id/>`) is stored.
 */
function isEventNotification(el: Element): boolean {
  return el.getChildren("x", NS.events).some((x) => x.getChild("id") !== undefined);
}

/**
 * The storage policy of mod_offline / XEP-0160 for one message whose
 * recipient is offline: `chat` and `normal` are stored, `error` and
 * `headline` never, `groupchat` only when allowed; XEP-0334 hints override;
 * a chat-state-only message (a thread beside the state is content), an
 * XEP-0022 event notification, or one with nothing worth keeping is not stored.
 */
export function decide(el: Element, options: PolicyOptions = {}): PolicyDecision {
  const type = messageType(el);
  if (type === "error" || type === "headline") return { store: false, reason: "type" };
  if (type === "groupchat" && !options.storeGroupchatMessages) return { store: false, reason: "groupchat" };
  if (type !== "chat" && type !== "normal" && type !== "groupchat") return { store: false, reason: "type" };
  if (hint(el, "no-store") || hint(el, "no-permanent-store")) return { store: false, reason: "no-store-hint" };
  const marker = markerOf(el);
  if (hint(el, "store")) return { store: true, marker };
  if (isEventNotification(el)) return { store: false, reason: "event-notification" };
  if (isChatStateOnly(el)) return { store: false, reason: "chat-state-only" };
  if (!hasPayload(el) && !hasChatState(el)) return { store: false, reason: "empty" };
  return { store: true, marker };
}
