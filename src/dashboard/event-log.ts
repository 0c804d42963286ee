import type { StoreEvent } from "../core/events.ts";
import { h, setText } from "../ui/dom.ts";
import { formatClock, plural } from "./format.ts";

/** One logged store event and when this page saw it. */
export interface LoggedEvent {
  at: number;
  event: StoreEvent;
}

/** How an event reads in the log: a kind label, the peer it concerns, and a detail. */
export interface EventLine {
  kind: string;
  label: string;
  owner: string;
  detail: string;
}

const LABELS: Record<string, string> = {
  stored: "Stored",
  bounced: "Bounced",
  dropped: "Dropped",
  popped: "Drained",
  requeued: "Re-queued",
  failed: "Failed",
  revived: "Retried",
  discarded: "Discarded",
  expired: "Expired",
  removed: "Removed",
  quarantined: "Quarantined",
};

/**
 * Describes a store event as plain text. Read by field rather than by exact
 * shape, so events that gain fields (or new event types) still show.
 */
export function describeEvent(event: StoreEvent): EventLine {
  const e = event as { type: string; owner?: unknown; ids?: unknown; id?: unknown; count?: unknown; reason?: unknown };
  const kind = Object.hasOwn(LABELS, e.type) ? e.type : "other";
  const owner = typeof e.owner === "string" ? e.owner : e.owner === null ? "all queues" : "";
  const n = Array.isArray(e.ids) ? e.ids.length : typeof e.count === "number" ? e.count : typeof e.id === "string" ? 1 : null;
  const parts: string[] = [];
  if (typeof e.reason === "string") parts.push(e.reason);
  if (n !== null && (n !== 1 || typeof e.reason !== "string")) parts.push(plural(n, "message"));
  return { kind, label: Object.hasOwn(LABELS, e.type) ? LABELS[e.type]! : String(e.type), owner, detail: parts.join(" · ") };
}

/**
 * The last `capacity` events in a ring buffer: O(1) per event, so logging
 * stays cheap however fast events come. `version` changes on every push.
 */
export class EventRing {
  private readonly items: LoggedEvent[] = [];
  private next = 0;
  /** Bumped on every push and clear, for views to know whether to redraw. */
  version = 0;

  constructor(readonly capacity = 100) {}

  push(event: StoreEvent, at = Date.now()): void {
    const item = { at, event };
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.version++;
  }

  clear(): void {
    this.items.length = 0;
    this.next = 0;
    this.version++;
  }

  /** The events held, newest first. */
  newestFirst(): LoggedEvent[] {
    const n = this.items.length;
    const out: LoggedEvent[] = [];
    for (let i = 1; i <= n; i++) out.push(this.items[(this.next - i + n) % n]!);
    return out;
  }
}

/** The event log panel: the ring's events, newest first, redrawn only when it changed. */
export class EventLogView {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly count: HTMLSpanElement;
  private drawn = -1;

  constructor(private readonly ring: EventRing) {
    this.list = h("ol", { class: "log", attrs: { "aria-label": "Recent store events, newest first" } });
    this.empty = h("p", { class: "empty" }, "No events yet. Events appear here as they happen.");
    this.count = h("span", { class: "muted" });
    this.element = h(
      "section",
      { class: "panel", attrs: { "aria-labelledby": "od-log-title" } },
      h("h3", { attrs: { id: "od-log-title" } }, "Event log ", this.count),
      this.empty,
      this.list,
    );
  }

  /** Redraws if events arrived since the last draw. */
  render(): void {
    if (this.drawn === this.ring.version) return;
    this.drawn = this.ring.version;
    const items = this.ring.newestFirst();
    setText(this.count, items.length ? `last ${items.length}` : "");
    this.empty.hidden = items.length > 0;
    this.list.replaceChildren(
      ...items.map(({ at, event }) => {
        const d = describeEvent(event);
        return h(
          "li",
          { class: `ev ev-${d.kind}` },
          h("time", { class: "ev-time", attrs: { datetime: new Date(at).toISOString() } }, formatClock(at)),
          h("span", { class: "ev-kind" }, d.label),
          h("span", { class: "ev-owner" }, d.owner),
          h("span", { class: "ev-detail" }, d.detail),
        );
      }),
    );
  }
}
