import type { OfflineStoreApi } from "../../core/store-api.ts";
import { option } from "../../core/options.ts";
import { bareJid } from "../../core/jid.ts";
import type { PoppedMessage } from "../../core/offline-store.ts";
import { readStored } from "../../core/stanza.ts";
import type { StanzaErrorData } from "../../core/dead-letter.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import { Flights } from "./flights.ts";
import { PageReader } from "./pages.ts";
import { defaultLocks, type DrainLocks } from "./locks.ts";
import { Listeners } from "../../core/listeners.ts";
import type { Relay, SendOutcome } from "../../relay/relay.ts";

/** Prefix of the Web Lock each peer's drain holds: `offline-edge:drain:<bare JID>`. */
export const DRAIN_LOCK_PREFIX = "offline-edge:drain:";

/** What a drain engine works on (a store and a relay, both shared with the outbox) and how. */
export interface DrainOptions {
  store: OfflineStoreApi;
  relay: Relay;
  /** Messages peeked and sent at a time. Default 100. */
  batchSize?: number;
  /** At most this many messages per peer in flight (sent, outcome not known yet). Default 2 × batchSize. */
  window?: number;
  /** Retry after this many ms when a drain stopped on `unknown` or a store failure while the peer stayed available; 0 never. Default 5000. */
  retryMs?: number;
  /** Exclusive locks. Default `navigator.locks` where present (across tabs), else one set per JS context. */
  locks?: DrainLocks;
}

/** Why a drain pass ended. */
export type DrainStop = "empty" | "unavailable" | "bounced" | "unknown" | "stopped" | "failed";

/** What one drain did for one peer. */
export interface DrainReport {
  peer: string;
  /** Messages the relay delivered (and that were then acked in the store). */
  delivered: number;
  /** Messages sent but bounced back or left unconfirmed: they stay queued, in place. */
  requeued: number;
  /** Messages the relay refused for good: set aside as dead letters. */
  failed: number;
  stop: DrainStop;
}

/** What a drain engine tells its subscribers. */
export type DrainEvent =
  /** These origin-ids were delivered and have left the queue. */
  | { type: "delivered"; peer: string; ids: string[] }
  /** The relay refused this message for good: it is a dead letter now. */
  | { type: "failed"; peer: string; id: string; error: StanzaErrorData }
  /** A drain pass ended. */
  | ({ type: "drained" } & DrainReport);

interface Run {
  again: boolean;
  done: Promise<DrainReport | null>;
}

function sum(a: DrainReport | null, b: DrainReport | null): DrainReport | null {
  if (!a || !b) return b ?? a;
  return { peer: b.peer, delivered: a.delivered + b.delivered, requeued: a.requeued + b.requeued, failed: a.failed + b.failed, stop: b.stop };
}

/**
 * The drain of XEP-0160 for a relay: when a peer's presence appears, its
 * offline queue goes out oldest first, windowed, and each message leaves
 * the queue when its own confirmation arrives. The rules (the delivery rule,
 * the window, dead letters, what a receiver may see twice) are written once,
 * in src/messaging/README.md. At most one drain per peer runs at a time: in
 * this context, and across tabs through Web Locks where they exist. A drain
 * asked for while one runs makes it go round again, so nothing queued
 * meanwhile is left. Never drains to ourselves.
 */
export class DrainEngine {
  private readonly store: OfflineStoreApi;
  private readonly relay: Relay;
  private readonly batchSize: number;
  private readonly window: number;
  private readonly retryMs: number;
  private readonly locks: DrainLocks;
  private readonly runs = new Map<string, Run>();
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly events = new Listeners<DrainEvent>();
  private readonly abort = new AbortController();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(options: DrainOptions) {
    this.store = options.store;
    this.relay = options.relay;
    this.batchSize = option.positiveInteger("batchSize", options.batchSize, 100);
    this.window = option.positiveInteger("window", options.window, 2 * this.batchSize);
    this.retryMs = option.duration("retryMs", options.retryMs, 5000);
    this.locks = options.locks ?? defaultLocks();
  }

  /** Drains on every peer's available presence from now on, and now for queued peers already available. */
  async start(): Promise<void> {
    if (this.stopped || this.unsubscribe) return;
    this.unsubscribe = this.relay.onPresence((p) => {
      if (p.available) void this.drain(p.peer);
    });
    for (const q of await this.store.queues()) {
      if (q.count > 0 && !this.isSelf(q.owner) && this.relay.isAvailable(q.owner)) void this.drain(q.owner);
    }
  }

  /** Listens to drain events; returns the unsubscribe function. */
  subscribe(listener: (event: DrainEvent) => void): () => void {
    return this.events.add(listener);
  }

  /** Whether this engine is draining (or waiting to drain) the peer's queue. */
  isDraining(peer: string): boolean {
    return this.runs.has(bareJid(peer));
  }

  /**
   * Drains a peer's queue now. If this engine is already draining it, the
   * running drain goes round once more and this resolves with it. Resolves
   * with the totals, or null when nothing ran (stopped).
   */
  drain(peer: string): Promise<DrainReport | null> {
    const bare = bareJid(peer);
    // The store is per browser profile, not per user: a queue for the signed-in user is never ours to send.
    if (this.stopped || this.isSelf(bare)) return Promise.resolve(null);
    const running = this.runs.get(bare);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run: Run = { again: true, done: Promise.resolve(null) };
    run.done = (async () => {
      let total: DrainReport | null = null;
      try {
        while (run.again && !this.stopped) {
          run.again = false;
          total = sum(total, await this.locked(bare));
        }
      } finally {
        this.runs.delete(bare);
      }
      if (total) this.retryLater(total);
      return total;
    })();
    this.runs.set(bare, run);
    return run.done;
  }

  /** Stops draining: the current message's send finishes, nothing more is sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.abort.abort();
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  /** One pass under the peer's lock. If another tab or engine holds it, waits for one pass after it. */
  private async locked(peer: string): Promise<DrainReport | null> {
    const name = DRAIN_LOCK_PREFIX + peer;
    try {
      const now = await this.locks.request(name, { ifAvailable: true }, (lock) => (lock ? this.pass(peer) : null));
      if (now || this.stopped) return now;
      // The holder may finish before it sees what was queued here: take one more pass after it.
      return await this.locks.request(name, { signal: this.abort.signal }, () => this.pass(peer));
    } catch {
      return null; // aborted by stop()
    }
  }

  private isSelf(peer: string): boolean {
    const self = this.relay.self;
    return self !== "" && bareJid(self) === bareJid(peer);
  }

  /**
   * One pass (see src/messaging/README.md, "Drain"): batches go out while
   * earlier ones await their outcomes, up to `window` in flight (a message
   * the relay has accepted and that only waits out a grace window no longer
   * counts); the next page is read while this one is sent; outcomes are
   * read in queue order; each delivered message is acked as it comes
   * (group-committed); a permanent refusal becomes a dead letter; the first
   * other failure stops the pass, and it and all behind it stay queued.
   */
  private async pass(peer: string): Promise<DrainReport> {
    const r: DrainReport = { peer, delivered: 0, requeued: 0, failed: 0, stop: "empty" };
    // Confirmations group-commit as they arrive: one commit at a time takes all that came meanwhile
    // (the first after one task, so those already in share it). After a failed commit, none more.
    let ackFailure: { error: unknown } | null = null;
    const acks = new MicroBatcher<PoppedMessage>(
      async (ms) => {
        if (ackFailure) return;
        try {
          await this.store.ack(peer, ms.map((m) => m.key));
        } catch (error) {
          return void (ackFailure = { error });
        }
        r.delivered += ms.length;
        this.events.emit({ type: "delivered", peer, ids: ms.map((m) => m.id) });
      },
      { tick: "task" },
    );
    /** Resolves when every confirmation so far is committed; rejects with the first failed commit's error. */
    const acked = async () => {
      await acks.idle();
      if (ackFailure) throw ackFailure.error;
    };
    const flight = new Flights();
    const pages = new PageReader(this.store, peer, Math.min(this.batchSize, this.window));
    let halt: DrainStop | null = null;
    try {
      for (;;) {
        halt ??= this.stopped ? "stopped" : !this.relay.isAvailable(peer) ? "unavailable" : null;
        if (halt === null && !pages.ended && this.window - flight.open >= pages.size) {
          // Pipelined: the relay keeps one peer's sends in order.
          for (const m of await pages.next()) flight.push(m, (accepted) => this.sendOne(m, accepted));
          continue;
        }
        const head = await flight.head();
        if (head === "room") continue;
        if (!head) break;
        const { m, o } = head;
        if (o.status === "delivered") acks.add(m);
        else if (o.status === "bounced" && o.permanent) await this.bury(peer, m, o, r);
        else {
          // It and everything behind it stay queued, in place (what of them arrived, a deduping receiver drops).
          const kept = [m.id, ...flight.drop()];
          r.requeued += kept.length;
          void this.store.reportRequeued(peer, kept).catch(() => undefined);
          halt = o.status;
          break;
        }
      }
      await acked();
      r.stop = halt ?? "empty";
    } catch {
      await acks.idle();
      r.stop = "failed";
    }
    this.events.emit({ type: "drained", ...r });
    return r;
  }

  /**
   * A permanent refusal: out of the queue into the dead letters, and the app
   * is told. If the store cannot set it aside (a full disk refuses the dead
   * letter's write), it stays queued in place and the pass goes on behind
   * it: a refused message never blocks the others; the next pass tries again.
   */
  private async bury(peer: string, m: PoppedMessage, o: Extract<SendOutcome, { status: "bounced" }>, r: DrainReport): Promise<void> {
    const error: StanzaErrorData = { type: o.type ?? "cancel", condition: o.condition, ...(o.text !== undefined && { text: o.text }) };
    let buried: boolean;
    try {
      buried = await this.store.bury(peer, m.key, error);
    } catch {
      r.requeued++;
      void this.store.reportRequeued(peer, [m.id]).catch(() => undefined);
      return;
    }
    if (buried) {
      r.failed++;
      this.events.emit({ type: "failed", peer, id: m.id, error });
    }
  }

  private async sendOne(m: PoppedMessage, accepted: () => void): Promise<SendOutcome> {
    try {
      return await this.relay.send(readStored(m.stanza), { accepted });
    } catch (e) {
      return { status: "unknown", reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /** A drain that stopped unconfirmed while the peer is still there is tried again later. */
  private retryLater(r: DrainReport): void {
    if (this.stopped || this.retryMs === 0 || (r.stop !== "unknown" && r.stop !== "failed")) return;
    if (this.retries.has(r.peer) || !this.relay.isAvailable(r.peer)) return;
    this.retries.set(
      r.peer,
      setTimeout(() => {
        this.retries.delete(r.peer);
        if (this.relay.isAvailable(r.peer)) void this.drain(r.peer);
      }, this.retryMs),
    );
  }
}
