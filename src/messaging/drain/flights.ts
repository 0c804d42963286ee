import type { PoppedMessage } from "../../core/offline-store.ts";
import type { SendOutcome } from "../../relay/relay.ts";

/** A message sent by the drain and its outcome. */
export interface Landed {
  m: PoppedMessage;
  o: SendOutcome;
}

interface Flight {
  m: PoppedMessage;
  outcome: Promise<SendOutcome>;
  /** Counts against the window: neither read nor accepted by the relay yet. */
  open: boolean;
}

/**
 * The messages one drain pass has sent, in queue order, until their
 * outcomes are read. `open` counts those the window holds: a message stops
 * counting when the relay accepts it (only a grace window left) or when its
 * outcome is read, in order (so a failure settled early does not let more
 * go out behind it).
 */
export class Flights {
  private readonly queue: Flight[] = [];
  private openCount = 0;
  private wake: (() => void) | null = null;

  get open(): number {
    return this.openCount;
  }

  /** Sends through `send`, which gets the hook to call when the relay accepts the message. */
  push(m: PoppedMessage, send: (accepted: () => void) => Promise<SendOutcome>): void {
    // Queued before `send` runs: a relay may call `accepted` at once.
    const f = { m, open: true } as Flight;
    this.openCount++;
    this.queue.push(f);
    f.outcome = send(() => this.close(f, true));
  }

  /**
   * The oldest message with its outcome, once settled; or "room" as soon as
   * a message behind it leaves the window first; or null when none is left.
   */
  async head(): Promise<Landed | "room" | null> {
    const f = this.queue[0];
    if (!f) return null;
    const room = new Promise<"room">((resolve) => (this.wake = () => resolve("room")));
    const o = await Promise.race([f.outcome, room]);
    this.wake = null;
    if (o === "room") return "room";
    this.queue.shift();
    this.close(f, false);
    return { m: f.m, o };
  }

  private close(f: Flight, wake: boolean): void {
    if (!f.open) return;
    f.open = false;
    this.openCount--;
    if (wake) this.wake?.();
  }

  /** Forgets every message still in flight; returns their ids, in order. */
  drop(): string[] {
    return this.queue.splice(0).map((f) => f.m.id);
  }
}
