/** One item's place in a {@link Deadlines} queue. */
export interface Deadline {
  /** When it comes due, on the `performance.now()` clock. */
  readonly due: number;
  /** The item no longer needs its deadline: `onDue` will not be called for it. */
  cancel(): void;
}

class Slot<T> implements Deadline {
  constructor(
    public item: T | undefined,
    readonly due: number,
  ) {}

  cancel(): void {
    this.item = undefined;
  }
}

/**
 * Deadlines that all lie the same `delayMs` after the moment they were set,
 * so they come due in the order they were added: one FIFO and one timer for
 * all of them, where a timer each would cost a `setTimeout` and a
 * `clearTimeout` per item (thousands in a burst of messages). `onDue` runs
 * for each item at or after its deadline, in the order added, unless it
 * was cancelled (`Deadline.cancel`). Reads the monotonic
 * `performance.now()`, so a change of the wall clock moves no deadline.
 */
export class Deadlines<T> {
  private slots: Array<Slot<T>> = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly onDue: (item: T) => void,
  ) {}

  /** Sets `item`'s deadline `delayMs` from now. */
  add(item: T): Deadline {
    const slot = new Slot<T>(item, performance.now() + this.delayMs);
    this.slots.push(slot);
    if (this.timer === undefined) this.arm();
    return slot;
  }

  /** Cancels every deadline. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.slots = [];
    this.head = 0;
  }

  private arm(): void {
    // Cancelled slots at the front hold nothing: skip them rather than wake up for them.
    while (this.head < this.slots.length && this.slots[this.head]!.item === undefined) this.head++;
    if (this.head === this.slots.length) return this.clear();
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.slots[this.head]!.due - performance.now()));
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    try {
      while (this.head < this.slots.length && this.slots[this.head]!.due <= now) {
        const slot = this.slots[this.head++]!;
        const { item } = slot;
        slot.item = undefined;
        if (item !== undefined) this.onDue(item);
      }
    } finally {
      // Re-armed even if an onDue threw (or already, by an add() it made).
      if (this.timer === undefined) this.arm();
    }
  }
}
