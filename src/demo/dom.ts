/**
 * The demo builds DOM only with the dashboard's text-only `h` (elements from
 * tag names, text as text nodes, no HTML-string path), so message bodies and
 * JIDs can never become markup. Demo-only helpers live here.
 */

import { h, type Child } from "../ui/dom.ts";

export { h, setText, type Child } from "../ui/dom.ts";

/** A stable colour for a JID's avatar, from a small neutral-friendly palette. */
export function avatarColor(jid: string): string {
  const palette = ["#3b6fd8", "#2f8a4f", "#b4541b", "#8a4fbf", "#c0396b", "#177e89", "#6b6f1f"];
  let n = 0;
  for (const ch of jid) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return palette[n % palette.length]!;
}

/** A round avatar with the JID's first letter (decorative: the name is said elsewhere). */
export function avatar(jid: string, extra?: Child): HTMLSpanElement {
  const el = h("span", { class: "avatar", attrs: { "aria-hidden": "true" } }, (jid[0] ?? "?").toUpperCase(), extra);
  el.style.setProperty("--avatar", avatarColor(jid));
  return el;
}
