/** XML namespaces of the XEPs the offline store reads and writes. */
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
} as const;
