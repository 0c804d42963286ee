/**
 * Group commit of a drain's confirmations: each confirmed message is added
 * as its receipt (or ack) arrives; one commit runs at a time and takes
 * everything added meanwhile, so a steady stream of confirmations costs one
 * store transaction per commit, not per message, and a sender that dies
 * loses at most the confirmations of the commit in flight.
 */
export class AckBatcher<T> {
  private pending: T[] = [];
  private running: Promise<void> | null = null;
  private error: unknown = undefined;
  private failed = false;

  constructor(private readonly commit: (items: T[]) => Promise<void>) {}

  add(item: T): void {
    this.pending.push(item);
    this.running ??= this.loop();
  }

  /** Resolves when everything added so far is committed; rejects with the first commit's failure. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failed) throw this.error;
  }

  private async loop(): Promise<void> {
    // One macrotask first: confirmations that are already in gather into the first commit.
    await new Promise((r) => setTimeout(r, 0));
    while (this.pending.length && !this.failed) {
      const items = this.pending.splice(0);
      try {
        await this.commit(items);
      } catch (e) {
        this.failed = true;
        this.error = e;
      }
    }
    this.running = null;
  }
}
