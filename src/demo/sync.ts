// Keeps what the history says about sent messages in step with the
// messenger and the store (which every tab shares), and tracks queue depths.
import { randomId, type OfflineStoreApi, type StoreEvent } from "../index.ts";
import type { History } from "./history.ts";
import type { Session } from "./session.ts";
import { bounceText, chatMessage } from "./stanza.ts";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class DeliverySync {
  /** Messages waiting in the offline store, per recipient. */
  readonly queued = new Map<string, number>();
  private session: Session | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly history: History,
    private readonly store: OfflineStoreApi,
    /** Called when queue depths changed. */
    private readonly changed: () => void,
  ) {}

  attach(session: Session): void {
    this.session = session;
    const { messenger } = session;
    // A `queued` after `delivered` is the outbox queueing a late XMPP bounce again: it may go back.
    messenger.onStatus((s) =>
      this.history.setState(s.id, s.to, s.state, s.state === "bounced" ? bounceText(s.error, s.reason) : undefined, s.state === "queued"),
    );
    // Delivered by this tab's drain (also messages queued before a reload, which the outbox no longer tracks).
    messenger.onDrain((e) => {
      if (e.type === "delivered") for (const id of e.ids) this.history.setState(id, e.peer, "delivered");
    });
    this.store.subscribe((e) => this.onStoreEvent(e));
    void this.refresh().then(() => this.reconcile());
  }

  /** Sends (or queues) a chat message; its state shows at once and follows every change. */
  async send(peer: string, body: string): Promise<void> {
    const messenger = this.session?.messenger;
    if (!messenger) return;
    const id = randomId();
    this.history.addOutgoing(peer, id, body);
    try {
      const s = await messenger.send(chatMessage(peer, body, id));
      this.history.setState(id, peer, s.state, s.state === "bounced" ? bounceText(s.error, s.reason) : undefined);
    } catch (e) {
      this.history.setState(id, peer, "bounced", message(e));
    }
  }

  private onStoreEvent(e: StoreEvent): void {
    // Pops by any tab (or the worker) name the ids that left the queue.
    if (e.type === "popped") for (const id of e.ids) this.history.setState(id, e.owner, "delivered");
    if (e.type === "removed" || e.type === "expired") void this.refresh().then(() => this.reconcile());
    else this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 100);
  }

  private async refresh(): Promise<void> {
    try {
      const queues = await this.store.queues();
      this.queued.clear();
      for (const q of queues) this.queued.set(q.owner, q.count);
    } catch {
      return; // the dashboard shows store failures; the counts stay as they were
    }
    this.changed();
  }

  /** Sent messages not settled when the tab last closed are checked against the store. */
  private async reconcile(): Promise<void> {
    for (const peer of this.history.peers()) {
      const open = this.history.withState(peer, ["sending", "sent", "queued"]);
      if (!open.length) continue;
      let ids: Set<string>;
      try {
        ids = new Set((await this.store.list(peer)).map((m) => m.id));
      } catch {
        continue;
      }
      for (const e of open) {
        if (ids.has(e.id)) this.history.setState(e.id, peer, "queued");
        else if (e.state === "queued" && !this.session?.messenger.drain.isDraining(peer)) this.history.setState(e.id, peer, "left");
      }
    }
  }
}
