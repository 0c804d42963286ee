import type { OfflineStoreApi } from "../../core/store-api.ts";
import type { PoppedMessage } from "../../core/offline-store.ts";
import type { RecordKey } from "../../core/record.ts";

/**
 * Reads one peer's queue page by page, oldest first, for a drain pass,
 * always one page ahead: the store's round trip for the next page overlaps
 * the sending of this one. Only an empty page ends the queue: a page that
 * set unreadable records aside comes back short.
 */
export class PageReader {
  private after: RecordKey | undefined;
  private ahead: Promise<PoppedMessage[]> | null = null;
  private done = false;

  constructor(
    private readonly store: OfflineStoreApi,
    private readonly peer: string,
    /** Messages per page. */
    readonly size: number,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  /** Starts reading the next page, if it is not being read already. */
  private prefetch(): void {
    if (this.ahead || this.done) return;
    this.ahead = this.store.peek(this.peer, this.size, this.after);
    this.ahead.catch(() => undefined); // its failure is reported by next()
  }

  /** The next page (the one read ahead, if any); starts reading the one after it. */
  async next(): Promise<PoppedMessage[]> {
    this.prefetch();
    const page = this.ahead!;
    this.ahead = null;
    const batch = await page;
    this.done = batch.length === 0;
    this.after = batch.at(-1)?.key ?? this.after;
    this.prefetch();
    return batch;
  }
}
