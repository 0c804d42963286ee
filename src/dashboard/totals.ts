import type { MetricsReport } from "../core/store-api.ts";
import { h, setText } from "../ui/dom.ts";
import { formatCount } from "./format.ts";

const sum = (r: Record<string, number>) => Object.values(r).reduce((n, v) => n + v, 0);

/** The figures of the totals strip, computed from a metrics report. */
export function totalsOf(report: MetricsReport): Array<[label: string, value: number, hint: string]> {
  const c = report.snapshot.counters;
  return [
    ["Queued now", report.queues.reduce((n, q) => n + q.count, 0), "Messages waiting in every queue"],
    ["Stored", c.stored, "Messages stored for offline peers"],
    ["Popped", c.popped, "Messages taken from queues for delivery"],
    ["Expired", c.expired, "Messages purged on XEP-0023 expiry"],
    ["Re-queued", c.requeued, "Messages put back after a failed delivery"],
    ["Bounced", sum(c.bounced), "Messages refused with an error to the sender"],
    ["Dropped", sum(c.dropped), "Messages not stored by policy, without error"],
    ["Quarantined", report.quarantined ?? 0, "Stored messages that could not be read back, moved aside (store.quarantined() lists them)"],
  ];
}

/** The strip of totals (queued now, stored, popped, expired, re-queued, bounced, dropped, quarantined). */
export class TotalsView {
  readonly element: HTMLElement;
  private readonly values = new Map<string, HTMLElement>();

  constructor() {
    this.element = h("dl", { class: "totals", attrs: { "aria-label": "Totals" } });
  }

  update(report: MetricsReport): void {
    for (const [label, value, hint] of totalsOf(report)) {
      let dd = this.values.get(label);
      if (!dd) {
        dd = h("dd", {});
        this.values.set(label, dd);
        this.element.append(h("div", { class: "tile", attrs: { title: hint } }, h("dt", {}, label), dd));
      }
      setText(dd, formatCount(value));
    }
  }
}
