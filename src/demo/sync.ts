// Keeps what the history says about sent messages in step with the
// messenger, and tracks queue depths. Listening only: `messenger.onStatus`
// tells every state of every message (also those delivered by another tab,
// or queued before a reload).
import { randomId, type OfflineStoreApi } from "../index.ts";
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
    // A `queued` after `delivered` or `failed` (a late XMPP bounce, a retried dead letter) may go back.
    session.messenger.onStatus((s) =>
      this.history.setState(s.id, s.to, s.state, errorText(s), s.state === "queued"),
    );
    this.store.subscribe(() => this.schedule());
    void this.refresh();
  }

  /** Sends (or queues) a chat message; its state shows at once and follows every change. */
  async send(peer: string, body: string): Promise<void> {
    const messenger = this.session?.messenger;
    if (!messenger) return;
    const id = randomId();
    this.history.addOutgoing(peer, id, body);
    try {
      const s = await messenger.send(chatMessage(peer, body, id));
      this.history.setState(id, peer, s.state, errorText(s));
    } catch (e) {
      this.history.setState(id, peer, "bounced", message(e));
    }
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
}

function errorText(s: { state: string; error?: string; reason?: string; stanzaError?: { text?: string; condition: string } }): string | undefined {
  if (s.state === "failed") return s.stanzaError?.text ?? s.stanzaError?.condition.replace(/-/g, " ") ?? s.error ?? s.reason;
  return s.state === "bounced" ? bounceText(s.error, s.reason) : undefined;
}
