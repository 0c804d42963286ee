import { DRAIN_EVENT, type DrainRequestDetail } from "./events.ts";

/** Anything that can drain a peer's queue now, e.g. the relay's `DrainEngine`. */
export interface DrainTarget {
  drain(peer: string): Promise<unknown>;
}

/**
 * Answers the dashboard's "Drain <peer> now" requests with a drain engine:
 * listens for `offline-dashboard:drain` on `target` (default `document`;
 * the event is composed, so it arrives from any shadow tree), claims it with
 * `preventDefault()` and starts the drain. A failed drain goes to `onError`.
 * Returns a function that stops listening.
 *
 * ```ts
 * const messenger = await Messenger.start({ store, relay });
 * handleDrainRequests(messenger.drain);
 * ```
 */
export function handleDrainRequests(
  engine: DrainTarget,
  target: EventTarget = document,
  onError: (error: unknown, peer: string) => void = (e) => console.error("offline-edge: drain failed", e),
): () => void {
  const listener = (event: Event) => {
    const peer = (event as CustomEvent<DrainRequestDetail>).detail?.peer;
    if (typeof peer !== "string") return;
    event.preventDefault();
    engine.drain(peer).catch((e: unknown) => onError(e, peer));
  };
  target.addEventListener(DRAIN_EVENT, listener);
  return () => target.removeEventListener(DRAIN_EVENT, listener);
}
