import { h } from "../ui/dom.ts";
import { formatCount } from "./format.ts";

/**
 * A small "reason → messages" table (bounces by reason, drops by reason),
 * largest first. Redrawn only when the figures change.
 */
export class BreakdownView {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private shown = "";

  constructor(id: string, title: string, private readonly emptyText: string) {
    this.body = h("tbody");
    this.element = h(
      "section",
      { class: "panel", attrs: { "aria-labelledby": id } },
      h("h3", { attrs: { id } }, title),
      h(
        "table",
        { class: "grid compact" },
        h("thead", {}, h("tr", {}, h("th", { attrs: { scope: "col" } }, "Reason"), h("th", { class: "num", attrs: { scope: "col" } }, "Messages"))),
        this.body,
      ),
    );
    this.update({});
  }

  update(byReason: Record<string, number>): void {
    const rows = Object.entries(byReason)
      .filter(([, n]) => n > 0)
      .sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb));
    const key = JSON.stringify(rows);
    if (key === this.shown) return;
    this.shown = key;
    this.body.replaceChildren(
      ...(rows.length
        ? rows.map(([reason, n]) => h("tr", {}, h("td", {}, h("code", {}, reason)), h("td", { class: "num" }, formatCount(n))))
        : [h("tr", { class: "empty-row" }, h("td", { attrs: { colspan: "2" } }, this.emptyText))]),
    );
  }
}
