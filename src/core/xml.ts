/**
 * `xml()` and `Element` from ltx itself, the very modules @xmpp/xml
 * re-exports (so `instanceof` and every stanza are the same). Why not from
 * @xmpp/xml: its index attaches its stream Parser (and through it Node's
 * `events` polyfill) to `xml`, so any bundle that builds one element would
 * carry a parser it never runs. Our stanzas are read by `./xml-read.ts`.
 */
import type { Element as XmppElement, xml as xmppXml } from "@xmpp/xml";
import LtxElement from "ltx/lib/Element.js";
import createElement from "ltx/lib/createElement.js";

/** An XML element (ltx's, as @xmpp/xml exports it). */
export const Element = LtxElement as unknown as typeof XmppElement;
export type Element = XmppElement;

/** Builds an element: `xml(name, attrs, ...children)`, as @xmpp/xml's `xml`. */
export const xml = createElement as unknown as typeof xmppXml;
