import type { Element } from "@xmpp/xml";
import type { CapsCache } from "./caps-cache.ts";

/** A listener of any event; typed like Node's EventEmitter types it, so that real emitters fit. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyListener = (...args: any[]) => void;

/** An event source in the style of Node's EventEmitter (what @xmpp/client instances are). */
export interface EmitterLike {
  on(event: string, listener: AnyListener): unknown;
  removeListener(event: string, listener: AnyListener): unknown;
}

/**
 * The part of `@xmpp/stream-management` 0.14 (`xmpp.streamManagement`) the
 * relay reads. It emits `ack` (stanza) when the server's `<a h=…/>` covers a
 * queued stanza, `fail` (stanza) for stanzas dropped without an ack, and
 * `resumed` after a stream resumption.
 */
export interface StreamManagementLike extends EmitterLike {
  /** True once the server answered `<enable/>` with `<enabled/>`. */
  enabled: boolean;
  /** Stanzas written but not yet acked; the relay looks its own up by identity. */
  outbound_q: Array<{ stanza: Element; stamp?: string }>;
}

/**
 * The part of an `@xmpp/client` 0.14 instance the relay uses. Pass the
 * instance itself; this only spells out what is touched.
 */
export interface XmppClientLike extends EmitterLike {
  /** "offline" | "connecting" | … | "online" | … | "disconnect" */
  status: string;
  jid: { toString(): string } | null;
  send(element: Element): Promise<void>;
  /** Present on @xmpp/client instances (XEP-0198). */
  streamManagement?: StreamManagementLike;
  /** @xmpp/iq's callee (present on @xmpp/client instances): the relay answers disco#info through it. */
  iqCallee?: { get(ns: string, name: string, handler: (ctx: { element?: Element }, next: () => unknown) => unknown): void };
  /** Only used for a client the relay created itself. */
  start?(): Promise<unknown>;
  stop?(): Promise<unknown>;
  reconnect?: { stop(): void };
}

/** How a message came to count as delivered, strongest first. */
export type DeliveryProof =
  /** The peer's client returned a XEP-0184 `<received/>` for it. */
  | "receipt"
  /** The server acked it (XEP-0198) and no bounce came within the grace window. */
  | "ack"
  /** No XEP-0198 for this stanza: an XEP-0199 ping sent after it came back, then the grace window passed without a bounce. */
  | "ping";

/** What every outcome of {@link XmppRelay.send} carries besides the status. */
export interface SentCopy {
  /** The `id` the message went out with (ours when it had none, or when that id was already in flight). */
  id: string;
  /** The relay's own copy of the message as sent: a bounce never echoes the body, this is how to get it back. */
  stanza: Element;
}

/**
 * What `XmppRelay.send` resolves with: a {@link SendOutcome} (so the relay
 * fits wherever a `Relay` does) with the sent copy and some detail.
 */
export type XmppSendOutcome =
  | ({ status: "delivered"; via: DeliveryProof } & SentCopy)
  | ({
      status: "bounced";
      /** The defined condition of the error, e.g. `service-unavailable`. */
      condition: string;
      text?: string;
      /** The stanza error's type: `cancel`, `modify`, `auth`, `wait`. */
      type: string;
      /** Sending it again cannot help (see `isPermanent`): the drain sets it aside as a dead letter. */
      permanent: boolean;
      /** True for `service-unavailable` and `recipient-unavailable` (unless permanent): the peer has no session that took it. */
      peerOffline: boolean;
      /** The `<message type='error'/>` that came back. */
      error: Element;
    } & SentCopy)
  | ({ status: "unknown"; reason: string } & SentCopy);

/**
 * A bounce for a message that had already been reported delivered on a
 * server ack (not on a receipt). With XEP-0198 on the peer's side, Prosody
 * keeps a dropped peer's session "hibernating" and queues messages for it;
 * when the hibernation ends it bounces them with `recipient-unavailable`,
 * long after the ack. The copy is here so the caller can queue it again.
 */
export interface LateBounce {
  id: string;
  /** Bare JID the message was addressed to. */
  peer: string;
  condition: string;
  text?: string;
  peerOffline: boolean;
  stanza: Element;
  error: Element;
  /** What the earlier "delivered" rested on. */
  deliveredVia: Exclude<DeliveryProof, "receipt">;
}

/** Options of an {@link XmppRelay}, whether it brings its own client or not. */
export interface XmppRelayOptions {
  /**
   * How long after the server confirmed it processed a message (XEP-0198
   * ack, or a ping round trip) a bounce may still turn the outcome into
   * `bounced`. Default 250 ms. Against Prosody 0.12 a local bounce always
   * arrives *before* the ack on the same stream, so the window is for slower
   * routes (s2s, clustered servers). The peer's resources answering a ping
   * written after the message end it early (README: "The peer ends the
   * grace window early"); 0 also turns those pings off.
   */
  graceMs?: number;
  /**
   * How long a send waits for the peer's disco#info answers (XEP-0030/0115,
   * asked once per resource when its presence arrives) to decide whether to
   * ask it for a XEP-0184 receipt. Default 3000 ms; no answer: no receipt asked.
   */
  discoTimeoutMs?: number;
  /**
   * Where the features of the peers' client versions are kept across
   * sessions, by XEP-0115 caps (only answers that hash to their SHA-1 `ver`):
   * a peer whose client was met before is not asked again, and its first
   * message does not wait for the answer. Default: this origin's
   * localStorage where there is one (`localCapsCache()`); null keeps them in
   * memory for the session only.
   */
  capsCache?: CapsCache | null;
  /** Give up waiting for the server's ack/ping and settle `unknown` after this long. Default 30000 ms. */
  confirmTimeoutMs?: number;
  /**
   * Accept incoming presence subscription requests (all, or those the
   * function approves): the relay answers `subscribed` and subscribes back,
   * so the subscription is mutual. Default false (see `onSubscriptionRequest`).
   */
  acceptSubscriptions?: boolean | ((peer: string) => boolean);
  /** Answer XEP-0184 receipt requests on the app's behalf, once the app's listeners have taken the message. Default true. */
  receipts?: boolean;
  /**
   * A message that asks for a XEP-0184 receipt is `delivered` on the
   * receipt: the server's ack alone only proves the server took it (a peer
   * closing its tab may have acked on the wire what its app never got). If
   * no receipt comes within this many ms after the ack, or the peer leaves
   * first: `unknown` when the peer has answered receipts before (so the
   * message stays queued, and the peer drops it if it did get it), else the
   * ack stands (peers that never answer receipts). Default 10000.
   */
  receiptTimeoutMs?: number;
  /**
   * How long a copy of each message delivered on an ack/ping is kept so a
   * late bounce can still be reported through `onLateBounce`. Default
   * 15 minutes (Prosody's own hibernation default is 10); 0 keeps none.
   */
  lateBounceWindowMs?: number;
  /** At most this many copies are kept for late bounces (oldest dropped first). Default 5000. */
  lateBounceMaxEntries?: number;
}
