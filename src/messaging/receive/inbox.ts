import type { Element } from "@xmpp/xml";
import { bareJid } from "../../core/jid.ts";
import { InboxClosedError, SeenIdsClosedError } from "../../core/errors.ts";
import { Listeners } from "../../core/listeners.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import { originIdOf } from "../../core/prepare.ts";
import type { Relay } from "../../relay/relay.ts";
import { openSeenIds, type SeenIds } from "./claims.ts";

export { InboxClosedError };

/** What an inbox listens to, and where it remembers what it handed over. */
export interface InboxOptions {
  relay: Relay;
  /** Where handed-over origin-ids are kept. Default {@link openSeenIds}: IndexedDB, else memory. */
  seen?: SeenIds;
  /**
   * Whose seen-set this is. Default the relay's bare JID: every tab of a
   * user shares it, so each message reaches the app of one tab, once. Give
   * each tab its own scope (kept, say, in sessionStorage) for every tab to
   * show every message.
   */
  scope?: string;
  /**
   * Where `pagehide` comes from. Default the page's `window` (none in a
   * worker or in Node); null: none. A `pagehide` that does not keep the page
   * (not persisted in the back/forward cache) closes the inbox; see
   * {@link Inbox.close}.
   */
  lifecycle?: PageLifecycle | null;
}

/** The part of a window the inbox listens to: its `pagehide`. */
export type PageLifecycle = Pick<EventTarget, "addEventListener" | "removeEventListener">;

/** One incoming message on its way to the app. */
interface Arrival {
  stanza: Element;
  id: string | undefined;
  /** The claim's answer once known: true to hand over, false a repeat, an error: cannot be taken. */
  decision: boolean | Error | undefined;
  /** Refused when the inbox closed: its claim, when it comes, is given up. */
  abandoned: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Counters of what the inbox did. */
export interface InboxStats {
  handed: number;
  duplicates: number;
}

/**
 * The receiving side: hands each incoming message to the app once, in
 * arrival order. A message whose origin-id was handed over before (a
 * redelivery after a lost ack, a drain cut short) is dropped; the seen-set
 * outlives reloads. Either way the relay is told the message was taken
 * (on the mesh, the delivery ack follows once the id is recorded), so the
 * sender can ack it out of its store. A message without an origin-id
 * cannot be recognised again and is always handed over.
 */
export class Inbox {
  readonly stats: InboxStats = { handed: 0, duplicates: 0 };
  private readonly seen: SeenIds;
  private readonly ownSeen: boolean;
  private readonly scope: string;
  private readonly listeners = new Listeners<Element>();
  private readonly unsubscribe: () => void;
  private readonly page: PageLifecycle | null | undefined;
  /** Messages in arrival order, waiting for their claim or for those ahead of them. */
  private readonly arrivals: Arrival[] = [];
  private closed = false;
  /** Ids handed over in this task, told to the seen-set together (one journal entry, one mark batch). */
  private readonly handedIds = new MicroBatcher<string>((ids) => void this.seen.handed(this.scope, ids).catch(() => undefined), { serial: false });
  /** Resolves at the first listener: until then messages wait, unclaimed (nobody could show them). */
  private listening: Promise<void>;
  private startListening!: () => void;

  constructor(options: InboxOptions) {
    this.ownSeen = !options.seen;
    this.seen = options.seen ?? openSeenIds();
    this.scope = options.scope ?? bareJid(options.relay.self);
    this.listening = new Promise((resolve) => (this.startListening = resolve));
    this.unsubscribe = options.relay.onMessage((stanza) => this.take(stanza));
    // A page on its way out hands nothing more over (README: "my page hides").
    this.page = options.lifecycle === undefined ? globalThis.window : options.lifecycle;
    this.page?.addEventListener("pagehide", this.onHide);
  }

  /**
   * The app's listener for messages, each handed over once; returns the
   * unsubscribe function. While nobody listens, messages wait (claimed,
   * unconfirmed) for the next listener.
   */
  subscribe(listener: (stanza: Element) => void): () => void {
    const off = this.listeners.add(listener);
    this.startListening();
    this.handOver();
    return off;
  }

  /** `pagehide`: closes the inbox unless the page is kept in the back/forward cache. */
  private readonly onHide = (e: Event) => void ((e as Partial<PageTransitionEvent>).persisted || this.close());

  /** Resolves once this message is handed over or dropped, in arrival order; rejects if it cannot be taken. */
  private take(stanza: Element): Promise<void> {
    const id = originIdOf(stanza);
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new InboxClosedError());
      const arrival: Arrival = { stanza, id, decision: undefined, abandoned: false, resolve, reject };
      this.arrivals.push(arrival);
      // Claim as soon as someone listens (claims group-commit), then hand over what is decided at the head.
      void this.listening
        .then(() => (id === undefined ? true : this.claim(id)))
        .then(
          (fresh) => this.decided(arrival, fresh),
          (e: unknown) => this.decided(arrival, e instanceof Error ? e : new Error(String(e))),
        );
    });
  }

  private decided(a: Arrival, decision: boolean | Error): void {
    a.decision = decision;
    if (a.abandoned) this.giveUp(a); // refused meanwhile: only the claim is left to let go
    else this.handOver();
  }

  /** Our claim of a message we will not hand over goes, so another inbox sharing the seen-set may take it. */
  private giveUp(a: Arrival): void {
    if (a.decision === true && a.id !== undefined) void this.seen.release?.(this.scope, [a.id]).catch(() => undefined);
  }

  /** Refuses every message still waiting (their relay confirms nothing, so their senders keep them). */
  private refuseWaiting(error: Error): void {
    for (const a of this.arrivals.splice(0)) {
      a.abandoned = true;
      this.giveUp(a);
      a.reject(error);
    }
  }

  /**
   * Hands over every message at the head of the line whose claim is
   * decided. A group-committed batch of claims resolves together, so its
   * messages go out in one task, and their "handed" marks in one write.
   */
  private handOver(): void {
    for (let a = this.arrivals[0]; a && a.decision !== undefined && this.listeners.size > 0; a = this.arrivals[0]) {
      this.arrivals.shift();
      if (a.decision instanceof Error) {
        // Not taken (the seen-set closed): the relay does not confirm it, and the sender keeps it.
        // Nor what is behind it, or those would reach the app before it.
        a.reject(a.decision);
        this.refuseWaiting(a.decision);
      } else if (a.decision) {
        this.stats.handed++;
        this.listeners.emit(a.stanza);
        if (a.id !== undefined) this.markHanded(a.id);
        a.resolve();
      } else {
        this.stats.duplicates++;
        a.resolve();
      }
    }
  }

  /**
   * Tells the seen-set these ids reached the app, batched per task: the
   * write is issued before the task ends, so a closing page still sends it.
   */
  private markHanded(id: string): void {
    this.handedIds.add(id); // a failing mark costs at worst one repeat later
  }

  /**
   * A failing seen-set must not lose messages: hand over (a rare duplicate
   * is the lesser harm). A closed one cannot take anything: the message is
   * not taken, and its sender keeps it.
   */
  private async claim(id: string): Promise<boolean> {
    try {
      return await this.seen.claim(this.scope, id);
    } catch (e) {
      if (e instanceof SeenIdsClosedError) throw e;
      return true;
    }
  }

  /**
   * Stops taking messages; closes the seen-set if the inbox opened it.
   * Messages not yet handed over are refused (their relay confirms nothing,
   * so their senders keep them). Called by the page's `pagehide` too.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.refuseWaiting(new InboxClosedError());
    this.unsubscribe();
    this.page?.removeEventListener("pagehide", this.onHide);
    this.listeners.clear();
    this.handedIds.flushNow(); // before the seen-set lets go of its claims
    if (this.ownSeen) this.seen.close();
  }
}
