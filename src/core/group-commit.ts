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

  private async commitBatch(batch: Pending[]): Promise<void> {
    const delta = this.metrics.takeDelta();
    const started = performance.now();
    try {
      const ok = await this.backend.write(batch.flatMap((p) => p.groups), delta);
      this.metrics.observe("write_messages", performance.now() - started);
      let i = 0;
      for (const p of batch) p.resolve(ok.slice(i, (i += p.groups.length)));
    } catch (e) {
      this.metrics.restore(delta);
      for (const p of batch) p.reject(e);
    }
  }
}
