import type { BounceReason } from "./bounce.ts";

/** What the store tells its subscribers (and, through the worker, every tab). */
export type StoreEvent =
  | { type: "stored"; owner: string; ids: string[] }
  | { type: "bounced"; owner: string; reason: BounceReason; count: number }
  | { type: "dropped"; owner: string; reason: string }
  | { type: "popped"; owner: string; ids: string[] }
  | { type: "requeued"; owner: string; ids: string[] }
  | { type: "expired"; owner: string | null; count: number }
  | { type: "removed"; owner: string | null; count: number };

export type StoreListener = (event: StoreEvent) => void;

/** A minimal synchronous event hub; a throwing listener does not stop the others. */
export class EventHub {
  private readonly listeners = new Set<StoreListener>();

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StoreEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
