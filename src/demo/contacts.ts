// The contacts list: one button per contact with presence, queued count,
// unread count and the last message. Rows are updated in place (focus stays).
import { avatar, h, setText } from "./dom.ts";

export interface ContactInfo {
  jid: string;
  online: boolean;
  /** Messages waiting for this contact in the offline store. */
  queued: number;
  /** Received while another conversation was open. */
  unread: number;
  /** Last message, for the preview line. */
  preview: string;
}

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  avatar: HTMLSpanElement;
  presence: HTMLSpanElement;
  preview: HTMLSpanElement;
  queued: HTMLSpanElement;
  unread: HTMLSpanElement;
}

export class ContactList {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly note: HTMLParagraphElement;
  private readonly rows = new Map<string, Row>();

  constructor(private readonly onSelect: (jid: string) => void) {
    this.list = h("ul", { class: "contact-list" });
    this.note = h("p", { class: "contacts-note" });
    this.note.hidden = true;
    this.element = h(
      "nav",
      { class: "contacts", attrs: { "aria-labelledby": "contacts-title" } },
      h("h2", { class: "pane-title", attrs: { id: "contacts-title" } }, "Contacts"),
      this.list,
      this.note,
    );
  }

  /** A line under the list (e.g. how XMPP presence subscriptions were set up). */
  setNote(text: string): void {
    setText(this.note, text);
    this.note.hidden = text === "";
  }

  render(contacts: ContactInfo[], selected: string | null): void {
    for (const c of contacts) {
      const row = this.rows.get(c.jid) ?? this.insert(c.jid);
      this.fill(row, c, c.jid === selected);
    }
  }

  private insert(jid: string): Row {
    const presence = h("span", { class: "presence" });
    const preview = h("span", { class: "contact-preview" });
    const queued = h("span", { class: "pill pill-queued" });
    const unread = h("span", { class: "pill pill-unread" });
    const dot = h("span", { class: "presence-dot" });
    const av = avatar(jid, dot);
    const button = h(
      "button",
      { class: "contact", attrs: { type: "button" } },
      av,
      h(
        "span",
        { class: "contact-main" },
        h("span", { class: "contact-line" }, h("span", { class: "contact-name" }, jid), unread),
        h("span", { class: "contact-line contact-sub" }, presence, queued, preview),
      ),
    );
    button.addEventListener("click", () => this.onSelect(jid));
    const li = h("li", {}, button);
    this.list.append(li);
    const row = { li, button, avatar: av, presence, preview, queued, unread };
    this.rows.set(jid, row);
    return row;
  }

  private fill(r: Row, c: ContactInfo, selected: boolean): void {
    const state = c.online ? "online" : "offline";
    // Named like "bob@mesh.local online, 3 queued": what a screen reader (and a test) finds it by.
    const extra = [c.queued ? `${c.queued} queued` : "", c.unread ? `${c.unread} unread` : ""].filter(Boolean).join(", ");
    r.button.setAttribute("aria-label", `${c.jid} ${state}${extra ? `, ${extra}` : ""}`);
    if (selected) r.button.setAttribute("aria-current", "true");
    else r.button.removeAttribute("aria-current");
    r.button.dataset.presence = state;
    setText(r.presence, state);
    setText(r.preview, c.preview);
    setText(r.queued, c.queued ? `${c.queued} queued` : "");
    r.queued.hidden = c.queued === 0;
    r.queued.title = `${c.queued} message(s) waiting in the offline queue for ${c.jid}`;
    setText(r.unread, String(c.unread));
    r.unread.hidden = c.unread === 0;
  }
}
