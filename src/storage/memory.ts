import { tallied, type OfflineBackend, type QueueInfo, type ReadOptions, type ReadResult, type WriteGroup } from "../core/backend.ts";
import { emptySnapshot, mergeSnapshot, type MetricsSnapshot } from "../core/metrics.ts";
import type { DeadLetter, StanzaErrorData } from "../core/dead-letter.ts";
import { compareRecords, keyOf, type NewRecord, type OfflineRecord, type QuarantinedRecord, type RecordKey } from "../core/record.ts";

/**
 * In-memory backend (our counterpart of mod_offline's mnesia backend):
 * for tests, and for pages that want no persistence. Each queue is an
 * array kept in (ts, seq) order.
 */
export class MemoryBackend implements OfflineBackend {
  readonly kind = "memory";
  private readonly queues_ = new Map<string, OfflineRecord[]>();
  private readonly dead = new Map<string, DeadLetter>();
  private totals = emptySnapshot();
  private seq = 0;
  private settings: unknown = null;
  private readonly aside: QuarantinedRecord[] = [];

  async write(groups: WriteGroup[]): Promise<boolean[]> {
    const ok = groups.map((g) => {
      const q = this.queues_.get(g.owner) ?? [];
      const replaced = this.markersReplaced(q, g);
      if (q.length - replaced.size + g.records.length > g.max) return false;
      const kept = replaced.size ? q.filter((r) => !replaced.has(r)) : q;
      for (const r of g.records) insertSorted(kept, { ...r, seq: ++this.seq });
      this.queues_.set(g.owner, kept);
      return true;
    });
    return ok;
  }

  // Records a group's chat markers supersede: the same key in the queue, or earlier in the group.
  private markersReplaced(q: OfflineRecord[], g: WriteGroup): Set<OfflineRecord> {
    const keys = new Set(g.records.map((r) => r.marker).filter((m) => m !== null));
    return new Set(keys.size ? q.filter((r) => r.marker !== null && keys.has(r.marker)) : []);
  }

  async read(owner: string, o: ReadOptions, metrics?: MetricsSnapshot): Promise<ReadResult> {
    const q = this.queues_.get(owner) ?? [];
    const limit = o.limit ?? Infinity;
    const records: OfflineRecord[] = [];
    const expired: OfflineRecord[] = [];
    const bad: OfflineRecord[] = [];
    for (const r of q) {
      if (records.length >= limit) break;
      if (o.after && compareRecords(r, { ts: o.after[1], seq: o.after[2] } as OfflineRecord) <= 0) continue;
      if (r.expireAt !== null && r.expireAt <= o.now) {
        expired.push(r);
        continue;
      }
      const why = o.remove && o.unreadable ? o.unreadable(r) : null;
      if (why === null) records.push(r);
      else {
        bad.push(r);
        this.aside.push({ ...r, reason: why, at: o.now });
      }
    }
    if (o.remove) {
      const gone = new Set([...records, ...expired, ...bad]);
      this.setQueue(owner, q.filter((r) => !gone.has(r)));
      this.persist(tallied(metrics, { popped: records.length, expired: expired.length }));
    }
    return { records: records.map((r) => ({ ...r })), expired: expired.length, quarantined: bad.map((r) => r.id) };
  }

  async remove(owner: string, keys: RecordKey[], metrics?: MetricsSnapshot): Promise<string[]> {
    const want = new Set(keys.filter((k) => k[0] === owner).map((k) => `${k[1]}:${k[2]}`));
    const q = this.queues_.get(owner) ?? [];
    const gone = q.filter((r) => want.has(`${r.ts}:${r.seq}`));
    this.setQueue(owner, q.filter((r) => !want.has(`${r.ts}:${r.seq}`)));
    this.persist(tallied(metrics, { popped: gone.length }));
    return gone.map((r) => r.id);
  }

  async quarantine(owner: string, records: Array<{ key: RecordKey; reason: string }>, now: number): Promise<number> {
    const why = new Map(records.filter((x) => x.key[0] === owner).map((x) => [`${x.key[1]}:${x.key[2]}`, x.reason]));
    const q = this.queues_.get(owner) ?? [];
    const moved = q.filter((r) => why.has(`${r.ts}:${r.seq}`));
    for (const r of moved) this.aside.push({ ...r, reason: why.get(`${r.ts}:${r.seq}`)!, at: now });
    this.setQueue(owner, q.filter((r) => !moved.includes(r)));
    return moved.length;
  }

  async quarantined(): Promise<QuarantinedRecord[]> {
    return this.aside.map((r) => ({ ...r }));
  }

  async count(owner: string): Promise<number> {
    return this.queues_.get(owner)?.length ?? 0;
  }

  async queues(): Promise<QueueInfo[]> {
    return [...this.queues_].map(([owner, q]) => ({ owner, count: q.length, oldest: q[0]?.ts ?? null }));
  }

  async removeUser(owner: string, metrics?: MetricsSnapshot): Promise<number> {
    const n = this.queues_.get(owner)?.length ?? 0;
    this.queues_.delete(owner);
    this.persist(metrics);
    return n;
  }

  async removeExpired(now: number, metrics?: MetricsSnapshot): Promise<number> {
    const n = this.removeWhere((r) => r.expireAt !== null && r.expireAt <= now);
    this.persist(tallied(metrics, { expired: n }));
    return n;
  }

  async removeOlderThan(before: number, metrics?: MetricsSnapshot): Promise<number> {
    const n = this.removeWhere((r) => r.ts < before);
    this.persist(metrics);
    return n;
  }

  async bury(key: RecordKey, error: StanzaErrorData, failedAt: number): Promise<string | null> {
    const q = this.queues_.get(key[0]) ?? [];
    const r = q.find((x) => x.ts === key[1] && x.seq === key[2]);
    if (!r) return null;
    this.setQueue(key[0], q.filter((x) => x !== r));
    this.dead.set(key.join("\u0000"), { record: r, error: { ...error }, failedAt });
    return r.id;
  }

  async entomb(record: NewRecord, error: StanzaErrorData, failedAt: number): Promise<RecordKey> {
    const full: OfflineRecord = { ...record, seq: ++this.seq };
    const key = keyOf(full);
    this.dead.set(key.join("\u0000"), { record: full, error: { ...error }, failedAt });
    return key;
  }

  async deadLetters(owner?: string): Promise<DeadLetter[]> {
    const all = [...this.dead.values()].filter((d) => owner === undefined || d.record.owner === owner);
    return structuredClone(all.sort((a, b) => a.record.owner.localeCompare(b.record.owner) || compareRecords(a.record, b.record)));
  }

  async revive(keys: RecordKey[]): Promise<string[]> {
    // As IndexedDB's add: a letter whose key is taken again in its queue stays dead.
    const free = keys.filter((k) => !(this.queues_.get(k[0]) ?? []).some((r) => r.ts === k[1] && r.seq === k[2]));
    return this.takeDead(free).map((d) => {
      const q = this.queues_.get(d.record.owner) ?? [];
      insertSorted(q, d.record);
      this.queues_.set(d.record.owner, q);
      return d.record.id;
    });
  }

  async discard(keys: RecordKey[]): Promise<string[]> {
    return this.takeDead(keys).map((d) => d.record.id);
  }

  private takeDead(keys: RecordKey[]): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const k of keys) {
      const id = k.join("\u0000");
      const d = this.dead.get(id);
      if (d && this.dead.delete(id)) out.push(d);
    }
    return out;
  }

  async loadMetrics(): Promise<MetricsSnapshot> {
    return structuredClone(this.totals);
  }

  async saveMetrics(delta: MetricsSnapshot): Promise<void> {
    this.persist(delta);
  }

  async loadSettings(): Promise<unknown> {
    return structuredClone(this.settings);
  }

  async saveSettings(settings: unknown): Promise<void> {
    this.settings = structuredClone(settings);
  }

  close(): void {}

  private removeWhere(pred: (r: OfflineRecord) => boolean): number {
    let n = 0;
    for (const [owner, q] of this.queues_) {
      const kept = q.filter((r) => !pred(r));
      n += q.length - kept.length;
      this.setQueue(owner, kept);
    }
    return n;
  }

  private setQueue(owner: string, q: OfflineRecord[]): void {
    if (q.length) this.queues_.set(owner, q);
    else this.queues_.delete(owner);
  }

  private persist(delta: MetricsSnapshot | undefined): void {
    if (delta) mergeSnapshot(this.totals, delta);
  }
}

function insertSorted(q: OfflineRecord[], r: OfflineRecord): void {
  let i = q.length;
  while (i > 0 && compareRecords(q[i - 1]!, r) > 0) i--;
  q.splice(i, 0, r);
}
