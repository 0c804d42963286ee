import type { Element } from "@xmpp/xml";
import { bareJid, parseAddress } from "../../core/jid.ts";
import { ensureOriginId } from "../../core/prepare.ts";
import { cloneElement } from "../../core/stanza.ts";

/** A mesh group's members (bare JIDs), as the caller knows them; undefined when it is no group. */
export type GroupMembers = (group: string) => readonly string[] | undefined;

/**
 * A groupchat message to a mesh group (a bare JID such as
 * `room@groups.mesh.local`) as one copy per member but the sender, the way
 * a MUC service reflects it: each copy is addressed to the member, comes
 * from the sender's occupant JID `room/nick` (nick: the sender's localpart),
 * and keeps the one origin-id (added to `stanza` when missing), so a
 * member that gets it twice drops it.
 */
export function fanOut(stanza: Element, members: readonly string[], sender: string): Element[] {
  const group = bareJid(stanza.attrs.to);
  const me = parseAddress(sender);
  ensureOriginId(stanza);
  const from = `${group}/${me.local || me.domain}`;
  const self = me.bare().toString();
  const seen = new Set<string>([self]);
  const copies: Element[] = [];
  for (const member of members) {
    const to = bareJid(member);
    if (seen.has(to)) continue;
    seen.add(to);
    const copy = cloneElement(stanza);
    copy.attrs = { ...copy.attrs, to, from, type: "groupchat" };
    copies.push(copy);
  }
  return copies;
}
