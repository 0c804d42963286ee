import { xml, type Element } from "../../core/xml.ts";
import { NS } from "../../core/namespaces.ts";
import type { OfflineStoreApi } from "../../core/store-api.ts";
import type { StoreEvent } from "../../core/events.ts";
import type { StanzaErrorData } from "../../core/dead-letter.ts";
import { InvalidRequestError, OfflineEdgeError } from "../../core/errors.ts";
import { bareJid } from "../../core/jid.ts";
import type { WriteResult } from "../../core/offline-store.ts";
import { ensureOriginId } from "../../core/prepare.ts";
import { cloneElement, readMessage } from "../../core/stanza.ts";
import { DeliveryBook, type DeliveryStatus } from "./status-book.ts";
import type { DrainEngine } from "../drain/engine.ts";
import { fanOut, type GroupMembers } from "../../relay/mesh/groupchat.ts";
import type { Relay, SendOutcome } from "../../relay/relay.ts";

/** What an outbox sends through, and where it queues. */
export interface OutboxOptions {
  store: OfflineStoreApi;
  relay: Relay;
  /** The drain engine over the same store and relay: queued messages go out through it. */
  drain: DrainEngine;
  /** Mesh groups and their members, for {@link Outbox.sendToGroup}. */
  groups?: GroupMembers;
}

/** One peer's order of dispatch (decide, post or queue) and of settling (outcome, store write). */
interface Lane {
  dispatched: Promise<unknown>;
  settled: Promise<unknown>;
  /** Messages on their way to the store (decided "queued", or bounced copies) whose write has not finished. */
  queuing: number;
  /** Messages not settled yet; the lane is dropped when none are left. */
  open: number;
}

/** How a message left the outbox: posted to the relay, or to be written to the store. */
type Dispatch = { kind: "sent"; outcome: Promise<SendOutcome>; status: DeliveryStatus } | { kind: "queue" };

/**
 * The sending side an app uses. A message goes straight to the relay only
 * when the peer is available, has nothing queued and is not being drained;
 * otherwise it is queued in the offline store behind what is there (so the
 * peer sees one order) and a drain is asked for. A message sent straight is
 * kept until its fate is known: if the relay bounces it (with or without
 * the payload) or cannot confirm it, the kept copy is queued. The app gets
 * each message's state and can watch it change (`queued` → `delivered`
 * when a drain delivers it).
 */
export class Outbox {
  private readonly store: OfflineStoreApi;
  private readonly relay: Relay;
  private readonly drain: DrainEngine;
  private readonly groups: GroupMembers;
  private readonly book = new DeliveryBook();
  private readonly lanes = new Map<string, Lane>();
  private readonly unsubscribe: Array<() => void>;

  constructor(options: OutboxOptions) {
    this.store = options.store;
    this.relay = options.relay;
    this.drain = options.drain;
    this.groups = options.groups ?? (() => undefined);
    this.unsubscribe = [
      this.drain.subscribe((e) => {
        if (e.type === "delivered") this.book.delivered(e.ids, e.peer);
        else if (e.type === "failed") this.failed(e.id, e.peer, e.error);
      }),
      // What every tab's drain (and the worker) did, as the store names the ids.
      this.store.subscribe((e) => this.onStoreEvent(e)),
      this.relay.onLateBounce?.((late) => void this.requeue(late.stanza, late.peer)) ?? (() => undefined),
    ];
  }

  /**
   * Sends one message to one peer; resolves with its first state: `sent`
   * (on the relay), `queued`, or `bounced` / `dropped` by the store (with
   * its error reply). Rejects with a typed error for a bad stanza or `to`,
   * and for a group address (use {@link sendToGroup}).
   */
  async send(stanza: Element | string): Promise<DeliveryStatus> {
    const el = this.outgoing(stanza);
    if (this.groups(bareJid(el.attrs.to))) throw new InvalidRequestError("Send to a group with sendToGroup.");
    return this.deliver(el);
  }

  /**
   * A groupchat message to a mesh group: one copy per member but us, each
   * sent or queued like {@link send} (the store keeps them only with its
   * `storeGroupchatMessages`, else they are `dropped`). One state per member.
   */
  async sendToGroup(stanza: Element | string): Promise<DeliveryStatus[]> {
    const el = this.outgoing(stanza);
    const members = this.groups(bareJid(el.attrs.to));
    if (!members) throw new InvalidRequestError(`${el.attrs.to} is not a known group.`);
    el.attrs.type = "groupchat";
    return Promise.all(fanOut(el, members, this.relay.self).map((copy) => this.deliver(copy)));
  }

  /** The current state of a message (for one recipient, or its first), while it can still change. */
  status(id: string, to?: string): DeliveryStatus | undefined {
    return this.book.get(id, to && bareJid(to));
  }

  /** Calls the listener on each state change of one message id; returns the unsubscribe function. */
  watch(id: string, listener: (status: DeliveryStatus) => void): () => void {
    return this.book.watch(id, listener);
  }

  /** Calls the listener on every state change; returns the unsubscribe function. */
  subscribe(listener: (status: DeliveryStatus) => void): () => void {
    return this.book.subscribe(listener);
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }

  private onStoreEvent(e: StoreEvent): void {
    if (e.type === "popped") this.book.delivered(e.ids, e.owner);
    else if (e.type === "failed") for (const id of e.ids) this.failed(id, e.owner, e.error);
    else if (e.type === "revived") for (const id of e.ids) this.tell({ id, to: e.owner, state: "queued" });
    else if (e.type === "discarded") for (const id of e.ids) this.tell({ id, to: e.owner, state: "dropped", reason: "discarded" });
    // A write that timed out (`unknown`) did commit after all.
    else if (e.type === "stored" && this.book.stored(e.ids, e.owner) > 0 && this.relay.isAvailable(e.owner)) void this.drain.drain(e.owner);
  }

  private failed(id: string, to: string, error: StanzaErrorData): void {
    this.tell({ id, to, state: "failed", reason: error.condition, stanzaError: error });
  }

  /**
   * Our own copy of the app's stanza, checked, with a sender, an origin-id,
   * and a XEP-0184 receipt request: on XMPP the receipt, sent once the
   * peer's app has the message, is the delivery proof a drain waits for.
   */
  private outgoing(stanza: Element | string): Element {
    const el = cloneElement(readMessage(stanza));
    bareJid(el.attrs.to);
    el.attrs.from ??= this.relay.self;
    ensureOriginId(el);
    if (el.attrs.type !== "groupchat" && !el.getChild("request", NS.receipts)) el.append(xml("request", { xmlns: NS.receipts }));
    return el;
  }

  private lane(peer: string): Lane {
    let lane = this.lanes.get(peer);
    if (!lane) this.lanes.set(peer, (lane = { dispatched: Promise.resolve(), settled: Promise.resolve(), queuing: 0, open: 0 }));
    return lane;
  }

  /**
   * Dispatch and settle each run in send order per peer: a message queued
   * after one still in flight is written after that one's fate (and kept
   * copy) is settled, so the queue keeps the order they were sent in.
   */
  private deliver(el: Element): Promise<DeliveryStatus> {
    const peer = bareJid(el.attrs.to);
    const id = ensureOriginId(el);
    const lane = this.lane(peer);
    lane.open++;
    const dispatch = lane.dispatched.then(() => this.dispatch(el, id, peer, lane));
    lane.dispatched = dispatch.catch(() => undefined);
    const settle = Promise.all([dispatch, lane.settled])
      .then(([d]) => this.settle(d, el, id, peer, lane))
      .finally(() => --lane.open === 0 && this.lanes.get(peer) === lane && this.lanes.delete(peer));
    lane.settled = settle.catch(() => undefined);
    return dispatch.then((d) => (d.kind === "sent" ? d.status : settle));
  }

  private async dispatch(el: Element, id: string, peer: string, lane: Lane): Promise<Dispatch> {
    if (lane.queuing > 0 || !this.relay.isAvailable(peer) || this.drain.isDraining(peer) || (await this.queued(peer))) {
      lane.queuing++;
      return { kind: "queue" };
    }
    // The relay may strip or keep what it is given: it gets a copy, we keep ours until its fate is known.
    const outcome = this.relay.send(cloneElement(el)).catch((e: unknown): SendOutcome => ({ status: "unknown", reason: String(e) }));
    return { kind: "sent", outcome, status: this.tell({ id, to: peer, state: "sent" }) };
  }

  private async queued(peer: string): Promise<boolean> {
    try {
      return (await this.store.count(peer)) > 0;
    } catch {
      return false; // a failing store cannot hold a queue to wait behind
    }
  }

  private async settle(d: Dispatch, el: Element, id: string, peer: string, lane: Lane): Promise<DeliveryStatus> {
    if (d.kind === "sent") {
      const outcome = await d.outcome;
      if (outcome.status === "delivered") return this.tell({ id, to: peer, state: "delivered" });
      // Refused for good: queueing it would only block the queue. It is a dead letter, as a drained one would be.
      if (outcome.status === "bounced" && outcome.permanent) {
        const error = { type: outcome.type ?? "cancel", condition: outcome.condition, ...(outcome.text !== undefined && { text: outcome.text }) };
        // Listed before the app hears `failed`; if the store cannot keep it, the app still has it, with the error.
        await this.store.deadLetter(el.toString(), error).catch(() => false);
        return this.tell({ id, to: peer, state: "failed", reason: outcome.condition, stanzaError: error });
      }
      lane.queuing++; // the kept copy is on its way to the queue: what comes next goes behind it
    }
    const status = await this.write(el, id, peer);
    lane.queuing--;
    // As told: a timed-out write the store already reported stored is `queued`, and drains.
    const told = this.tell(status);
    if (told.state === "queued" && this.relay.isAvailable(peer)) void this.drain.drain(peer);
    return told;
  }

  /**
   * A message the relay said was delivered came back: queue its copy again.
   * A drained copy still carries its `<delay/>` stamp, so it goes back in its place.
   */
  private async requeue(stanza: Element, peer: string): Promise<void> {
    const el = cloneElement(stanza);
    const id = ensureOriginId(el);
    this.book.reopen(id, peer);
    const told = this.tell(await this.write(el, id, peer));
    if (told.state === "queued" && this.relay.isAvailable(peer)) void this.drain.drain(peer);
  }

  /**
   * Queues the kept copy; the store's answer becomes the message's state. A
   * store failure is not `bounced` (nobody refused it): a timeout is
   * `unknown` (it may have been stored: a later `stored` event says so),
   * any other failure is `failed` with the error's code (nothing holds it).
   */
  private async write(el: Element, id: string, peer: string): Promise<DeliveryStatus> {
    let result: WriteResult | undefined;
    try {
      [result] = await this.store.write([el.toString()]);
    } catch (e) {
      const reason = e instanceof OfflineEdgeError ? e.code : "storage-failed";
      const error = e instanceof Error ? e.message : String(e);
      return { id, to: peer, state: reason === "timeout" ? "unknown" : "failed", reason, error };
    }
    if (!result || result.status === "stored") return { id, to: peer, state: "queued" };
    if (result.status === "bounced") return { id, to: peer, state: "bounced", reason: result.reason, error: result.error };
    return { id, to: peer, state: "dropped", reason: result.reason };
  }

  private tell(status: DeliveryStatus): DeliveryStatus {
    return this.book.set(status);
  }
}
