/** Options of a lock request: the subset of Web Locks' `LockOptions` the drain uses. */
export interface DrainLockOptions {
  /** Grant at once or call back with null, rather than wait. */
  ifAvailable?: boolean;
  /** Gives up waiting when aborted (the request then rejects). */
  signal?: AbortSignal;
}

/**
 * The part of the Web Locks API (`navigator.locks`) the drain needs:
 * exclusive named locks, held while the callback's promise runs.
 */
export interface DrainLocks {
  request<T>(name: string, options: DrainLockOptions, callback: (lock: unknown) => T | Promise<T>): Promise<T>;
}

/**
 * Exclusive named locks within one JS context, with the Web Locks
 * semantics the drain relies on (FIFO waiting, `ifAvailable`, abort).
 * The fallback where `navigator.locks` is missing (Node, old browsers):
 * it keeps drains apart within the context, not across tabs.
 */
export class ContextLocks implements DrainLocks {
  private readonly queues = new Map<string, Array<() => void>>();

  async request<T>(name: string, options: DrainLockOptions, callback: (lock: unknown) => T | Promise<T>): Promise<T> {
    const held = this.queues.has(name);
    if (held && options.ifAvailable) return callback(null);
    if (held) await this.wait(name, options.signal);
    else this.queues.set(name, []);
    try {
      return await callback({ name });
    } finally {
      this.release(name);
    }
  }

  private wait(name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const queue = this.queues.get(name)!;
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        queue.splice(queue.indexOf(grant), 1);
        reject(signal?.reason);
      };
      queue.push(grant);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  private release(name: string): void {
    const next = this.queues.get(name)?.shift();
    if (next) next();
    else this.queues.delete(name);
  }
}

/** One set of context locks shared by every drain engine of this JS context. */
export const contextLocks = new ContextLocks();

/** The locks a drain uses by default: Web Locks when present (they span tabs), else the context's. */
export function defaultLocks(): DrainLocks {
  const nav = (globalThis as { navigator?: { locks?: DrainLocks } }).navigator;
  return nav?.locks ?? contextLocks;
}
