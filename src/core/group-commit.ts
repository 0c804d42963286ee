import type { OfflineBackend, WriteGroup } from "./backend.ts";
import type { Metrics } from "./metrics.ts";
import { MicroBatcher } from "./micro-batch.ts";

interface Pending {
  groups: WriteGroup[];
  resolve: (ok: boolean[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: write requests that arrive while a transaction is in flight
 * wait and are committed together in the next one, so many small writes
 * cost few transactions. Order is kept: earlier requests meet the limits first.
 * The metrics of a commit stay in memory until the store's flush persists
 * them (after a crash, totals can lag behind the queues; messages cannot).
 */
export class GroupCommit {
  private readonly batcher = new MicroBatcher<Pending>((batch) => this.commitBatch(batch));

  constructor(
    private readonly backend: OfflineBackend,
    private readonly metrics: Metrics,
  ) {}

  /** Queues one request's groups; resolves with, per group, whether it was stored. */
  commit(groups: WriteGroup[]): Promise<boolean[]> {
    return new Promise((resolve, reject) => this.batcher.add({ groups, resolve, reject }));
  }

  // Counted in memory, persisted by the store's metrics flush: the write transaction stays on two stores.
  private tally(groups: WriteGroup[], ok: boolean[]): void {
    groups.forEach((g, i) => {
      if (ok[i]) this.metrics.count("stored", g.records.length);
      else this.metrics.bounce("resource-constraint", g.records.length);
    });
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const groups = batch.flatMap((p) => p.groups);
    const started = performance.now();
    try {
      const ok = await this.backend.write(groups);
      this.metrics.observe("write_messages", performance.now() - started);
      this.tally(groups, ok);
      let i = 0;
      for (const p of batch) p.resolve(ok.slice(i, (i += p.groups.length)));
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }
}
