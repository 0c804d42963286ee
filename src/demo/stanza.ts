// Chat stanzas in and out: building them with @xmpp/xml (which escapes text),
// and reading what the app shows from them.
import { xml, type Element } from "@xmpp/xml";
import { bareJid, NS, parseElement, randomId } from "../index.ts";

/** A chat message with our own XEP-0359 origin-id, so its states can be matched before `send` resolves. */
export function chatMessage(to: string, body: string, id: string): Element {
  return xml("message", { type: "chat", to, id }, xml("body", {}, body), xml("origin-id", { xmlns: NS.sid, id }));
}

export interface IncomingChat {
  id: string;
  /** Bare JID of the sender. */
  from: string;
  body: string;
  /** XEP-0203 `<delay/>` stamp: it came from an offline queue. */
  stamp: string | null;
}

/** The chat message an incoming stanza carries, or null (no body, an error, no sender). */
export function readIncoming(el: Element): IncomingChat | null {
  if (el.attrs.type === "error" || el.attrs.type === "headline") return null;
  const body = el.getChildText("body");
  if (body === null || body === undefined || body === "") return null;
  let from: string;
  try {
    from = bareJid(el.attrs.from);
  } catch {
    return null;
  }
  const id = el.getChild("origin-id", NS.sid)?.attrs.id || el.attrs.id || randomId();
  const stamp = el.getChild("delay", NS.delay)?.attrs.stamp ?? null;
  return { id, from, body, stamp };
}

/**
 * The human text of a bounce: the `<text/>` of the error stanza the store
 * gave (e.g. mod_offline's "Your contact offline message queue is full…"),
 * else its condition, else the failure message as it came.
 */
export function bounceText(error: string | undefined, reason: string | undefined): string {
  if (error?.trimStart().startsWith("<")) {
    try {
      const err = parseElement(error).getChild("error");
      const text = err?.getChildText("text", NS.stanzas);
      if (text) return text;
      const condition = err?.getChildElements().find((c) => c.name !== "text")?.name;
      if (condition) return condition.replace(/-/g, " ");
    } catch {
      // not XML after all: show it as it is
    }
  }
  return error || (reason ? reason.replace(/-/g, " ") : "Not delivered.");
}

/** A short local time: "15:17:09", with the date when it is not today. */
export function formatStamp(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/** Hours and minutes, for bubble times. */
export function formatTime(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
