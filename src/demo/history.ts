// Each user's conversations, kept in localStorage (keyed by identity) so a
// reload shows what was seen. Written synchronously on every change: a message
// handed to the app is on disk before the tab can close.
import type { DeliveryState } from "../messaging/index.ts";
import type { IncomingChat } from "./stanza.ts";

/**
 * A sent message's state: the outbox's states, plus `sending` (no answer
 * yet) and `left` (gone from the queue while we were away). `left` is no
 * longer set: `messenger.onStatus` now tells every state, even of messages
 * another tab delivered. It stays so that histories saved by earlier
 * versions still show.
 */
export type EntryState = DeliveryState | "sending" | "left";

export interface Entry {
  /** XEP-0359 origin-id. */
  id: string;
  /** Bare JID of the other side. */
  peer: string;
  dir: "in" | "out";
  body: string;
  /** When we sent or received it (ms). */
  ts: number;
  /** Sent messages: where it stands. */
  state?: EntryState;
  /** Bounced messages: the reason to show. */
  error?: string;
  /** Received messages: the `<delay/>` stamp when it came from an offline queue. */
  stamp?: string | null;
}

const MAX_PER_PEER = 500;
const RANK: Record<EntryState, number> = { sending: 0, sent: 1, unknown: 1, queued: 2, left: 3, delivered: 4, bounced: 4, dropped: 4, failed: 4 };

export class History {
  private readonly key: string;
  private readonly byPeer = new Map<string, Entry[]>();
  private readonly listeners = new Set<(peer: string) => void>();

  constructor(readonly self: string) {
    this.key = `offline-edge-demo:history:${self}`;
    this.merge(localStorage.getItem(this.key));
    window.addEventListener("storage", (e) => {
      // Another tab of the same user wrote: take what it saw too.
      if (e.key === this.key) for (const peer of this.merge(e.newValue)) this.emit(peer);
    });
  }

  /** Peers we have a conversation with. */
  peers(): string[] {
    return [...this.byPeer.keys()];
  }

  entries(peer: string): readonly Entry[] {
    return this.byPeer.get(peer) ?? [];
  }

  last(peer: string): Entry | undefined {
    return this.byPeer.get(peer)?.at(-1);
  }

  /** Sent messages to `peer` in one of these states. */
  withState(peer: string, states: EntryState[]): Entry[] {
    return this.entries(peer).filter((e) => e.dir === "out" && e.state && states.includes(e.state));
  }

  addOutgoing(peer: string, id: string, body: string): void {
    this.push({ id, peer, dir: "out", body, ts: Date.now(), state: "sending" });
    this.save(peer);
  }

  /** Records a received message; false when it was already there. */
  addIncoming(m: IncomingChat): boolean {
    if (this.find(m.id, m.from)) return false;
    this.push({ id: m.id, peer: m.from, dir: "in", body: m.body, ts: Date.now(), stamp: m.stamp });
    this.save(m.from);
    return true;
  }

  /**
   * Moves a sent message on; never back (a delivered message stays so), unless
   * `force` (a late XMPP bounce put it back in the queue).
   */
  setState(id: string, peer: string, state: EntryState, error?: string, force = false): void {
    const e = this.find(id, peer);
    if (!e || e.dir !== "out" || (!force && RANK[state] <= RANK[e.state ?? "sending"])) return;
    e.state = state;
    if (error) e.error = error;
    else delete e.error;
    this.save(peer);
  }

  subscribe(listener: (peer: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private find(id: string, peer: string): Entry | undefined {
    return this.byPeer.get(peer)?.find((e) => e.id === id);
  }

  private push(e: Entry): void {
    let list = this.byPeer.get(e.peer);
    if (!list) this.byPeer.set(e.peer, (list = []));
    list.push(e);
    if (list.length > MAX_PER_PEER) list.splice(0, list.length - MAX_PER_PEER);
  }

  private save(peer: string): void {
    const changed = new Set([peer]);
    try {
      // Read-merge-write: another tab of the same user may have written since (its storage event may still be queued).
      for (const p of this.merge(localStorage.getItem(this.key))) changed.add(p);
      localStorage.setItem(this.key, JSON.stringify(Object.fromEntries(this.byPeer)));
    } catch (e) {
      console.warn("offline-edge demo: could not save the history", e);
    }
    for (const p of changed) this.emit(p);
  }

  private emit(peer: string): void {
    for (const l of this.listeners) l(peer);
  }

  /** Adds what a stored copy has that we lack; returns the peers that changed. */
  private merge(raw: string | null): string[] {
    let data: Record<string, Entry[]> = {};
    try {
      data = raw ? (JSON.parse(raw) as Record<string, Entry[]>) : {};
    } catch {
      return [];
    }
    const changed: string[] = [];
    for (const [peer, list] of Object.entries(data)) {
      if (!Array.isArray(list)) continue;
      let touched = false;
      for (const e of list) {
        if (!e || typeof e.id !== "string" || typeof e.body !== "string" || e.peer !== peer) continue;
        const mine = this.find(e.id, peer);
        if (!mine) {
          this.push({ ...e });
          touched = true;
        } else if (mine.dir === "out" && e.state && RANK[e.state] > RANK[mine.state ?? "sending"]) {
          mine.state = e.state;
          mine.error = e.error;
          touched = true;
        }
      }
      if (touched) {
        this.byPeer.get(peer)?.sort((a, b) => a.ts - b.ts);
        changed.push(peer);
      }
    }
    return changed;
  }
}
