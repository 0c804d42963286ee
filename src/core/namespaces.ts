/** XML namespaces of the XEPs offline-edge reads and writes: the one place they are spelled. */
export const NS = {
  client: "jabber:client",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay", // XEP-0203
  expire: "jabber:x:expire", // XEP-0023
  chatStates: "http://jabber.org/protocol/chatstates", // XEP-0085
  hints: "urn:xmpp:hints", // XEP-0334
  markers: "urn:xmpp:chat-markers:0", // XEP-0333
  sid: "urn:xmpp:sid:0", // XEP-0359
  receipts: "urn:xmpp:receipts", // XEP-0184
  events: "jabber:x:event", // XEP-0022 (legacy message events)
  sm: "urn:xmpp:sm:3", // XEP-0198
  ping: "urn:xmpp:ping", // XEP-0199
  roster: "jabber:iq:roster", // RFC 6121
  streams: "http://etherx.jabber.org/streams", // RFC 6120
} as const;
