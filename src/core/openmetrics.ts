import { BUCKET_BOUNDS_MS, type HistogramData } from "./histogram.ts";
import type { MetricsSnapshot } from "./metrics.ts";

const PREFIX = "offline_edge";

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function histogramLines(name: string, help: string, h: HistogramData): string[] {
  const full = `${PREFIX}_${name}_seconds`;
  const lines = [`# TYPE ${full} histogram`, `# UNIT ${full} seconds`, `# HELP ${full} ${help}`];
  let cumulative = 0;
  BUCKET_BOUNDS_MS.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    lines.push(`${full}_bucket{le="${bound / 1000}"} ${cumulative}`);
  });
  lines.push(`${full}_bucket{le="+Inf"} ${h.count}`, `${full}_count ${h.count}`, `${full}_sum ${h.sum / 1000}`);
  return lines;
}

function counterLines(name: string, help: string, values: Record<string, number> | number, key = "reason"): string[] {
  const full = `${PREFIX}_${name}`;
  const lines = [`# TYPE ${full} counter`, `# HELP ${full} ${help}`];
  if (typeof values === "number") return [...lines, `${full}_total ${values}`];
  for (const [k, v] of Object.entries(values)) lines.push(`${full}_total{${key}="${label(k)}"} ${v}`);
  return lines;
}

/**
 * Renders a snapshot as OpenMetrics text (also read by Prometheus), with
 * latencies in seconds as the format expects.
 */
export function toOpenMetrics(s: MetricsSnapshot, gauges: Record<string, number> = {}): string {
  const c = s.counters;
  const lines = [
    ...histogramLines("write_messages", "Latency of offline store writes.", s.histograms.write_messages),
    ...histogramLines("pop_messages", "Latency of offline store pops.", s.histograms.pop_messages),
    ...counterLines("stored_messages", "Messages stored for offline recipients.", c.stored),
    ...counterLines("popped_messages", "Messages popped for delivery.", c.popped),
    ...counterLines("expired_messages", "Messages purged on XEP-0023 expiry.", c.expired),
    ...counterLines("requeued_messages", "Messages put back after a failed delivery.", c.requeued),
    ...counterLines("bounced_messages", "Messages refused with an error to the sender.", c.bounced),
    ...counterLines("dropped_messages", "Messages not stored by policy, without error.", c.dropped),
  ];
  for (const [name, v] of Object.entries(gauges)) {
    lines.push(`# TYPE ${PREFIX}_${name} gauge`, `${PREFIX}_${name} ${v}`);
  }
  lines.push("# EOF");
  return lines.join("\n") + "\n";
}
