import { bareJid } from "../../core/jid.ts";

/** What a roster change did: which tab (full JID), and whether its bare JID came or went with it. */
export interface RosterChange {
  full: string;
  bare: string;
  /** True when this was the bare JID's first tab (on join) or its last (on leave). */
  bareChanged: boolean;
}

/**
 * Who is on the mesh: each bare JID's tabs (resources) and when each is
 * due to count as gone. A bare JID is available while it has a tab, like
 * XMPP's bare-JID presence over all resources.
 */
export class MeshRoster {
  private readonly tabs = new Map<string, Map<string, number>>();
  /** Tabs that read one frame per post (0.1.0: their presence has no `batches`). */
  private readonly singles = new Set<string>();

  constructor(private readonly missedBeats: number) {}

  /** A presence (or any sign of life) from a tab; null when the tab was already known. */
  see(full: string, interval: number, now: number, batches = false): RosterChange | null {
    if (batches) this.singles.delete(full);
    else this.singles.add(full);
    const bare = bareJid(full);
    let tabs = this.tabs.get(bare);
    const bareChanged = !tabs;
    if (!tabs) this.tabs.set(bare, (tabs = new Map()));
    const known = tabs.has(full);
    tabs.set(full, now + interval * this.missedBeats);
    return known ? null : { full, bare, bareChanged };
  }

  /** A tab left (said so, or missed its beats); null when it was not known. */
  leave(full: string): RosterChange | null {
    const bare = bareJid(full);
    const tabs = this.tabs.get(bare);
    this.singles.delete(full);
    if (!tabs?.delete(full)) return null;
    if (tabs.size === 0) this.tabs.delete(bare);
    return { full, bare, bareChanged: tabs.size === 0 };
  }

  /** Removes every tab whose beats stopped; returns what left. */
  sweep(now: number): RosterChange[] {
    const gone: string[] = [];
    for (const tabs of this.tabs.values()) for (const [full, due] of tabs) if (due < now) gone.push(full);
    return gone.map((f) => this.leave(f)).filter((c): c is RosterChange => c !== null);
  }

  /** Whether every tab on the mesh reads posts of several frames. */
  readsBatches(): boolean {
    return this.singles.size === 0;
  }

  isAvailable(bare: string): boolean {
    return this.tabs.has(bare);
  }

  hasTab(full: string): boolean {
    return this.tabs.get(bareJid(full))?.has(full) ?? false;
  }

  /** Available bare JIDs. */
  peers(): string[] {
    return [...this.tabs.keys()];
  }
}
