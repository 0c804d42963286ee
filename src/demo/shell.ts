// The page frame: the header (who you are, store mode and relay, actions)
// and the body the chat or an error goes into.
import { avatar, h, setText, type Child } from "./dom.ts";

export class Shell {
  readonly element: HTMLElement;
  readonly main: HTMLElement;
  private readonly status: HTMLParagraphElement;
  private readonly actions: HTMLDivElement;

  constructor(self: string, onSignOut: () => void) {
    this.status = h("p", { class: "status-line", attrs: { "aria-live": "polite" } }, "Connecting…");
    const signOut = h("button", { class: "btn btn-quiet", attrs: { type: "button" } }, "Switch user");
    signOut.addEventListener("click", onSignOut);
    this.actions = h("div", { class: "header-actions" }, signOut);
    this.main = h("main", { class: "layout" });
    this.element = h(
      "div",
      { class: "app" },
      h(
        "header",
        { class: "app-header" },
        h("span", { class: "brand", attrs: { title: "offline-edge: XEP-0160 offline messages in the browser" } }, h("span", { class: "brand-mark", attrs: { "aria-hidden": "true" } }), "offline-edge"),
        avatar(self),
        h("div", { class: "whoami" }, h("h1", {}, h("span", { class: "muted" }, "Signed in as "), self), this.status),
        this.actions,
      ),
      this.main,
    );
  }

  /** Puts a button before "Switch user". */
  addAction(button: HTMLButtonElement): void {
    this.actions.prepend(button);
  }

  setStatus(parts: string[]): void {
    setText(this.status, parts.filter(Boolean).join(" · "));
  }

  /** Replaces the body with an error card (role=alert) and ways out. */
  showError(title: string, detail: string, hints: Child[][], actions: HTMLElement[]): void {
    this.main.className = "layout layout-error";
    this.main.replaceChildren(
      h(
        "section",
        { class: "card error-card", attrs: { role: "alert", "aria-labelledby": "error-title" } },
        h("h2", { attrs: { id: "error-title" } }, title),
        h("p", { class: "error-detail" }, detail),
        hints.length ? h("ul", { class: "hints" }, ...hints.map((parts) => h("li", {}, ...parts))) : null,
        h("div", { class: "card-actions" }, ...actions),
      ),
    );
  }
}
