import type { OfflineStoreApi } from "../../core/store-api.ts";
import { InvalidOptionError } from "../../core/errors.ts";
import { bareJid } from "../../core/jid.ts";
import type { PoppedMessage } from "../../core/offline-store.ts";
import { readMessage } from "../../core/stanza.ts";
import { defaultLocks, type DrainLocks } from "./locks.ts";
import { Listeners } from "../../core/listeners.ts";
import type { Relay, SendOutcome } from "../../relay/relay.ts";

/** Prefix of the Web Lock each peer's drain holds: `offline-edge:drain:<bare JID>`. */
export const DRAIN_LOCK_PREFIX = "offline-edge:drain:";

/** What a drain engine works on (a store and a relay, both shared with the outbox) and how. */
export interface DrainOptions {
  store: OfflineStoreApi;
  relay: Relay;
  /** Messages peeked, sent (pipelined) and acked per batch. Default 200. */
  batchSize?: number;
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
  stop: DrainStop;
}

/** What a drain engine tells its subscribers. */
export type DrainEvent =
  /** These origin-ids were delivered and have left the queue. */
  | { type: "delivered"; peer: string; ids: string[] }
  /** A drain pass ended. */
  | ({ type: "drained" } & DrainReport);

interface Run {
  again: boolean;
  done: Promise<DrainReport | null>;
}

function sum(a: DrainReport | null, b: DrainReport | null): DrainReport | null {
  if (!a || !b) return b ?? a;
  return { peer: b.peer, delivered: a.delivered + b.delivered, requeued: a.requeued + b.requeued, stop: b.stop };
}

/**
 * The drain of XEP-0160 for a relay: when a peer's presence appears, its
 * offline queue goes out oldest first. At-least-once: each batch is peeked,
 * sent in order (pipelined: the batch's sends overlap, which the relay keeps
 * in order), and only the delivered messages are acked out of the store
 * (never pop-before-send); a bounced or unconfirmed message stops the
 * drain, and it and the rest of its batch stay queued, in place, for the
 * next one (what of them did arrive, the receiver drops as a repeat). At most one drain per peer runs at a time: in this context, and
 * across tabs through Web Locks where they exist. A drain asked for while
 * one runs makes it go round again, so nothing queued meanwhile is left.
 */
export class DrainEngine {
  private readonly store: OfflineStoreApi;
  private readonly relay: Relay;
  private readonly batchSize: number;
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
    this.batchSize = options.batchSize ?? 200;
    this.retryMs = options.retryMs ?? 5000;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new InvalidOptionError("batchSize must be a positive whole number.");
    if (!(this.retryMs >= 0)) throw new InvalidOptionError("retryMs must be a number >= 0.");
    this.locks = options.locks ?? defaultLocks();
  }

  /** Drains on every peer's available presence from now on, and now for queued peers already available. */
  async start(): Promise<void> {
    if (this.stopped || this.unsubscribe) return;
    this.unsubscribe = this.relay.onPresence((p) => {
      if (p.available) void this.drain(p.peer);
    });
    for (const q of await this.store.queues()) {
      if (q.count > 0 && this.relay.isAvailable(q.owner)) void this.drain(q.owner);
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
    if (this.stopped) return Promise.resolve(null);
    const bare = bareJid(peer);
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

  private async pass(peer: string): Promise<DrainReport> {
    let delivered = 0;
    let requeued = 0;
    const report = (stop: DrainStop): DrainReport => {
      const r: DrainReport = { peer, delivered, requeued, stop };
      this.events.emit({ type: "drained", ...r });
      return r;
    };
    try {
      for (;;) {
        if (this.stopped) return report("stopped");
        if (!this.relay.isAvailable(peer)) return report("unavailable");
        const batch = await this.store.peek(peer, this.batchSize);
        if (batch.length === 0) return report("empty");
        // Pipelined: the whole batch goes out in order at once, then the outcomes are read.
        const outcomes = await Promise.all(batch.map((m) => this.sendOne(m)));
        // Only the delivered prefix leaves the queue: after a failure, the rest stays in
        // place even if it arrived, so the queue keeps one order (the receiver drops repeats).
        const cut = outcomes.findIndex((o) => o.status !== "delivered");
        const sent = cut === -1 ? batch : batch.slice(0, cut);
        const failed = cut === -1 ? undefined : outcomes[cut];
        requeued += batch.length - sent.length;
        if (failed) void this.store.reportRequeued(peer, batch.slice(sent.length).map((m) => m.id)).catch(() => undefined);
        const stop: DrainStop | null = failed ? (failed.status as DrainStop) : this.stopped ? "stopped" : null;
        if (sent.length) {
          // One ack per batch: it deletes them and records mod_offline's pop_messages timing.
          await this.store.ack(peer, sent.map((m) => m.key));
          delivered += sent.length;
          this.events.emit({ type: "delivered", peer, ids: sent.map((m) => m.id) });
        }
        if (stop) return report(stop);
      }
    } catch {
      return report("failed");
    }
  }

  private async sendOne(m: PoppedMessage): Promise<SendOutcome> {
    try {
      return await this.relay.send(readMessage(m.stanza, Infinity));
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
