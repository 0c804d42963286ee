import type { StanzaErrorData } from "../../core/dead-letter.ts";
import { Listeners } from "../../core/listeners.ts";

/**
 * Where one message to one recipient stands, as the app sees it. The state
 * table (what each state means, what it can change to) is in
 * src/messaging/README.md.
 */
export type DeliveryState = "sent" | "queued" | "delivered" | "bounced" | "dropped" | "failed" | "unknown";

/** One message's state for one recipient. */
export interface DeliveryStatus {
  /** The message's XEP-0359 origin-id. */
  id: string;
  /** Bare JID of the recipient. */
  to: string;
  state: DeliveryState;
  /** Why it bounced (e.g. `resource-constraint`) or was dropped (e.g. `groupchat`). */
  reason?: string;
  /** When bounced: the error reply for the sender, as XML, when the store gave one; else the failure's message. */
  error?: string;
  /** When the relay refused it (`failed`, or a direct send bounced): the stanza error as data. */
  stanzaError?: StanzaErrorData;
}

const MAX_DONE = 10_000;

/** States after which nothing changes. */
const FINAL = new Set<DeliveryState>(["delivered", "bounced", "dropped"]);

function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > MAX_DONE) set.delete(set.values().next().value!);
}

function keyOf(id: string, to: string): string {
  return `${id}\n${to}`;
}

/**
 * The outbox's book of message states, with per-id watchers. A state that
 * cannot change any more is told once (the last 10,000 are remembered for
 * that) and then forgotten; `delivered` for an id the
 * book no longer (or never) knew, e.g. queued before a reload, still
 * reaches the id's watchers.
 */
export class DeliveryBook {
  private readonly states = new Map<string, DeliveryStatus>();
  /** Keys told a final state lately, so a second report (drain and store both) is not told twice. */
  private readonly done = new Set<string>();
  /** Keys the store said it holds while no state said `unknown`: a timed-out answer coming after is `queued`. */
  private readonly storedLately = new Set<string>();
  private readonly all = new Listeners<DeliveryStatus>();
  private readonly byId = new Map<string, Listeners<DeliveryStatus>>();

  get(id: string, to?: string): DeliveryStatus | undefined {
    if (to !== undefined) return this.states.get(keyOf(id, to));
    for (const s of this.states.values()) if (s.id === id) return s;
    return undefined;
  }

  /**
   * Records and tells a new state (returned as recorded); a message already
   * delivered or bounced stays so; the same state is told once.
   */
  set(status: DeliveryStatus): DeliveryStatus {
    const key = keyOf(status.id, status.to);
    if (this.done.has(key)) return status;
    // The store's word came before its timed-out answer: the truth is known already.
    if (status.state === "unknown" && this.storedLately.delete(key)) status = { id: status.id, to: status.to, state: "queued" };
    if (this.states.get(key)?.state === status.state) return status;
    if (FINAL.has(status.state)) this.finish(key);
    else this.states.set(key, status);
    this.all.emit(status);
    this.byId.get(status.id)?.emit(status);
    return status;
  }

  private finish(key: string): void {
    this.states.delete(key);
    this.storedLately.delete(key);
    this.done.add(key);
    if (this.done.size > MAX_DONE) this.done.delete(this.done.values().next().value!);
  }

  /** Forgets that a message was final, e.g. `delivered` that came back as a late bounce. */
  reopen(id: string, to: string): void {
    this.done.delete(keyOf(id, to));
    this.storedLately.delete(keyOf(id, to));
  }

  /**
   * The drain (or a store pop, in any tab) delivered these ids to `to`:
   * told for every id, known here or not (queued before a reload, or by
   * another tab), so that `onStatus` alone follows every message.
   */
  delivered(ids: readonly string[], to: string): void {
    for (const id of ids) this.set({ id, to, state: "delivered" });
  }

  /**
   * The store says it holds these ids for `to`: an `unknown` write did store
   * them (told before or after). Returns how many turned `queued` here.
   */
  stored(ids: readonly string[], to: string): number {
    let queued = 0;
    for (const id of ids) {
      const key = keyOf(id, to);
      if (this.states.get(key)?.state === "unknown") queued += Number(this.set({ id, to, state: "queued" }).state === "queued");
      else remember(this.storedLately, key);
    }
    return queued;
  }

  subscribe(listener: (status: DeliveryStatus) => void): () => void {
    return this.all.add(listener);
  }

  watch(id: string, listener: (status: DeliveryStatus) => void): () => void {
    let l = this.byId.get(id);
    if (!l) this.byId.set(id, (l = new Listeners()));
    const off = l.add(listener);
    return () => {
      off();
      if (l.size === 0) this.byId.delete(id);
    };
  }
}
