// The XMPP side of the demo, loaded only with ?relay=xmpp (keeps @xmpp/client
// out of the mesh demo's first load).
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { bareJid, NS, randomId } from "../index.ts";
import { createXmppRelay, type XmppRelay } from "../relay/xmpp/index.ts";
import type { DemoIdentity } from "./config.ts";

/** Logs in (PLAIN: the demo server allows it over ws:// on loopback) and sends initial presence. */
export function connectXmpp(id: DemoIdentity): Promise<XmppRelay> {
  return createXmppRelay({
    service: id.service,
    jid: id.self,
    password: id.password,
    mechanism: "PLAIN",
    resource: `demo-${randomId(6)}`,
  });
}

/**
 * What src/relay/xmpp.ts asks of an embedder: a server tells us a contact's
 * presence only with a subscription. At each sign-in the demo pre-approves
 * the other demo users and asks for theirs (`relay.subscribe`, RFC 6121
 * §3.4). Against Prosody 0.12 a request to a user who has never signed in is
 * answered `unsubscribed` (it is not kept for later), so when such a contact
 * does sign in and subscribes to us (a roster push shows them at "from"; we
 * ask for the roster so that pushes reach us), we ask again, and their
 * pre-approval grants it at once. A request that
 * still reaches us from a demo contact is approved. Returns a note for the UI.
 */
export async function subscribeContacts(relay: XmppRelay, contacts: string[]): Promise<string> {
  const askedAgain = new Set<string>();
  const send = (type: string, to: string) => void relay.client.send(xml("presence", { type, to })).catch(() => undefined);
  relay.client.on("stanza", (stanza: Element) => {
    if (stanza.name === "presence" && stanza.attrs.type === "subscribe") {
      const from = bare(stanza.attrs.from);
      if (from && contacts.includes(from)) send("subscribed", from);
    } else if (stanza.name === "iq" && stanza.attrs.type === "set") {
      const item = stanza.getChild("query", NS.roster)?.getChild("item");
      const jid = bare(item?.attrs.jid);
      if (!jid || !contacts.includes(jid) || item?.attrs.subscription !== "from" || item.attrs.ask || askedAgain.has(jid)) return;
      askedAgain.add(jid);
      send("subscribe", jid);
    }
  });
  // Roster pushes go only to "interested" resources, those that asked for the roster (RFC 6121 §2.1.6).
  await relay.client.send(xml("iq", { type: "get", id: `roster-${randomId()}` }, xml("query", { xmlns: NS.roster })));
  for (const c of contacts) await relay.subscribe(c);
  await relay.probe(...contacts);
  return `XMPP presence: subscriptions with ${contacts.join(" and ")} are pre-approved and requested at each sign-in. A contact shows online once they have signed in here too.`;
}

function bare(jid: unknown): string | null {
  try {
    return bareJid(jid);
  } catch {
    return null;
  }
}
