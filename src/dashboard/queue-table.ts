import type { ListedMessage } from "../core/offline-store.ts";
import { button, h, setText, srOnly } from "../ui/dom.ts";
import { formatAge, formatClock, formatDepth } from "./format.ts";
import { previewOf } from "./preview.ts";

/** One peer's queue as the table shows it. */
export interface QueueRow {
  owner: string;
  count: number;
  /** The per-user limit; null is infinity. */
  limit: number | null;
  /** `ts` of the oldest message, or null when the queue is empty. */
  oldest: number | null;
}

/** What the table asks of its owner (the element). */
export interface QueueTableActions {
  drain(peer: string): void;
  /** Clears a queue; called only after the confirmation step. */
  clear(peer: string): Promise<void>;
  /** The first messages of a queue, for the preview. */
  list(peer: string): Promise<ListedMessage[]>;
}

/** How many messages a preview lists. */
export const PREVIEW_LIMIT = 20;

interface RowView {
  row: QueueRow;
  tr: HTMLTableRowElement;
  depth: HTMLSpanElement;
  fill: HTMLSpanElement;
  age: HTMLTableCellElement;
  toggle: HTMLButtonElement;
  drain: HTMLButtonElement;
  clear: HTMLButtonElement;
  confirm: HTMLButtonElement;
  cancel: HTMLButtonElement;
  normal: HTMLSpanElement;
  confirming: HTMLSpanElement;
  previewTr: HTMLTableRowElement;
  previewList: HTMLOListElement;
  /** count/oldest of the queue when the preview was loaded. */
  shownKey: string;
  /** Bumped per preview load, so a late answer never overwrites a newer one. */
  previewSeq: number;
}

const previewKey = (r: QueueRow) => `${r.count}:${r.oldest}`;

/**
 * The per-peer queue table: depth against limit, age of the oldest message,
 * and the actions. Rows are keyed by peer and updated in place, so focus,
 * an open preview or a pending "Confirm clear" survive every refresh.
 */
export class QueueTable {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly emptyRow: HTMLTableRowElement;
  private readonly rows = new Map<string, RowView>();

  constructor(private readonly actions: QueueTableActions) {
    this.body = h("tbody");
    this.emptyRow = h("tr", { class: "empty-row" }, h("td", { attrs: { colspan: "4" } }, "No peer has queued messages."));
    this.body.append(this.emptyRow);
    this.element = h(
      "section",
      { class: "panel queues", attrs: { "aria-labelledby": "od-queues-title" } },
      h("h3", { attrs: { id: "od-queues-title" } }, "Queues"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "grid queue-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { attrs: { scope: "col" } }, "Peer"),
              h("th", { class: "num", attrs: { scope: "col" } }, "Depth / limit"),
              h("th", { class: "num", attrs: { scope: "col" } }, "Oldest"),
              h("th", { class: "actions", attrs: { scope: "col" } }, srOnly("Actions")),
            ),
          ),
          this.body,
        ),
      ),
    );
  }

  /** Shows these queues (any order; the table sorts by peer). `now` is for ages. */
  update(queues: QueueRow[], now: number): void {
    for (const q of queues) {
      const view = this.rows.get(q.owner) ?? this.insert(q);
      this.fill(view, q, now);
    }
    this.emptyRow.hidden = this.rows.size > 0;
  }

  /** Forgets every row (the store changed). */
  reset(): void {
    for (const v of this.rows.values()) {
      v.tr.remove();
      v.previewTr.remove();
    }
    this.rows.clear();
    this.emptyRow.hidden = false;
  }

  private insert(q: QueueRow): RowView {
    const peer = q.owner;
    const depth = h("span", { class: "depth-text" });
    const fill = h("span", { class: "meter-fill" });
    const age = h("td", { class: "num age" });
    const chevron = h("span", { class: "chevron", attrs: { "aria-hidden": "true" } });
    const toggle = button([chevron, srOnly(`Show messages for ${peer}`)], () => this.togglePreview(view), "icon-btn");
    const drain = button(["Drain ", srOnly(`${peer} `), "now"], () => this.actions.drain(peer));
    const clear = button(["Clear", srOnly(` ${peer}`)], () => this.setConfirming(view, true), "btn btn-quiet");
    const confirm = button(["Confirm clear", srOnly(` ${peer}`)], () => void this.confirmClear(view), "btn btn-danger");
    const cancel = button(["Cancel", srOnly(` clearing ${peer}`)], () => this.setConfirming(view, false), "btn btn-quiet");
    const normal = h("span", { class: "row-actions" }, drain, clear);
    const confirming = h(
      "span",
      { class: "row-actions confirming" },
      h("span", { class: "confirm-q" }, "Delete every message?"),
      confirm,
      cancel,
    );
    confirming.hidden = true;
    confirming.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.setConfirming(view, false);
    });
    const previewList = h("ol", { class: "previews" });
    const previewId = `od-preview-${this.rows.size}-${Math.random().toString(36).slice(2, 8)}`;
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", previewId);
    const previewTr = h("tr", { class: "preview-row", attrs: { id: previewId } }, h("td", { attrs: { colspan: "4" } }, previewList));
    previewTr.hidden = true;
    const tr = h(
      "tr",
      {},
      h("th", { class: "peer", attrs: { scope: "row" } }, toggle, h("span", { class: "jid" }, peer)),
      h("td", { class: "num depth" }, depth, h("span", { class: "meter", attrs: { "aria-hidden": "true" } }, fill)),
      age,
      h("td", { class: "actions" }, normal, confirming),
    );
    const view: RowView = { row: q, tr, depth, fill, age, toggle, drain, clear, confirm, cancel, normal, confirming, previewTr, previewList, shownKey: "", previewSeq: 0 };
    // Insert in peer order without moving existing rows (moving a row would drop its focus).
    const after = [...this.rows.values()].find((v) => v.row.owner.localeCompare(peer) > 0);
    this.body.insertBefore(tr, after ? after.tr : this.emptyRow);
    tr.after(previewTr);
    this.rows.set(peer, view);
    return view;
  }

  private fill(v: RowView, q: QueueRow, now: number): void {
    v.row = q;
    setText(v.depth, formatDepth(q.count, q.limit));
    const ratio = q.limit ? Math.min(1, q.count / q.limit) : 0;
    v.fill.style.width = `${(ratio * 100).toFixed(1)}%`;
    v.tr.dataset.level = q.limit !== null && q.count >= q.limit ? "full" : ratio >= 0.8 ? "high" : q.count === 0 ? "empty" : "ok";
    setText(v.age, q.oldest === null ? "—" : formatAge(now - q.oldest));
    if (q.oldest !== null) v.age.title = new Date(q.oldest).toLocaleString();
    else v.age.removeAttribute("title");
    v.drain.disabled = q.count === 0;
    v.clear.disabled = q.count === 0;
    if (!v.previewTr.hidden && v.shownKey !== previewKey(q)) void this.loadPreview(v);
  }

  private setConfirming(v: RowView, on: boolean): void {
    v.normal.hidden = on;
    v.confirming.hidden = !on;
    (on ? v.confirm : v.clear).focus();
  }

  private async confirmClear(v: RowView): Promise<void> {
    v.confirm.disabled = v.cancel.disabled = true;
    try {
      await this.actions.clear(v.row.owner);
    } finally {
      v.confirm.disabled = v.cancel.disabled = false;
      this.setConfirming(v, false);
    }
  }

  private togglePreview(v: RowView): void {
    const open = v.previewTr.hidden;
    v.previewTr.hidden = !open;
    v.toggle.setAttribute("aria-expanded", String(open));
    setText(v.toggle.querySelector(".sr-only")!, `${open ? "Hide" : "Show"} messages for ${v.row.owner}`);
    if (open) void this.loadPreview(v);
  }

  private async loadPreview(v: RowView): Promise<void> {
    const key = previewKey(v.row);
    v.shownKey = key;
    const seq = ++v.previewSeq;
    let items: ListedMessage[];
    try {
      items = await this.actions.list(v.row.owner);
    } catch (e) {
      if (seq !== v.previewSeq) return;
      v.previewList.replaceChildren(h("li", { class: "empty" }, `Could not list messages: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (seq !== v.previewSeq) return;
    const now = Date.now();
    v.previewList.replaceChildren(
      ...(items.length
        ? items.map((m) => {
            const p = previewOf(m);
            const expired = p.expireAt !== null && p.expireAt <= now;
            return h(
              "li",
              { class: expired ? "msg expired" : "msg" },
              h("time", { attrs: { datetime: new Date(p.ts).toISOString() } }, formatClock(p.ts)),
              h("span", { class: "msg-from" }, p.from || "(no sender)"),
              h("span", { class: p.described ? "msg-body described" : "msg-body" }, p.text),
              expired ? h("span", { class: "tag" }, "expired") : null,
            );
          })
        : [h("li", { class: "empty" }, "The queue is empty.")]),
    );
    if (items.length >= PREVIEW_LIMIT && v.row.count > items.length) {
      v.previewList.append(h("li", { class: "empty" }, `First ${items.length} of ${v.row.count} messages.`));
    }
  }
}
