/**
 * The one way the dashboard builds DOM: elements from tag names, text as
 * text nodes. There is deliberately no HTML-string path, so data (JIDs,
 * message bodies, reasons) can never become markup.
 */

/** What `h` accepts as a child: nodes, or strings that become text nodes. */
export type Child = Node | string | null | undefined | false;

/** Options of `h`: a class, attributes, and a click handler. */
export interface ElementProps {
  class?: string;
  /** Attributes, set with `setAttribute`. Event-handler attributes (`on…`) are refused. */
  attrs?: Record<string, string | undefined>;
  onClick?: (event: Event) => void;
}

/** Creates an element with text-only children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(name)) throw new Error(`Refusing event-handler attribute ${name}.`);
    if (value !== undefined) el.setAttribute(name, value);
  }
  if (props.onClick) el.addEventListener("click", props.onClick);
  append(el, ...children);
  return el;
}

/** Appends children; strings become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Sets an element's text, touching the DOM only when it changed. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Text for screen readers only (visually hidden), e.g. the peer in a short button label. */
export function srOnly(text: string): HTMLSpanElement {
  return h("span", { class: "sr-only" }, text);
}

/** A button: `type="button"`, the visible label and an optional screen-reader-only part. */
export function button(label: Child[], onClick: (event: Event) => void, className = "btn"): HTMLButtonElement {
  return h("button", { class: className, attrs: { type: "button" }, onClick }, ...label);
}
