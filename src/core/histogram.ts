/**
 * Latency histogram with fixed log-spaced buckets (ms), so that two
 * histograms merge by adding counts and quantiles come from the buckets
 * alone: nothing grows with the number of samples.
 */
export const BUCKET_BOUNDS_MS: readonly number[] = (() => {
  const out: number[] = [];
  // 0.01 ms .. ~60 s, four buckets per doubling: < 19% error on quantiles.
  for (let b = 0.01; b < 60_000; b *= Math.SQRT2 ** 0.5) out.push(Number(b.toPrecision(3)));
  return out;
})();

/** A histogram's plain, cloneable form. `counts` has one slot per bound plus +Inf. */
export interface HistogramData {
  counts: number[];
  sum: number;
  count: number;
}

export function emptyHistogram(): HistogramData {
  return { counts: new Array(BUCKET_BOUNDS_MS.length + 1).fill(0), sum: 0, count: 0 };
}

function bucketOf(ms: number): number {
  let lo = 0;
  let hi = BUCKET_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= BUCKET_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds one sample of `ms` milliseconds. */
export function observe(h: HistogramData, ms: number): void {
  h.counts[bucketOf(ms)]!++;
  h.sum += ms;
  h.count++;
}

/** Adds `b` into `a`. */
export function mergeHistogram(a: HistogramData, b: HistogramData): void {
  for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i] ?? 0;
  a.sum += b.sum;
  a.count += b.count;
}

/** Quantile q in [0, 1], interpolated inside its bucket; 0 for an empty histogram. */
export function quantile(h: HistogramData, q: number): number {
  if (h.count === 0) return 0;
  const rank = q * h.count;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c > 0 && seen + c >= rank) {
      const lo = i === 0 ? 0 : BUCKET_BOUNDS_MS[i - 1]!;
      const hi = BUCKET_BOUNDS_MS[i] ?? lo;
      return lo + (hi - lo) * ((rank - seen) / c);
    }
    seen += c;
  }
  return BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1]!;
}
