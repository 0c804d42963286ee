/** When a {@link MicroBatcher} hands over what it collected: at the end of this microtask turn, or on the next task. */
export type BatchTick = "microtask" | "task";

/** How a {@link MicroBatcher} groups its items. */
export interface MicroBatcherOptions {
  /** Default "microtask": items added in the same turn of work share a batch. "task": the same task (a `setTimeout(0)`). */
  tick?: BatchTick;
  /**
   * Default true (group commit): while a batch's flush is in flight, new
   * items wait and share the next batch. False: each tick's batch goes out
   * at once, overlapping the ones in flight.
   */
  serial?: boolean;
}

/**
 * The one micro-batcher / group-commit helper: items added in one tick go
 * to `flush` together, in the order added; with `serial`, items added while
 * a flush runs are the next batch, so a burst of N costs few flushes, not N.
 * A flush that throws fails nothing else (its items carry their own
 * resolve/reject when the caller needs an answer).
 */
export class MicroBatcher<T> {
  private items: T[] = [];
  private scheduled = false;
  private running = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly tick: BatchTick;
  private readonly serial: boolean;

  constructor(
    private readonly flush: (batch: T[]) => void | Promise<void>,
    options: MicroBatcherOptions = {},
  ) {
    this.tick = options.tick ?? "microtask";
    this.serial = options.serial ?? true;
  }

  /** Items waiting for their batch (not those whose flush runs). */
  get size(): number {
    return this.items.length;
  }

  /** Adds one item to the next batch. */
  add(item: T): void {
    this.items.push(item);
    if (this.scheduled || (this.serial && this.running)) return;
    this.scheduled = true;
    if (this.tick === "task") setTimeout(() => this.run(), 0);
    else queueMicrotask(() => this.run());
  }

  /** Hands what is waiting to `flush` now, in this task (a page about to close still sends it). */
  flushNow(): void {
    if (!(this.serial && this.running)) void this.run();
  }

  /** Resolves once nothing waits and no flush runs. */
  idle(): Promise<void> {
    if (!this.running && !this.items.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    if (!this.serial) return this.flushOnce(this.items.splice(0)).finally(() => this.settleIdle());
    if (this.running) return;
    this.running = true;
    while (this.items.length) await this.flushOnce(this.items.splice(0));
    this.running = false;
    this.settleIdle();
  }

  private async flushOnce(batch: T[]): Promise<void> {
    if (!batch.length) return;
    try {
      await this.flush(batch);
    } catch {
      // The flush answers its own items; a throw here must not stop the batches behind it.
    }
  }

  private settleIdle(): void {
    if (this.running || this.items.length) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
