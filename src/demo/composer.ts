// The send box: a labelled textarea and a Send button. Enter sends,
// Shift+Enter adds a line (and Enter while an IME is composing does nothing).
import { h } from "./dom.ts";

export class Composer {
  readonly element: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly button: HTMLButtonElement;
  private enabled = false;

  constructor(private readonly onSend: (body: string) => void) {
    this.input = h("textarea", { class: "composer-input", attrs: { id: "composer-input", rows: "1", placeholder: "Write a message…", autocomplete: "off" } });
    this.button = h("button", { class: "btn btn-primary", attrs: { type: "submit" } }, "Send");
    this.element = h(
      "form",
      { class: "composer" },
      h("label", { class: "sr-only", attrs: { for: "composer-input" } }, "Message"),
      this.input,
      this.button,
    );
    this.element.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.sync());
    this.sync();
  }

  /** Enables the box for a contact (placeholder names them), or disables it. */
  setPeer(peer: string | null): void {
    this.enabled = peer !== null;
    this.input.disabled = !this.enabled;
    this.input.placeholder = peer ? `Message ${peer}` : "Choose a contact";
    this.sync();
  }

  focus(): void {
    this.input.focus();
  }

  private submit(): void {
    const body = this.input.value;
    if (!this.enabled || body.trim() === "") return;
    this.input.value = "";
    this.sync();
    this.onSend(body);
    this.input.focus();
  }

  private sync(): void {
    this.button.disabled = !this.enabled || this.input.value.trim() === "";
    // Grow with the text, up to the CSS max-height.
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight}px`;
  }
}
