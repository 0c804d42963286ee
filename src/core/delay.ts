import { NS } from "./namespaces.ts";
import { stamp } from "./time.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escapes text for a double-quoted XML attribute value. */
export function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The XEP-0203 `<delay/>` mod_offline puts on each popped message, serialised as @xmpp/xml would. */
export function offlineDelayXml(domain: string, timestamp: number): string {
  return `<delay xmlns="${NS.delay}" from="${escapeAttr(domain)}" stamp="${stamp(timestamp)}">Offline Storage</delay>`;
}

const END = "</message>";

/**
 * Adds the offline `<delay/>` to a stored `<message/>` serialisation by
 * string assembly, as its last child: no parse, no tree, one new string.
 * The stored text is ours (written by @xmpp/xml after validation), so its
 * root ends with `</message>` or `/>`; anything else returns null and the
 * caller takes the parsing path.
 */
export function withOfflineDelay(packet: string, domain: string, timestamp: number): string | null {
  const delay = offlineDelayXml(domain, timestamp);
  if (packet.endsWith(END)) return packet.slice(0, -END.length) + delay + END;
  if (packet.startsWith("<message") && packet.endsWith("/>")) return `${packet.slice(0, -2)}>${delay}${END}`;
  return null;
}
