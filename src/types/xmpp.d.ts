// Minimal typings for the xmpp.js packages we use (they ship none).
declare module "@xmpp/xml" {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    t(text: string): Element;
    up(): Element;
    append(...nodes: Array<Element | string>): Element;
    remove(el: Element | string, xmlns?: string): Element;
    attr(name: string, value?: string | null): string | Element;
    clone(): Element;
    toString(): string;
  }
  export class XMLError extends Error {}
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Array<Element | string | null | undefined>
  ): Element;
  export default xml;
}

declare module "@xmpp/xml/lib/Parser.js" {
  /** Streaming parser: emits `start` (root), `element` (each child of root), `end`, `error`. */
  export default class Parser {
    on(event: string, listener: (...args: never[]) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }
}

declare module "@xmpp/jid" {
  export class JID {
    constructor(local: string | null, domain: string, resource?: string | null);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    equals(other: JID): boolean;
    toString(unescape?: boolean): string;
  }
  export function jid(address: string): JID;
  export function parse(address: string): JID;
  export default jid;
}

// ltx's own modules, which @xmpp/xml re-exports (src/core/xml.ts imports them without @xmpp/xml's parser).
declare module "ltx/lib/Element.js" {
  const Element: unknown;
  export default Element;
}
declare module "ltx/lib/createElement.js" {
  const createElement: unknown;
  export default createElement;
}
