import type { Element } from "@xmpp/xml";
import { parseAddress } from "../../core/jid.ts";
import type { PresenceChange } from "../relay.ts";

/** `<priority/>` of an available presence: an integer in -128..127, 0 when absent or unreadable (RFC 6121 §4.7.2.3). */
export function presencePriority(presence: Element): number {
  const text = presence.getChildText("priority")?.trim();
  if (!text || !/^[+-]?\d+$/.test(text)) return 0;
  return Math.max(-128, Math.min(127, Number(text)));
}

/**
 * Peers' resources as their `<presence/>` reports them. A peer (bare JID)
 * is available when one of its resources is available with priority >= 0
 * (XEP-0160 §3: messages to the bare JID are only routed to such
 * resources). Changes are emitted on transitions only. While our own
 * stream is down every peer reads unavailable; the table itself is kept
 * until the next fresh session, so a XEP-0198 resumption restores it.
 */
export class PresenceTracker {
  /** bare JID → resource ("" for presence from the bare JID) → priority */
  private readonly peers = new Map<string, Map<string, number>>();

  constructor(
    private readonly emit: (change: PresenceChange) => void,
    private online: boolean,
    /** Our own bare JID: the server reflects our presence to our other resources, which are never "a peer". */
    private readonly self: () => string = () => "",
  ) {}

  /** Whether the peer (bare JID) can be reached now. */
  isAvailable(bare: string): boolean {
    return this.online && this.reachable(bare);
  }

  /** The full JIDs a message to the peer's bare JID may be routed to now: its resources at priority >= 0. */
  routes(bare: string): string[] {
    const resources = this.online ? this.peers.get(bare) : undefined;
    return [...(resources ?? [])].filter(([r, priority]) => r !== "" && priority >= 0).map(([r]) => `${bare}/${r}`);
  }

  /** Every peer that {@link isAvailable} now. */
  availablePeers(): string[] {
    return this.online ? [...this.peers.keys()].filter((p) => this.reachable(p)) : [];
  }

  /**
   * Applies one incoming `<presence/>`. Available (no type) sets the
   * resource's priority; `unavailable` and `error` remove it (from the
   * bare JID: every resource). Subscription types and probes are ignored.
   */
  handle(presence: Element): void {
    const type = presence.attrs.type;
    if (type !== undefined && type !== "unavailable" && type !== "error") return;
    let bare: string;
    let resource: string;
    try {
      const from = parseAddress(presence.attrs.from);
      bare = from.bare().toString();
      resource = from.resource ?? "";
    } catch {
      return; // no or unreadable `from`: not a peer's presence
    }
    if (bare === this.self()) return; // our own resources (reflected presence): never a peer to drain to
    const before = this.reachable(bare);
    let resources = this.peers.get(bare);
    if (type === undefined) {
      if (!resources) this.peers.set(bare, (resources = new Map()));
      resources.set(resource, presencePriority(presence));
    } else if (resources) {
      if (resource === "") resources.clear();
      else resources.delete(resource);
      if (resources.size === 0) this.peers.delete(bare);
    }
    const after = this.reachable(bare);
    if (this.online && before !== after) this.emit({ peer: bare, available: after });
  }

  /** Our stream came up (or resumed) or went down: every known peer flips with it. */
  setOnline(online: boolean): void {
    if (this.online === online) return;
    const affected = [...this.peers.keys()].filter((p) => this.reachable(p));
    this.online = online;
    for (const peer of affected) this.emit({ peer, available: online });
  }

  /** A fresh session (not a resumption): what we knew is stale, the server sends it all again. */
  reset(): void {
    const was = this.availablePeers();
    this.peers.clear();
    for (const peer of was) this.emit({ peer, available: false });
  }

  private reachable(bare: string): boolean {
    const resources = this.peers.get(bare);
    if (!resources) return false;
    for (const priority of resources.values()) if (priority >= 0) return true;
    return false;
  }
}
