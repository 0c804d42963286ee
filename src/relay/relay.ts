import type { Element } from "@xmpp/xml";

/** How a relay settled one sent message. */
export type SendOutcome =
  | { status: "delivered" }
  /**
   * The relay refused it: the peer is offline (e.g. XMPP service-unavailable /
   * recipient-unavailable: `permanent` false), or it can never be delivered
   * (`permanent` true: the drain sets it aside as a dead letter). `type` is
   * the stanza error's type (`cancel`, `modify`, `auth`, `wait`).
   */
  | { status: "bounced"; condition: string; text?: string; type?: string; permanent?: boolean }
  /** The connection went away before delivery was known: treat as not delivered. */
  | { status: "unknown"; reason: string };

/** Optional hooks of one `send()`. */
export interface SendProgress {
  /**
   * The relay has passed the message on and only waits out a time window
   * before it settles (an XMPP server acked it, and no receipt is awaited:
   * the grace window for a late bounce). A drain counts such a message out
   * of its window, so the wait costs once per pass, not once per batch.
   * Called at most once, before the outcome; never for a message whose
   * outcome waits on the peer itself (a receipt, a mesh ack).
   */
  accepted?(): void;
}

/** A peer's presence as the relay sees it: bare JID and whether it is available. */
export interface PresenceChange {
  peer: string;
  available: boolean;
}

/**
 * What offline-edge needs of a relay (an XMPP server, or a mesh of tabs):
 * presence of peers, sending a stanza with a known outcome, and incoming
 * messages. Adapters live beside this file, one per relay.
 */
export interface Relay {
  /** Our own bare JID on this relay. */
  readonly self: string;
  /** Whether the peer (bare JID) has an available resource with priority >= 0. */
  isAvailable(peer: string): boolean;
  /** Peer presence changes; returns the unsubscribe function. */
  onPresence(listener: (change: PresenceChange) => void): () => void;
  /**
   * Incoming message stanzas addressed to us. A listener may return a
   * promise: the relay's word to the sender that the message arrived (mesh
   * ack, XMPP receipt) waits for it, and is not given if it rejects (the
   * listener could not take the message: the sender keeps it).
   */
  onMessage(listener: (stanza: Element) => unknown): () => void;
  /**
   * Sends a message and resolves when its fate is known: delivered, bounced
   * (the relay reports the peer offline), or unknown (connection lost).
   */
  send(stanza: Element, progress?: SendProgress): Promise<SendOutcome>;
  /**
   * Optional: a message reported `delivered` came back later after all (an
   * XMPP server acked it into a peer's session that then died). The copy is
   * the stanza as sent, for the caller to queue again.
   */
  onLateBounce?(listener: (late: { peer: string; stanza: Element }) => void): () => void;
  close(): Promise<void>;
}
