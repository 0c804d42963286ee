import type { ListedMessage } from "../core/offline-store.ts";
import { readMessage } from "../core/stanza.ts";

/** What the dashboard shows of one queued message: plain text only. */
export interface MessagePreview {
  id: string;
  from: string;
  ts: number;
  expireAt: number | null;
  /** The `<body/>` text, or a description of what the message is when it has none. */
  text: string;
  /** Whether `text` is a description rather than the body. */
  described: boolean;
}

const MAX_PREVIEW_CHARS = 280;

/**
 * Extracts the body text of a stored stanza with the core stanza parser.
 * The result is text for `textContent`: markup in a body stays characters.
 */
export function bodyText(stanza: string): { text: string; described: boolean } {
  let el;
  try {
    el = readMessage(stanza, Infinity);
  } catch {
    return { text: "(unreadable stanza)", described: true };
  }
  const body = el.getChildText("body");
  if (body !== null && body !== "") {
    const text = body.length > MAX_PREVIEW_CHARS ? `${body.slice(0, MAX_PREVIEW_CHARS)}…` : body;
    return { text, described: false };
  }
  const kinds = el.getChildElements().map((c) => c.name);
  return { text: kinds.length ? `(no body: ${kinds.join(", ")})` : "(empty message)", described: true };
}

/** A listed message as the preview list shows it. */
export function previewOf(m: ListedMessage): MessagePreview {
  return { id: m.id, from: m.from, ts: m.ts, expireAt: m.expireAt, ...bodyText(m.stanza) };
}
