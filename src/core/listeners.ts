/**
 * A set of listeners for one kind of event. A throwing listener does not
 * stop the others (its error is rethrown on a fresh task, so it still shows
 * up in the console). For any event type; the value each listener returns
 * is handed back to the caller (a relay waits on them before it acks).
 */
export class Listeners<T, R = void> {
  private readonly set = new Set<(event: T) => R>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: (event: T) => R): () => void {
    this.set.add(listener);
    return () => void this.set.delete(listener);
  }

  get size(): number {
    return this.set.size;
  }

  /** Calls every listener with the event; returns what each returned (nothing for those that threw). */
  emit(event: T): R[] {
    const out: R[] = [];
    for (const l of [...this.set]) {
      try {
        out.push(l(event));
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    return out;
  }

  clear(): void {
    this.set.clear();
  }
}
