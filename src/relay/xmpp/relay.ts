import { xml, type Element } from "@xmpp/xml";
import { withTimeout } from "../../core/timeout.ts";
import { InvalidOptionError, MalformedStanzaError, TimeoutError } from "../../core/errors.ts";
import { option } from "../../core/options.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import { bareJid, parseAddress } from "../../core/jid.ts";
import { cloneElement } from "../../core/stanza.ts";
import { Listeners } from "../../core/listeners.ts";
import { NS } from "../../core/namespaces.ts";
import type { PresenceChange, Relay, SendProgress } from "../relay.ts";
import { DeliveryTracker, type InFlight } from "./in-flight.ts";
import { randomId } from "./ids.ts";
import { PresenceTracker } from "./presence.ts";
import { NS_DISCO_INFO, ownDiscoInfo, PeerFeatures } from "./caps.ts";
import { capsCacheOption } from "./caps-cache.ts";
import { receiptFor, receivedId, owesReceipt } from "./receipts.ts";
import type { AnyListener, LateBounce, StreamManagementLike, XmppClientLike, XmppRelayOptions, XmppSendOutcome } from "./types.ts";

const { sm: NS_SM, ping: NS_PING, streams: NS_STREAMS } = NS;

/** At most this many messages are held for a listener that is not there yet. */
const MAX_EARLY = 10_000;

/** Within a burst, an `<r/>` after every this many messages (see `requestAck`). */
const ACK_EVERY = 25;

/** @internal How `createXmppRelay` hands over a client the relay owns. */
export interface OwnedClient {
  /** Priority of the initial presence the relay sends on every fresh session. */
  priority: number;
  startTimeoutMs: number;
}

/**
 * A {@link Relay} over an `@xmpp/client` 0.14 connection. See
 * `src/relay/xmpp/README.md` for what it needs from the server and the roster,
 * and for the delivery rule.
 *
 * `new XmppRelay(client)` plugs into a client the embedder already runs:
 * the relay only listens (`stanza`, `nonza`, `online`, `disconnect`,
 * `offline`, and `streamManagement`'s `ack`/`fail`/`resumed`) and writes its
 * own stanzas (messages, receipts, `<r/>`, pings, and presence only when
 * asked: `probe()`, `subscribe()`);
 * it never starts, stops or reconfigures the client, and never sends
 * presence for it. `createXmppRelay()` makes a relay that owns its client.
 */
export class XmppRelay implements Relay {
  /** The connection this relay runs on. */
  readonly client: XmppClientLike;
  private readonly owned: OwnedClient | undefined;
  private readonly receipts: boolean;
  private readonly confirmTimeoutMs: number;
  private readonly presence: PresenceTracker;
  private readonly delivery: DeliveryTracker;
  private readonly presenceEvents = new Listeners<PresenceChange>();
  private readonly messageEvents = new Listeners<Element, unknown>();
  /** Messages that came before anyone listened (bounded by MAX_EARLY). */
  private readonly early: Element[] = [];
  private readonly lateBounceEvents = new Listeners<LateBounce>();
  private readonly errorEvents = new Listeners<unknown>();
  private readonly subscriptionEvents = new Listeners<string>();
  private readonly acceptSubscriptions: (peer: string) => boolean;
  private readonly detachers: Array<() => void> = [];
  /** Outstanding iq requests (pings, disco) by id: called with the answer, or null (timeout, down). */
  private readonly pings = new Map<string, (answer: Element | null) => void>();
  /** What the peers' resources support (disco#info / caps), to ask receipts only of those that answer them. */
  private readonly features: PeerFeatures;
  private readonly discoTimeoutMs: number;
  private readonly graceMs: number;
  /** Peers with a proving ping in flight; true: ping again when it is back (more messages entered their grace window). */
  private readonly proving = new Map<string, boolean>();
  /** Messages sent without XEP-0198 in this task, confirmed by one ping after them; bursts overlap. */
  private readonly pingBatch = new MicroBatcher<InFlight>((batch) => this.pingAfter(batch), { tick: "task", serial: false });
  private ackRequest: ReturnType<typeof setTimeout> | undefined;
  /** Our messages written since the last `<r/>`. */
  private unrequested = 0;
  /** Whether the last stream features offered XEP-0198 (so an `<enable/>` is coming). */
  private smOffered = false;
  /** Waiting for the current session's `<enabled/>`/`<failed/>`. */
  private smWaiters: Array<() => void> = [];
  private selfJid: string;
  private started: boolean;
  private closed = false;

  /**
   * @param client an `@xmpp/client` instance, started or not.
   * @param owned internal: set by `createXmppRelay` only.
   */
  constructor(client: XmppClientLike, options: XmppRelayOptions = {}, owned?: OwnedClient) {
    this.client = client;
    this.owned = owned;
    this.started = !owned;
    this.receipts = options.receipts ?? true;
    const accept = options.acceptSubscriptions ?? false;
    this.acceptSubscriptions = typeof accept === "function" ? accept : () => accept;
    this.confirmTimeoutMs = option.duration("confirmTimeoutMs", options.confirmTimeoutMs, 30_000, 1);
    this.discoTimeoutMs = option.duration("discoTimeoutMs", options.discoTimeoutMs, 3000);
    this.features = new PeerFeatures(
      (to, node) => this.request(xml("iq", { type: "get", to, id: randomId() }, xml("query", { xmlns: NS_DISCO_INFO, ...(node && { node }) })), this.discoTimeoutMs),
      capsCacheOption(options.capsCache),
    );
    this.graceMs = option.duration("graceMs", options.graceMs, 250);
    this.delivery = new DeliveryTracker({
      graceMs: this.graceMs,
      confirmTimeoutMs: this.confirmTimeoutMs,
      receiptTimeoutMs: option.duration("receiptTimeoutMs", options.receiptTimeoutMs, 10_000),
      lateBounceWindowMs: option.duration("lateBounceWindowMs", options.lateBounceWindowMs, 15 * 60_000),
      lateBounceMaxEntries: option.integerIn("lateBounceMaxEntries", options.lateBounceMaxEntries, 5000, 0, Number.MAX_SAFE_INTEGER),
      onLateBounce: (b) => this.lateBounceEvents.emit(b),
      ownDomain: () => (this.selfJid ? parseAddress(this.selfJid).domain : ""),
      onGrace: (peer) => this.prove(peer),
    });
    this.selfJid = client.jid ? bareJid(client.jid.toString()) : "";
    this.presence = new PresenceTracker((c) => {
      if (!c.available) this.delivery.peerGone(c.peer);
      this.presenceEvents.emit(c);
    }, client.status === "online", () => this.selfJid);

    this.listen(client, "stanza", (stanza: Element) => this.onStanza(stanza));
    this.listen(client, "nonza", (nonza: Element) => this.onNonza(nonza));
    this.listen(client, "online", () => this.onOnline());
    this.listen(client, "disconnect", () => this.onDown(false));
    this.listen(client, "offline", () => this.onDown(true));
    const sm = client.streamManagement;
    if (sm) {
      this.listen(sm, "ack", (stanza: Element) => this.delivery.acked(stanza));
      this.listen(sm, "fail", (stanza: Element) => this.delivery.failed(stanza));
      this.listen(sm, "resumed", () => this.presence.setOnline(true));
    }
    // Our own disco#info answer (through @xmpp/client's iq callee, which otherwise refuses every query).
    client.iqCallee?.get(NS_DISCO_INFO, "query", (ctx, next) => (this.closed || ctx.element?.attrs.node ? next() : ownDiscoInfo(this.receipts)));
    // An owned client's errors are ours to report; the listener stays after
    // close() so a late error event never becomes an uncaught exception.
    if (owned) client.on("error", (err: unknown) => void (this.closed || this.errorEvents.emit(err)));
  }

  /** Our own bare JID ("" until the client knows it). */
  get self(): string {
    return this.selfJid;
  }

  /** Whether the peer has an available resource with priority >= 0 (and we are online). */
  isAvailable(peer: string): boolean {
    try {
      return this.presence.isAvailable(bareJid(peer));
    } catch {
      return false;
    }
  }

  /** Every peer that is available now. */
  availablePeers(): string[] {
    return this.presence.availablePeers();
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.presenceEvents.add(listener);
  }

  /**
   * Every `<message/>` to us that is not an error (receipts included).
   * Messages that arrive before the first listener (a server hands out its
   * own offline messages right at login) are held and given to it.
   */
  onMessage(listener: (stanza: Element) => unknown): () => void {
    const off = this.messageEvents.add(listener);
    if (this.early.length) queueMicrotask(() => this.early.splice(0).forEach((m) => this.takeMessage(m)));
    return off;
  }

  /** Bounces for messages already reported delivered on a server ack; see {@link LateBounce}. */
  onLateBounce(listener: (bounce: LateBounce) => void): () => void {
    return this.lateBounceEvents.add(listener);
  }

  /** Errors of a client this relay created (a plugged-in client's errors stay with its owner). */
  onError(listener: (error: unknown) => void): () => void {
    return this.errorEvents.add(listener);
  }

  /** How many messages are waiting for their outcome. */
  get inFlight(): number {
    return this.delivery.size;
  }

  /**
   * Sends a `<message/>` and resolves with its fate; never rejects for
   * network reasons (only for a stanza that is not a message with a valid
   * `to`). The caller's element is not modified: the relay sends a copy,
   * with an `id` added when there is none or when that id is already in
   * flight (an XEP-0359 `<origin-id/>` is kept as it is), and returns that
   * copy in the outcome. `progress.accepted` is called when the server has
   * acked a message that awaits no receipt (only the grace window is left).
   */
  async send(stanza: Element, progress?: SendProgress): Promise<XmppSendOutcome> {
    if (stanza?.name !== "message") throw new MalformedStanzaError("XmppRelay.send takes a <message/> element.");
    const peer = bareJid(stanza.attrs.to);
    const kept = cloneElement(stanza);
    let id = kept.attrs.id;
    if (!id || this.delivery.has(id)) kept.attrs.id = id = randomId();
    if (this.closed) return { status: "unknown", reason: "relay closed", id, stanza: kept };
    if (this.client.status !== "online") return { status: "unknown", reason: "not connected", id, stanza: kept };

    // Tracked before any await, so a second send with the same id gets a fresh one.
    const wire = cloneElement(kept);
    const { entry, outcome } = this.delivery.track(id, peer, kept, wire, progress?.accepted);
    await this.smSettled(this.confirmTimeoutMs);
    if (kept.getChild("request", NS.receipts) && !(await this.answersReceipts(peer))) {
      // Receipts only from peers that answer them; the others' messages rest on the server's ack.
      kept.remove("request", NS.receipts);
      wire.remove("request", NS.receipts);
    }
    if (!this.delivery.isPending(entry)) return outcome;
    if (this.client.status !== "online") {
      this.delivery.unknown(entry, "not connected");
      return outcome;
    }
    const sm = this.client.streamManagement;
    const written = this.client.send(wire);
    // Counted as it is written (the client writes at once), so an <r/> can follow it on the wire.
    if (sm?.enabled) this.requestAck(sm);
    try {
      await written;
    } catch (e) {
      this.delivery.unknown(entry, `write failed: ${e instanceof Error ? e.message : String(e)}`);
      return outcome;
    }
    if (!this.delivery.isPending(entry)) return outcome;
    // @xmpp/stream-management queues a stanza right after writing it, if
    // XEP-0198 is on (or being enabled); otherwise a ping proves it routed.
    if (!sm?.outbound_q.some((q) => q.stanza === wire)) this.confirmByPing(entry);
    return outcome;
  }

  /**
   * Whether the peer answers XEP-0184 receipts: one of its resources
   * advertises them (disco#info, cached per full JID and caps `ver`), or it
   * has answered one before. Waits at most `discoTimeoutMs` for answers.
   */
  answersReceipts(peer: string): Promise<boolean> | boolean {
    const bare = bareJid(peer);
    if (this.delivery.answersReceipts(bare)) return true;
    return this.features.supports(bare, NS.receipts, this.discoTimeoutMs);
  }

  /**
   * Resolves once the server has answered an XEP-0199 ping written after
   * everything sent so far. A server handles one session's stanzas in order
   * (RFC 6120 §10.1), so by then each of them has been routed and any
   * bounce or presence it caused has been received. Rejects on timeout or
   * disconnect.
   */
  async sync(timeoutMs = this.confirmTimeoutMs): Promise<void> {
    if (!(await this.roundTrip(timeoutMs))) throw new TimeoutError("The server did not answer a ping.");
  }

  /** Asks the server for the peers' current presence (`<presence type='probe'/>`; needs a subscription to them). */
  async probe(...peers: string[]): Promise<void> {
    for (const peer of peers) await this.client.send(xml("presence", { type: "probe", to: bareJid(peer) }));
  }

  /**
   * Sets up our half of a mutual presence subscription with `peer`:
   * pre-approves the peer's subscription to us (RFC 6121 §3.4, supported by
   * Prosody) and asks to subscribe to theirs. Once both sides have called it
   * (or the other side's user approved), each sees the other's presence.
   * Resolves when the server has processed both.
   */
  async subscribe(peer: string): Promise<void> {
    const to = bareJid(peer);
    await this.client.send(xml("presence", { type: "subscribed", to }));
    await this.client.send(xml("presence", { type: "subscribe", to }));
    await this.sync();
  }

  /**
   * Incoming subscription requests (`<presence type='subscribe'/>`), by bare
   * JID. To accept one, call {@link subscribe} with it (that approves it and
   * asks for the peer's presence in return: a mutual subscription); or set
   * `acceptSubscriptions` to have the relay do it.
   */
  onSubscriptionRequest(listener: (peer: string) => void): () => void {
    return this.subscriptionEvents.add(listener);
  }

  /**
   * Plugged-in client: detaches from it and leaves it running. Own client:
   * sends unavailable presence and stops it. Messages still in flight
   * settle `unknown`; available peers are reported unavailable first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.presence.setOnline(false);
    this.closed = true;
    this.delivery.clear();
    this.failPings();
    clearTimeout(this.ackRequest);
    for (const detach of this.detachers.splice(0)) detach();
    this.presenceEvents.clear();
    this.messageEvents.clear();
    this.lateBounceEvents.clear();
    this.subscriptionEvents.clear();
    if (this.owned) {
      const { client } = this;
      client.reconnect?.stop();
      if (client.status === "online") await client.send(xml("presence", { type: "unavailable" })).catch(() => {});
      if (client.stop) await withTimeout(client.stop(), 5000, "Stopping the XMPP client").catch(() => {});
    }
    this.errorEvents.clear();
  }

  /** @internal Starts an owned client: log in, initial presence, and wait until the server has processed it. */
  async start(): Promise<void> {
    const { client, owned } = this;
    if (!owned || this.started || !client.start) throw new InvalidOptionError("Only a relay made by createXmppRelay starts its client.");
    await withTimeout(client.start(), owned.startTimeoutMs, "Logging in");
    this.started = true;
    await this.smSettled(owned.startTimeoutMs);
    await this.announce();
    // Prosody answers the probes our initial presence triggers before this
    // ping, so contacts on the same server are known when start() resolves.
    await this.sync(owned.startTimeoutMs);
  }

  private listen(emitter: XmppClientLike | StreamManagementLike, event: string, listener: AnyListener): void {
    emitter.on(event, listener);
    this.detachers.push(() => void emitter.removeListener(event, listener));
  }

  private async announce(): Promise<void> {
    const priority = this.owned?.priority ?? 0;
    await this.client.send(xml("presence", {}, priority !== 0 ? xml("priority", {}, String(priority)) : null));
  }

  private onNonza(nonza: Element): void {
    if (nonza.is("features", NS_STREAMS)) {
      this.smOffered = nonza.getChild("sm", NS_SM) !== undefined;
    } else if ((nonza.name === "enabled" || nonza.name === "failed") && nonza.attrs.xmlns === NS_SM) {
      const waiters = this.smWaiters.splice(0);
      // A macrotask later, @xmpp/stream-management has run its own continuation (which resets its counters).
      if (waiters.length) setTimeout(() => waiters.forEach((w) => w()), 0);
    }
  }

  /**
   * Resolves once XEP-0198 negotiation of this session is over (at once
   * when it is, or was never offered). @xmpp/stream-management 0.14 zeroes
   * its inbound counter in a promise continuation after `<enabled/>`, so
   * stanzas parsed from the same read are counted and then forgotten; the
   * client later acks fewer stanzas than it already had, and Prosody kills
   * the stream. Sending nothing until then keeps replies to our own
   * stanzas out of that window.
   */
  private smSettled(timeoutMs: number): Promise<void> {
    const sm = this.client.streamManagement;
    if (!sm || sm.enabled || !this.smOffered) return Promise.resolve();
    const settled = new Promise<void>((resolve) => this.smWaiters.push(resolve));
    return withTimeout(settled, Math.min(timeoutMs, 10_000), "XEP-0198 negotiation").catch(() => {});
  }

  private onStanza(stanza: Element): void {
    if (stanza.name === "presence") this.onPresenceStanza(stanza);
    else if (stanza.name === "message") this.onMessageStanza(stanza);
    else if (stanza.name === "iq") this.onIq(stanza);
  }

  private onPresenceStanza(presence: Element): void {
    this.presence.handle(presence);
    const { type, from } = presence.attrs;
    try {
      if (!from || bareJid(from) === this.selfJid) return;
      if (type === undefined) this.features.seen(presence);
      else if (type === "unavailable" || type === "error") this.features.gone(from);
      else if (type === "subscribe") this.onSubscribeRequest(bareJid(from));
    } catch {
      // an unreadable `from`: not a peer
    }
  }

  private onSubscribeRequest(peer: string): void {
    this.subscriptionEvents.emit(peer);
    if (this.acceptSubscriptions(peer)) this.subscribe(peer).catch(() => undefined);
  }

  private onMessageStanza(message: Element): void {
    if (message.attrs.type === "error") {
      this.delivery.bounce(message);
      return;
    }
    const acknowledged = receivedId(message);
    if (acknowledged) this.delivery.receipt(acknowledged, message.attrs.from);
    if (this.messageEvents.size === 0) {
      if (this.early.length < MAX_EARLY) this.early.push(message);
      return;
    }
    this.takeMessage(message);
  }

  private takeMessage(message: Element): void {
    const taken = this.messageEvents.emit(message);
    if (!this.receipts || !owesReceipt(message)) return;
    // The receipt says the app has it: wait for the listeners (e.g. the inbox recording it) first;
    // none if one could not take it.
    void Promise.all(taken).then(
      () => {
        if (this.client.status === "online") this.client.send(receiptFor(message, randomId())).catch(() => {});
      },
      () => undefined,
    );
  }

  private onIq(iq: Element): void {
    const { type, id } = iq.attrs;
    if ((type === "result" || type === "error") && id) this.pings.get(id)?.(iq);
  }

  private onOnline(): void {
    // A fresh session (a resumed one emits `resumed` instead): presence is rebuilt from scratch.
    if (this.client.jid) this.selfJid = bareJid(this.client.jid.toString());
    this.presence.reset();
    this.features.reset();
    this.presence.setOnline(true);
    if (this.owned && this.started) {
      const owned = this.owned;
      void this.smSettled(owned.startTimeoutMs)
        .then(() => this.announce())
        .catch(() => {});
    }
  }

  private onDown(offline: boolean): void {
    for (const resolve of this.smWaiters.splice(0)) resolve();
    this.delivery.settleAll(offline ? "client stopped" : "disconnected");
    this.failPings();
    this.presence.setOnline(false);
    if (offline) this.presence.reset();
  }

  /**
   * Asks the server for a XEP-0198 ack now rather than after
   * @xmpp/stream-management's 250 ms debounce: one `<r/>` at the end of a
   * burst, and one after every {@link ACK_EVERY} stanzas within it, so acks
   * come back (and free a drain's window) while a long burst is still being
   * written.
   */
  private requestAck(sm: StreamManagementLike): void {
    if (++this.unrequested >= ACK_EVERY) return this.sendAckRequest(sm);
    if (this.ackRequest !== undefined) return;
    this.ackRequest = setTimeout(() => {
      this.ackRequest = undefined;
      if (this.unrequested > 0) this.sendAckRequest(sm);
    }, 0);
  }

  private sendAckRequest(sm: StreamManagementLike): void {
    this.unrequested = 0;
    // Before <enabled/> an <r/> would be a protocol error; the module's own debounced <r/> covers that case.
    if (sm.enabled && this.client.status === "online") this.client.send(xml("r", { xmlns: NS_SM })).catch(() => {});
  }

  /** Without XEP-0198: one ping after a burst of messages (one task's sends) confirms them all. */
  private confirmByPing(entry: InFlight): void {
    this.pingBatch.add(entry);
  }

  private async pingAfter(batch: InFlight[]): Promise<void> {
    if (await this.roundTrip(this.confirmTimeoutMs)) for (const e of batch) this.delivery.confirm(e, "ping");
  }

  /**
   * Ends the grace window of messages to `peer` early, with proof: an
   * XEP-0199 ping to each of its resources, written after them (see
   * `DeliveryTracker.proven`). One ping per peer at a time, gathering every
   * acked message. No answer within the grace window: the window decides,
   * as without the ping (a hibernating session, a client that ignores iqs).
   */
  private prove(peer: string): void {
    if (this.graceMs === 0) return;
    if (this.proving.has(peer)) return void this.proving.set(peer, true);
    this.proving.set(peer, false);
    queueMicrotask(() => void this.pingPeer(peer)); // one ack covers a burst: one ping for all of it
  }

  private async pingPeer(peer: string): Promise<void> {
    const entries = this.delivery.graced(peer);
    const routes = this.presence.routes(peer);
    const answered = await Promise.all(
      routes.map(async (to) => (await this.request(xml("iq", { type: "get", id: randomId(), to }, xml("ping", { xmlns: NS_PING })), this.graceMs))?.attrs.from === to),
    );
    if (routes.length > 0 && answered.every(Boolean)) this.delivery.proven(entries);
    const again = this.proving.get(peer);
    this.proving.delete(peer);
    if (again) this.prove(peer);
  }

  private async roundTrip(timeoutMs: number): Promise<boolean> {
    const to = this.selfJid ? parseAddress(this.selfJid).domain : undefined;
    return (await this.request(xml("iq", { type: "get", id: randomId(), to }, xml("ping", { xmlns: NS_PING })), timeoutMs)) !== null;
  }

  /** Sends an iq (once XEP-0198 negotiation is over) and resolves with its answer (result or error), or null on timeout or disconnect. */
  private request(iq: Element, timeoutMs: number): Promise<Element | null> {
    if (this.closed || this.client.status !== "online") return Promise.resolve(null);
    const id = iq.attrs.id as string;
    return new Promise<Element | null>((resolve) => {
      const done = (answer: Element | null) => {
        clearTimeout(timer);
        this.pings.delete(id);
        resolve(answer);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.pings.set(id, done);
      // Like every write of ours, not before XEP-0198 negotiation is over (see smSettled).
      void this.smSettled(timeoutMs)
        .then(() => (this.pings.has(id) ? this.client.send(iq) : undefined))
        .catch(() => done(null));
    });
  }

  private failPings(): void {
    for (const done of [...this.pings.values()]) done(null);
  }
}
