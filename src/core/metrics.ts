import { emptyHistogram, mergeHistogram, observe, quantile, type HistogramData } from "./histogram.ts";

/** The two backend latency histograms mod_offline exposes. */
export type HistogramName = "write_messages" | "pop_messages";

/** Counter names. Bounces and drops are further split by reason. */
export interface Counters {
  stored: number;
  popped: number;
  expired: number;
  requeued: number;
  bounced: Record<string, number>;
  dropped: Record<string, number>;
}

/** A plain, cloneable picture of every metric; also the persisted form. */
export interface MetricsSnapshot {
  counters: Counters;
  histograms: Record<HistogramName, HistogramData>;
}

/** Summary figures of one histogram, for display. */
export interface HistogramSummary {
  count: number;
  sum: number;
  p50: number;
  p95: number;
  p99: number;
}

export function emptySnapshot(): MetricsSnapshot {
  return {
    counters: { stored: 0, popped: 0, expired: 0, requeued: 0, bounced: {}, dropped: {} },
    histograms: { write_messages: emptyHistogram(), pop_messages: emptyHistogram() },
  };
}

/** Adds `b` into `a` (used to add a run's delta to persisted totals). */
export function mergeSnapshot(a: MetricsSnapshot, b: MetricsSnapshot): MetricsSnapshot {
  const ca = a.counters;
  const cb = b.counters;
  ca.stored += cb.stored;
  ca.popped += cb.popped;
  ca.expired += cb.expired;
  ca.requeued += cb.requeued;
  for (const [k, v] of Object.entries(cb.bounced)) ca.bounced[k] = (ca.bounced[k] ?? 0) + v;
  for (const [k, v] of Object.entries(cb.dropped)) ca.dropped[k] = (ca.dropped[k] ?? 0) + v;
  mergeHistogram(a.histograms.write_messages, b.histograms.write_messages);
  mergeHistogram(a.histograms.pop_messages, b.histograms.pop_messages);
  return a;
}

export function summarize(h: HistogramData): HistogramSummary {
  return { count: h.count, sum: h.sum, p50: quantile(h, 0.5), p95: quantile(h, 0.95), p99: quantile(h, 0.99) };
}

/**
 * Live metrics. Counts accumulate in a delta that a storage backend can take
 * (`takeDelta`) and persist in the same transaction as the data it
 * describes, so totals survive a worker being stopped.
 */
export class Metrics {
  private delta = emptySnapshot();

  observe(name: HistogramName, ms: number): void {
    observe(this.delta.histograms[name], ms);
  }

  count(name: "stored" | "popped" | "expired" | "requeued", n = 1): void {
    this.delta.counters[name] += n;
  }

  bounce(reason: string, n = 1): void {
    this.delta.counters.bounced[reason] = (this.delta.counters.bounced[reason] ?? 0) + n;
  }

  drop(reason: string, n = 1): void {
    this.delta.counters.dropped[reason] = (this.delta.counters.dropped[reason] ?? 0) + n;
  }

  /** Returns what accumulated since the last call and starts a new delta. */
  takeDelta(): MetricsSnapshot {
    const d = this.delta;
    this.delta = emptySnapshot();
    return d;
  }

  /** Puts a delta back, e.g. when the transaction that was to persist it failed. */
  restore(delta: MetricsSnapshot): void {
    this.delta = mergeSnapshot(delta, this.delta);
  }

  /** The not yet persisted delta, read only. */
  peek(): MetricsSnapshot {
    return this.delta;
  }
}
