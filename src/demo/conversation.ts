// One conversation: a header with the contact's presence, then the message
// bubbles (sent ones with a live state badge, received ones marked when they
// came late from an offline queue). Bubbles are keyed by id, updated in place.
import type { Entry, EntryState } from "./history.ts";
import { avatar, h, setText } from "./dom.ts";
import { formatStamp, formatTime } from "./stanza.ts";

const BADGE: Record<EntryState, { text: string; title: (peer: string) => string }> = {
  sending: { text: "sending…", title: () => "Handing the message over" },
  sent: { text: "sent", title: (p) => `On its way to ${p}; waiting for the delivery acknowledgement` },
  queued: { text: "queued", title: (p) => `Waiting in the offline queue until ${p} comes online` },
  delivered: { text: "delivered", title: (p) => `${p} received it` },
  bounced: { text: "bounced", title: () => "Not delivered and not stored" },
  dropped: { text: "dropped", title: () => "The offline store keeps no such message" },
  failed: { text: "failed", title: () => "Refused for good by the server: set aside (see the dashboard's dead letters)" },
  unknown: { text: "unknown", title: () => "The store did not answer in time: it may be queued; this changes when it is known" },
  left: { text: "left queue", title: () => "Left the offline queue while this tab was closed: delivered by another tab's drain, or cleared" },
};

interface Bubble {
  li: HTMLLIElement;
  badge: HTMLSpanElement | null;
  error: HTMLParagraphElement | null;
}

export class ConversationView {
  readonly element: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private headAvatar: HTMLSpanElement;
  private readonly presence: HTMLSpanElement;
  private readonly hint: HTMLParagraphElement;
  private readonly scroller: HTMLDivElement;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly bubbles = new Map<string, Bubble>();
  private peer: string | null = null;

  constructor(composer: HTMLElement) {
    this.title = h("h2", { class: "conv-title", attrs: { id: "conv-title" } }, "No conversation");
    this.headAvatar = h("span");
    this.presence = h("span", { class: "conv-presence" });
    this.hint = h("p", { class: "conv-hint", attrs: { role: "status" } });
    this.list = h("ol", { class: "messages" });
    this.empty = h("p", { class: "conv-empty" });
    this.scroller = h("div", { class: "scroller", attrs: { role: "log", "aria-live": "polite", "aria-labelledby": "conv-title", tabindex: "0" } }, this.empty, this.list);
    this.element = h(
      "section",
      { class: "conversation", attrs: { "aria-labelledby": "conv-title" } },
      h("header", { class: "conv-head" }, this.headAvatar, h("div", { class: "conv-who" }, this.title, this.presence)),
      this.hint,
      this.scroller,
      composer,
    );
  }

  /** Shows another contact's conversation (or none). */
  show(peer: string | null, entries: readonly Entry[]): void {
    if (peer !== this.peer) {
      this.peer = peer;
      this.bubbles.clear();
      this.list.replaceChildren();
      const av = peer ? avatar(peer) : h("span");
      this.headAvatar.replaceWith(av);
      this.headAvatar = av;
      setText(this.title, peer ?? "No conversation");
    }
    this.update(entries);
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Presence line and the offline hint for the open contact. */
  setPresence(online: boolean, queued: number, limit: number | null): void {
    const peer = this.peer;
    setText(this.presence, online ? "online" : "offline");
    this.presence.dataset.presence = online ? "online" : "offline";
    this.hint.hidden = online || !peer;
    if (!peer) return;
    const depth = limit === null ? `${queued} queued` : `${queued} / ${limit} queued`;
    setText(this.hint, `${peer} is offline. Messages you send now wait in this browser's offline queue (${depth}) and are delivered when ${peer} comes online.`);
  }

  /** Adds new bubbles and refreshes badges of the open conversation. */
  update(entries: readonly Entry[]): void {
    const nearBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    let added = false;
    for (const e of entries) {
      let b = this.bubbles.get(e.id);
      if (!b) {
        b = this.bubble(e);
        this.bubbles.set(e.id, b);
        this.list.append(b.li);
        added = true;
      }
      this.fill(b, e);
    }
    this.empty.hidden = entries.length > 0;
    if (this.peer) setText(this.empty, `No messages with ${this.peer} yet. Say hello: if they are offline, it waits in the offline queue.`);
    if (added && (nearBottom || entries.at(-1)?.dir === "out")) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private bubble(e: Entry): Bubble {
    const time = h("time", { attrs: { datetime: new Date(e.ts).toISOString(), title: new Date(e.ts).toLocaleString() } }, formatTime(e.ts));
    const meta = h("div", { class: "meta" }, time);
    let badge: HTMLSpanElement | null = null;
    let error: HTMLParagraphElement | null = null;
    if (e.dir === "out") {
      badge = h("span", { class: "badge" });
      meta.append(badge);
      error = h("p", { class: "bubble-error" });
    } else if (e.stamp) {
      // From an offline queue: the time that matters is when it was sent (its <delay/> stamp).
      const title = `Sent ${new Date(e.stamp).toLocaleString()}, kept in the offline queue, received ${new Date(e.ts).toLocaleString()}`;
      meta.replaceChildren(h("span", { class: "late", attrs: { title } }, `delivered late · ${formatStamp(e.stamp)}`));
    }
    const li = h("li", { class: `msg ${e.dir}` }, h("div", { class: "bubble" }, h("p", { class: "body" }, e.body), meta), error);
    return { li, badge, error };
  }

  private fill(b: Bubble, e: Entry): void {
    if (!b.badge || !e.state) return;
    const badge = BADGE[e.state];
    b.li.dataset.state = e.state;
    b.badge.dataset.state = e.state;
    setText(b.badge, badge.text);
    b.badge.title = badge.title(e.peer);
    if (b.error) {
      b.error.hidden = !e.error;
      setText(b.error, e.error ?? "");
    }
  }
}
