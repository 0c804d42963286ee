import type { Element } from "@xmpp/xml";
import { DrainEngine, type DrainEvent, type DrainOptions } from "./drain/engine.ts";
import type { DeliveryStatus } from "./send/status-book.ts";
import type { GroupMembers } from "../relay/mesh/groupchat.ts";
import { Inbox, type InboxOptions, type InboxStats } from "./receive/inbox.ts";
import { Outbox } from "./send/outbox.ts";
import type { Relay } from "../relay/relay.ts";
import type { OfflineStoreApi } from "../core/store-api.ts";

export interface MessengerOptions {
  store: OfflineStoreApi;
  relay: Relay;
  /** Mesh groups and their members, for groupchat fan-out. */
  groups?: GroupMembers;
  /** Drain tuning (batch size, retry). */
  drain?: Omit<DrainOptions, "store" | "relay">;
  /** Receiving side: where handed-over ids are kept, and whose set it is. */
  inbox?: Omit<InboxOptions, "relay">;
}

/**
 * One user's chat over one relay, with offline storage: the outbox sends or
 * queues, the drain engine empties a peer's queue when its presence
 * appears, and the inbox hands each incoming message to the app once.
 * What an app wires once at login.
 */
export class Messenger {
  private readonly engine: DrainEngine;
  private readonly outbox: Outbox;
  private readonly receiver: Inbox;

  private constructor(private readonly relay: Relay, options: MessengerOptions) {
    this.engine = new DrainEngine({ ...options.drain, store: options.store, relay });
    this.outbox = new Outbox({ store: options.store, relay, drain: this.engine, groups: options.groups });
    this.receiver = new Inbox({ ...options.inbox, relay });
  }

  /** Draining on demand (the dashboard's "Drain now") and whether a peer's queue is draining now. */
  get drain(): Pick<DrainEngine, "drain" | "isDraining"> {
    return { drain: (peer) => this.engine.drain(peer), isDraining: (peer) => this.engine.isDraining(peer) };
  }

  /** What the receiving side counted: messages handed to the app, repeats dropped. */
  get inbox(): { readonly stats: Readonly<InboxStats> } {
    return { stats: this.receiver.stats };
  }

  /** Wires the parts and starts draining for peers already available. */
  static async start(options: MessengerOptions): Promise<Messenger> {
    const m = new Messenger(options.relay, options);
    await m.engine.start();
    return m;
  }

  /** Sends (or queues) one message; resolves with its first state. */
  send(stanza: Element | string): Promise<DeliveryStatus> {
    return this.outbox.send(stanza);
  }

  /** Each incoming message, once. */
  onMessage(listener: (stanza: Element) => void): () => void {
    return this.receiver.subscribe(listener);
  }

  /** Every state change of every sent message. */
  onStatus(listener: (status: DeliveryStatus) => void): () => void {
    return this.outbox.subscribe(listener);
  }

  /** Drain progress (delivered ids, pass reports). */
  onDrain(listener: (event: DrainEvent) => void): () => void {
    return this.engine.subscribe(listener);
  }

  /** Stops draining and listening, then closes the relay. The store stays open. */
  async close(): Promise<void> {
    await this.engine.stop();
    this.outbox.close();
    this.receiver.close();
    await this.relay.close();
  }
}
