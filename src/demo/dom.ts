/**
 * The demo's only way to build DOM: elements from tag names, text as text
 * nodes. There is no HTML-string path, so message bodies and JIDs can never
 * become markup.
 */

export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  /** Attributes via setAttribute; event-handler attributes (`on…`) are refused. */
  attrs?: Record<string, string | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(name)) throw new Error(`Refusing event-handler attribute ${name}.`);
    if (value !== undefined) el.setAttribute(name, value);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** Sets text only when it changed (keeps layout and screen readers calm). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

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
