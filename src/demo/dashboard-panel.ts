// The <offline-dashboard> beside the chat, collapsible, wired to the store;
// its "Drain now" requests go to the messenger's drain engine.
import type { OfflineStoreApi } from "../index.ts";
import { defineOfflineDashboard, handleDrainRequests, type DrainTarget } from "../dashboard/index.ts";
import { h } from "./dom.ts";

const KEY = "offline-edge-demo:dashboard";

export class DashboardPanel {
  readonly element: HTMLElement;
  /** The header button that shows and hides the panel. */
  readonly toggle: HTMLButtonElement;

  constructor(store: OfflineStoreApi, engine: DrainTarget) {
    defineOfflineDashboard();
    const dashboard = document.createElement("offline-dashboard");
    dashboard.store = store;
    this.element = h("aside", { class: "dash-panel", attrs: { id: "dashboard-panel", "aria-label": "Offline storage dashboard" } }, dashboard);
    // "Drain <peer> now" → the messenger's drain engine (the helper claims the event with preventDefault).
    handleDrainRequests(engine, this.element);
    this.toggle = h("button", { class: "btn btn-quiet", attrs: { type: "button", "aria-controls": "dashboard-panel" } }, "Dashboard");
    this.toggle.addEventListener("click", () => this.setOpen(this.element.hidden));
    let open = true;
    try {
      open = localStorage.getItem(KEY) !== "closed";
    } catch {
      // default: open
    }
    this.setOpen(open, false);
  }

  setOpen(open: boolean, remember = true): void {
    // Hidden, the dashboard pauses its refreshes (it only refreshes while in view).
    this.element.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("dash-open", open);
    if (!remember) return;
    try {
      localStorage.setItem(KEY, open ? "open" : "closed");
    } catch {
      // not remembered, still toggled
    }
  }
}
