import type { DropReason, WebRtcRelay } from "./relay.ts";

/** Drops after which the peer may well still be there: its channel broke, it did not say it leaves. */
const BROKEN: ReadonlySet<DropReason> = new Set(["closed", "ice-failed", "missed-heartbeats"]);

/**
 * Dials a peer again when its channel breaks (closed, ICE failed, beats
 * missed; not when it said it leaves), after `firstMs` and then twice as
 * long each time up to `maxMs`, until the peer is available again. A peer
 * that returns after leaving dials us itself. Used by the signallers here;
 * an app with its own signalling may use it with its own `dial`.
 */
export class Redial {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly off: (() => void)[];

  constructor(
    private readonly relay: WebRtcRelay,
    private readonly dial: (peer: string) => void,
    private readonly firstMs = 500,
    private readonly maxMs = 30_000,
  ) {
    this.off = [
      relay.onDrop(({ peer, reason }) => {
        if (BROKEN.has(reason) && !this.timers.has(peer)) this.schedule(peer, firstMs);
      }),
      relay.onPresence(({ peer, available }) => {
        if (available) this.cancel(peer);
      }),
    ];
  }

  /** Stops every pending redial. */
  stop(): void {
    for (const off of this.off) off();
    for (const peer of [...this.timers.keys()]) this.cancel(peer);
  }

  private schedule(peer: string, ms: number): void {
    this.timers.set(
      peer,
      setTimeout(() => {
        if (this.relay.isAvailable(peer)) return this.cancel(peer);
        if (!this.relay.hasChannel(peer)) this.dial(peer);
        this.schedule(peer, Math.min(ms * 2, this.maxMs));
      }, ms),
    );
  }

  private cancel(peer: string): void {
    clearTimeout(this.timers.get(peer));
    this.timers.delete(peer);
  }
}
